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
	bool silent; /* a dry run that prints nothing (its caller reports) */
};

/* Builds the plan of rows (synced_seq, upto]; prints it for a dry run;
 * BT_EXIT_SAFETY (c->err set, the paths it would delete on stderr) when it
 * deletes too much and !force. */
int bt_check_plan(struct bt_ctx *c, int64_t upto, const struct bt_plan_opts *o,
		  struct bt_plan *p);

/*
 * The mass-deletion guard: one rule for every path that changes the remote
 * (the journal's plan, a reconciling rescan, the offline repair and
 * btsoot-verify --repair). What counts is the net loss: entries deleted
 * minus entries created. `rm -rf d; tar x d` deletes and creates as many; a
 * rescan, which cannot see renames, sees a renamed directory as its old
 * name deleted and its new one created. Refused: a net loss that is every
 * mirrored entry, or that is more than max_delete_percent of them and more
 * than BT_GUARD_FEW entries (closing an SQLite WAL database removes two,
 * its -wal and -shm: never a mass deletion, even in a tiny block).
 */
#define BT_GUARD_FEW 2

struct bt_loss {
	int64_t deleted; /* entries of the remote the change removes */
	int64_t created; /* entries it adds (0 when they must not count) */
	int64_t mirror;  /* entries the remote holds before it */
};

bool bt_loss_too_big(const struct bt_ctx *c, const struct bt_loss *l);

/* BT_EXIT_OK, or BT_EXIT_SAFETY with c->err the one-line refusal ("block
 * 'b': WHAT would delete ..."). Callers skip it for --force, and list the
 * paths concerned before they return its refusal. */
int bt_guard_loss(struct bt_ctx *c, const char *what, const struct bt_loss *l);

/* The guard in the shape the offline pass used before bt_guard_loss. */
bool bt_net_loss_too_big(const struct bt_ctx *c, int64_t doomed, int64_t created,
			 int64_t total);
int bt_refuse_loss(struct bt_ctx *c, const char *what, int64_t doomed, int64_t created,
		   int64_t total);

/* Before a repairing rescan of a populated remote (btsoot-sync's, or
 * btsoot-verify --repair's): a report-only pass over both trees (metadata
 * only). BT_EXIT_SAFETY (c->err set, paths on stderr) when the repair
 * would move more of the remote to the trash than the guard allows (on a
 * remote being adopted, see bt_adopt_remote, the deletions alone count:
 * what is there is not known to be an older mirror of the source);
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

/*
 * meta mirror_entries, the guard's "mirrored entries", is kept by every
 * path that changes the remote: a reconciling rescan and verify --repair
 * set it to what they saw, a replay moves it by its plan, the offline
 * repair by what it deleted and created.
 */
void bt_mirror_entries_set(struct bt_ctx *c, int64_t n);
void bt_mirror_entries_add(struct bt_ctx *c, int64_t delta);
/* After a replay of plan p. */
void bt_mirror_entries_replayed(struct bt_ctx *c, const struct bt_plan *p);
/* After a repair (bt_rescan_dirs) that reported st. */
void bt_mirror_entries_repaired(struct bt_ctx *c, const struct bt_rescan_stats *st);
/* Inside the transaction that marks a full rescan done: the remote holds
 * entries, the source held bytes in regular files (the next pass's
 * progress total), and an adoption (bt_adopt_remote) is over. 0 or -errno. */
int bt_mirror_reconciled(struct bt_ctx *c, int64_t entries, int64_t bytes);

/* "1" from btsoot init-remote or add --adopt until the rescan that
 * reconciles the adopted remote is done. */
#define BT_META_ADOPTED "adopted"

/* The remote of the block whose journal is j was adopted (init-remote, add
 * --adopt): the next sync runs a full reconciling rescan, which copies what
 * is missing and, unless --force, refuses to trash more of what is there
 * than the guard allows. 0 or -errno. */
int bt_adopt_remote(struct bt_journal *j);

#endif
