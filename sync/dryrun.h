/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * btsoot-sync --dry-run --json: what a sync would do, as one JSON object
 * on stdout (btsoot-sync(8), JSON OUTPUT, lists its members). The sync
 * works out the same figures as for its plain dry run; this collects them
 * and the paths behind them, then writes them.
 */
#ifndef BTSOOT_SYNC_DRYRUN_H
#define BTSOOT_SYNC_DRYRUN_H

#include <stdbool.h>
#include <stdint.h>

#include "context.h"
#include "plan.h"
#include "rescan.h"
#include "strv.h"

struct bt_dry {
	const char *why;             /* a rescan would run, and why; NULL: a replay */
	struct bt_rescan_stats rescan; /* with why: its report-mode pass */
	struct bt_strv kinds, paths, details; /* with why: its differences */
	struct bt_plan plan;         /* without: the journal's plan */
	int64_t mirror;              /* meta mirror_entries */
	struct bt_strv copies;       /* files the replay writes (as the rows name them) */
	struct bt_strv deletions;    /* entries it deletes that the remote holds */
	int64_t copy_bytes;          /* bytes its WRITE rows name (an upper bound) */
	/* the pass over changes made while unmounted: ran, directories it
	 * picked, its report-mode comparison */
	bool off_active;
	int64_t off_dirs;
	struct bt_rescan_stats off_plan;
	int64_t recheck;             /* names the sync compares with the live source */
	int err;                     /* -ENOMEM while collecting */
};

/* on_diff for the report-mode rescan (arg: struct bt_dry). */
void bt_dry_on_diff(void *arg, enum bt_diff_kind kind, const char *rel, const char *detail);
/* The paths the replay of rows (after, upto] would write and delete. 0 or
 * -errno (-EUCLEAN: a corrupt row). */
int bt_dry_collect_plan(struct bt_journal *j, int64_t after, int64_t upto, struct bt_dry *d);
/* Writes the report: rc the exit code the sync ends with, err its error
 * (d NULL: the sync stopped before it knew anything). 0 or -errno. */
int bt_dry_print_json(const char *block, const struct bt_dry *d, int rc, const char *err);
void bt_dry_free(struct bt_dry *d);

#endif
