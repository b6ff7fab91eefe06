/* SPDX-License-Identifier: BSD-3-Clause */
/* One directory's names, sorted bytewise: the unit of the parallel walk. */
#ifndef BTSOOT_SYNC_LISTING_H
#define BTSOOT_SYNC_LISTING_H

#include <stddef.h>

struct bt_listing {
	char **names;
	size_t n;
};

/* Lists the directory rel beneath rootfd (without "." and ".."; without
 * .btsoot when rel is the root). -errno on failure. */
int bt_listing_read(int rootfd, const char *rel, struct bt_listing *l);
void bt_listing_free(struct bt_listing *l);

#endif
