/* SPDX-License-Identifier: BSD-3-Clause */
/* A batch of journal rows held in memory (own copies of the paths). */
#ifndef BTSOOT_SYNC_BATCH_H
#define BTSOOT_SYNC_BATCH_H

#include <stddef.h>

#include "btsoot/journal.h"

struct bt_batch {
	struct bt_op_rec *v;
	size_t n, cap;
};

/* bt_journal_read/bt_pending_read callback: appends a copy of r to the
 * struct bt_batch at arg. */
int bt_batch_collect(const struct bt_op_rec *r, void *arg);
void bt_batch_free(struct bt_batch *b);

#endif
