/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The recheck set in memory: the journal's recheck table (btsoot/journal.h)
 * as a sorted array, with the two questions the replay asks of it. Names
 * are relative to the block root; "" is the root.
 */
#ifndef BTSOOT_SYNC_RECHECK_H
#define BTSOOT_SYNC_RECHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "btsoot/journal.h"

struct bt_recheck_entry {
	char *name;
	unsigned flags; /* BT_RECHECK_* */
};

struct bt_recheck_set {
	struct bt_recheck_entry *v;
	size_t n, cap;
	bool unsorted; /* entries appended since the last sort */
};

/* Reads the journal's table into s (emptied first). 0 or -errno
 * (-EUCLEAN: an entry is corrupt). */
int bt_recheck_set_load(struct bt_recheck_set *s, struct bt_journal *j);
/* Adds rel (or ORs flags into its entry), in memory only. 0 or -ENOMEM. */
int bt_recheck_set_add(struct bt_recheck_set *s, const char *rel, unsigned flags);
/* rel is an entry, lies below a DEEP entry, or is a direct child of any
 * entry: its remote state is not what the journal's rows assume. */
bool bt_recheck_covers(struct bt_recheck_set *s, const char *rel);
/* Some entry lies strictly below rel. */
bool bt_recheck_below(struct bt_recheck_set *s, const char *rel);
/* The flags of the entry named exactly rel, or 0. */
unsigned bt_recheck_flags(struct bt_recheck_set *s, const char *rel);
/* rename(from, to) moved every entry strictly below from: their names
 * follow. *moved counts them. 0 or -ENOMEM. */
int bt_recheck_set_rename(struct bt_recheck_set *s, const char *from, const char *to,
			  size_t *moved);
/* Sorts (if needed) so that s->v is in name order. */
void bt_recheck_set_sort(struct bt_recheck_set *s);
void bt_recheck_set_free(struct bt_recheck_set *s);

#endif
