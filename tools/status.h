/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * btsoot status and btsoot check: what a block's config, state directory,
 * journal and remote say about it, read without changing anything. The
 * journal is opened read-only, and as an immutable snapshot when nothing
 * has it open (bt_journal_quiet), so not even -wal/-shm files appear; the
 * remote is only stat'ed (the trash's size).
 *
 * Shown three ways (tools/status_show.c): lines for a person, one JSON
 * object per block, node_exporter textfile metrics (tools/status_prom.c).
 */
#ifndef BTSOOT_TOOLS_STATUS_H
#define BTSOOT_TOOLS_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "btsoot/config.h"
#include "btsoot/journal.h"

#define BT_STATUS_RECHECK_LIST 100 /* recheck names listed (all are counted) */

struct bt_status {
	struct bt_block b;
	int load_rc;              /* bt_block_load: 0 or -errno (load_err says why) */
	char load_err[PATH_MAX + 256];
	int journal_rc;           /* opening the journal: 0, -ENOENT (none yet), -EUCLEAN... */
	pid_t daemon_pid;         /* btsootfs: its pid, -1 running (pid unknown), 0 none */
	pid_t sync_pid;           /* a sync, verify or restore: the same */
	bool mounted;             /* btsootfs is mounted at the source */
	bool unclean;             /* the journal says mounted, no daemon runs */
	bool first_sync_done, needs_rescan;
	int64_t pending_rows, pending_bytes;
	int64_t last_sync, last_sync_bytes;    /* last successful sync; 0: never */
	int64_t last_sync_end, last_sync_exit; /* last sync run; exit -1: not recorded */
	char last_sync_error[512];
	int64_t last_verify;                   /* 0: never */
	int64_t last_verify_end;               /* last verify run (0: not recorded) */
	int64_t last_verify_diffs;             /* -1: not known */
	int64_t last_verify_exit;              /* -1: not recorded */
	char verify_result[128], verify_mode[48], last_verify_error[512];
	/* When a hashing verify last covered the whole tree: in one run, or
	 * slice by slice (the oldest of the N slices of the last --slice K/N
	 * runs); the later of the two. 0: not yet. covered_slices: N when
	 * the slices gave it, else 0. */
	int64_t covered, covered_slices;
	int64_t slices;                        /* N of the last slice run, 0: none */
	char remote_limits[512];
	int64_t mirror_entries;
	int64_t recheck_n;                     /* names in the recheck set */
	char *recheck[BT_STATUS_RECHECK_LIST]; /* the first of them */
	int trash_rc;                          /* 0, or -errno: trash_* unknown */
	int64_t trash_bytes, trash_files, trash_runs;
};

/* Fills s for block name. Never fails as a whole: each part that cannot
 * be read says so in its *_rc. */
void bt_status_read(const struct bt_dirs *d, const char *name, struct bt_status *s);
void bt_status_free(struct bt_status *s);
/* Opens b's journal read-only without creating or changing any file in
 * its state directory (see above). bt_journal_open's codes. */
int bt_status_open_journal(const struct bt_block *b, struct bt_journal **j);
/* The pid holding <state>/<lock> as in struct bt_status. */
pid_t bt_status_lock_pid(const struct bt_block *b, const char *lock);
/* Size of <remote>/.btsoot/trash without following a symlink or leaving
 * its filesystem: 0 or -errno (-ENODATA: no .btsoot there, the remote
 * looks unmounted). */
int bt_status_trash(const char *remote, int64_t *bytes, int64_t *files, int64_t *runs);

/* tools/status_show.c */
void bt_status_print(FILE *f, const struct bt_status *s);
struct bt_json;
void bt_status_json(struct bt_json *w, const struct bt_status *s);
/* "2026-12-04T03:15:02Z" */
char *bt_iso_utc(int64_t t, char *buf, size_t len);

/* tools/status_prom.c: writes the metrics of every block into
 * dir/btsoot.prom atomically (a temp file in dir, then rename). 0 or
 * -errno, err set. */
int bt_status_prometheus(const struct bt_dirs *d, const char *dir, char *err, size_t errlen);

#endif
