/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dirty set of one replay batch: every object whose data or metadata
 * must be copied after the namespace replay, with its path kept current
 * through every later rename of it or of a directory above it.
 */
#ifndef BTSOOT_SYNC_DIRTY_H
#define BTSOOT_SYNC_DIRTY_H

#include <stdbool.h>
#include <stdint.h>

#include "btsoot/extent.h"
#include "btsoot/journal.h"

enum bt_dirty_flags {
	BT_DIRTY_NEW = 1,    /* created in this batch: copy whole */
	BT_DIRTY_META = 2,   /* mode/owner/times */
	BT_DIRTY_XATTR = 4,
	BT_DIRTY_DIR = 8,    /* a directory whose entries changed (times) */
	BT_DIRTY_LOST = 16,  /* a name with other hard links was removed */
	BT_DIRTY_CARRY = 32, /* metadata not applied yet: keep for the next run */
};

struct bt_dirty {
	uint64_t ino;  /* 0 for directories known only by path */
	char *path;    /* NULL once the object left the tree */
	struct bt_extents ext;
	unsigned flags;
	int tries;     /* runs in which the source had moved on */
};

struct bt_dirty_set {
	struct bt_dirty *v;
	size_t n, cap;
	size_t *index;   /* open addressing on ino, (slot -> i + 1) */
	size_t nindex;
};

void bt_dirty_init(struct bt_dirty_set *d);
void bt_dirty_free(struct bt_dirty_set *d);
/* Folds one journal (or pending) row into the set. 0 or -ENOMEM. */
int bt_dirty_apply(struct bt_dirty_set *d, const struct bt_op_rec *r);
/* Marks path's directory for a metadata (times) refresh. May move d->v. */
int bt_dirty_touch_parent(struct bt_dirty_set *d, const char *path);

#endif
