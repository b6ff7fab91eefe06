/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checks a sync makes before its first change to the remote: is the source
 * really the source (mounted, not empty), and would the plan delete more of
 * the mirror than the block allows (max_delete_percent)?
 */
#ifndef BTSOOT_SYNC_SAFETY_H
#define BTSOOT_SYNC_SAFETY_H

#include <stdbool.h>
#include <stdint.h>

#include "context.h"
#include "plan.h"
#include "rescan.h"

/* BT_EXIT_OK, or BT_EXIT_SOURCE with c->err set. force passes an empty
 * source (never an unmounted one). */
int bt_check_source(struct bt_ctx *c, bool force);

struct bt_plan_opts {
	bool force, dry_run, verbose;
};

/* Builds the plan of rows (synced_seq, upto]; prints it for a dry run;
 * BT_EXIT_SAFETY (c->err set, the paths it would delete on stderr) when it
 * deletes too much and !force. */
int bt_check_plan(struct bt_ctx *c, int64_t upto, const struct bt_plan_opts *o,
		  struct bt_plan *p);

/* A rescan cannot see renames: a renamed directory is its old name doomed
 * and its new one created. What the mirror would lose is the difference:
 * true when that exceeds max_delete_percent of total (or is all of it). */
bool bt_net_loss_too_big(const struct bt_ctx *c, int64_t doomed, int64_t created,
			 int64_t total);

/* Sets c->err to the one-line refusal ("block 'b': WHAT would delete ...")
 * and returns BT_EXIT_SAFETY. */
int bt_refuse_loss(struct bt_ctx *c, const char *what, int64_t doomed, int64_t created,
		   int64_t total);

/* Before a repairing rescan of a populated remote: a report-only pass over
 * both trees. BT_EXIT_SAFETY (c->err set, paths on stderr) when the repair
 * would move more of the remote to the trash than the block allows;
 * otherwise BT_EXIT_OK with *st the pass's figures (st->differences == 0:
 * the repair has nothing to do), or the exit code of an error. */
int bt_check_rescan(struct bt_ctx *c, struct bt_rescan_stats *st);

#define BT_SHOW_DELETIONS 20 /* paths listed when a plan is refused */

/* The first BT_SHOW_DELETIONS remote entries a rescan's repair would
 * remove (an on_diff callback), listed if a check refuses. */
struct bt_doomed_list {
	char *rel[BT_SHOW_DELETIONS];
	int64_t n;
};
void bt_doomed_collect(void *arg, enum bt_diff_kind kind, const char *rel,
		       const char *detail);
/* Prints "would delete" lines when print, and empties the list. */
void bt_doomed_show(struct bt_doomed_list *l, bool print);

/* Keeps meta mirror_entries: set after a rescan, moved by a replay. */
void bt_mirror_entries_set(struct bt_ctx *c, int64_t n);
void bt_mirror_entries_add(struct bt_ctx *c, int64_t delta);

#endif
