/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Changes made to the source while btsootfs was not mounted never reach the
 * journal. btsootfs records when it stopped (meta offline_since); the next
 * sync walks the source and picks every directory whose ctime is at or
 * after that time (an entry was added, removed or renamed in it, or its own
 * metadata changed) or that holds an entry whose ctime is (its data or
 * metadata changed). Each picked directory is compared with its remote
 * counterpart one level deep and repaired, like a rescan limited to what
 * changed. ctime cannot be set back from user space (utimensat stamps it
 * with the current time), so only a changed system clock hides a change.
 *
 * Cost: one stat per source entry, no file reads; on the remote only the
 * picked directories are listed. Skipped with scan_offline_changes = 0.
 */
#ifndef BTSOOT_SYNC_OFFLINE_H
#define BTSOOT_SYNC_OFFLINE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "context.h"
#include "rescan.h"

struct bt_offline {
	bool active;           /* a scan ran and its repair is due */
	int64_t since;         /* ns: look for changes at or after this */
	struct timespec began; /* fs time when the walk began */
	int daemon_pid;        /* btsootfs at the walk's start (0: none) */
	char **dirs;           /* picked directories, parents first */
	size_t n, cap;
	struct bt_rescan_stats plan; /* the report-mode comparison */
};

/* Walks the source when offline_since is set, compares the picked
 * directories in report mode, and refuses (BT_EXIT_SAFETY) repairs that
 * would delete more than the block allows, unless force or dry_run (the
 * caller reports the counts, o->plan). BT_EXIT_OK otherwise (o->active when a repair is due). */
int bt_offline_scan(struct bt_ctx *c, struct bt_offline *o, bool force, bool dry_run);

/* Hands the picked directories to the recheck set (each compared one
 * level deep with the live source by bt_reconcile, after the replay) and
 * moves offline_since on, in one transaction. BT_EXIT_* */
int bt_offline_queue(struct bt_ctx *c, struct bt_offline *o);

/* After a full rescan that began at fs time began with btsootfs daemon_pid
 * running (0: none): every change before it is covered. */
void bt_offline_covered(struct bt_ctx *c, const struct timespec *began, int daemon_pid);

void bt_offline_free(struct bt_offline *o);

#endif
