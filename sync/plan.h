/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a replay of the journal would do, worked out before it does any of
 * it: the --dry-run report and the mass-deletion pre-check (a real
 * pre-check: it stops before the first change, not after N deletions).
 * Rows are read and compacted batch by batch, exactly like the replay.
 */
#ifndef BTSOOT_SYNC_PLAN_H
#define BTSOOT_SYNC_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "btsoot/journal.h"

struct bt_plan {
	int64_t rows;      /* journal rows read */
	int64_t dropped;   /* objects compaction removes (born and dead in the range) */
	int64_t created;   /* files, directories, links, nodes created */
	int64_t renamed;
	int64_t deleted;   /* removals of objects the remote holds today */
	int64_t died_young;/* removals of objects created inside the range */
	int64_t data_rows; /* WRITE/TRUNCATE rows: files whose bytes changed */
	int64_t meta_rows; /* META/XATTR rows */
};

/* Called for each row the replay would apply; removes_existing is true for
 * an UNLINK/RMDIR of an object created before this range. */
typedef void (*bt_plan_each)(void *arg, const struct bt_op_rec *r, bool removes_existing);

/* Rows (after, upto]. each may be NULL. 0 or -errno. */
int bt_plan_build(struct bt_journal *j, int64_t after, int64_t upto, struct bt_plan *p,
		  bt_plan_each each, void *arg);

#endif
