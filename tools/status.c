/* SPDX-License-Identifier: BSD-3-Clause */
/* Reading a block's state for btsoot status and check: see status.h. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "btsoot/lockfile.h"
#include "btsoot/mounts.h"
#include "btsoot/remote.h"
#include "btsoot/rescan_note.h"
#include "status.h"

int bt_status_open_journal(const struct bt_block *b, struct bt_journal **j)
{
	int flags = BT_J_READONLY;

	if (bt_journal_quiet(b->journal, b->state))
		flags |= BT_J_SNAPSHOT;
	return bt_journal_open(b->journal, flags, j);
}

pid_t bt_status_lock_pid(const struct bt_block *b, const char *lock)
{
	char path[PATH_MAX + 32];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", b->state, lock);
	pid = bt_lock_holder(path);
	return pid == -EAGAIN ? -1 : pid > 0 ? pid : 0;
}

/* nftw has no argument for its callback: the walk's sums. */
static int64_t walk_bytes, walk_files;

static int add_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)path, (void)f;
	if (type == FTW_F && S_ISREG(st->st_mode)) {
		walk_bytes += st->st_size;
		walk_files++;
	}
	return 0;
}

static int count_runs(const char *trash, int64_t *runs)
{
	DIR *d = opendir(trash);
	struct dirent *e;
	time_t when;

	*runs = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d)))
		*runs += bt_trash_run_time(e->d_name, &when);
	closedir(d);
	return 0;
}

int bt_status_trash(const char *remote, int64_t *bytes, int64_t *files, int64_t *runs)
{
	char area[PATH_MAX + 32], trash[PATH_MAX + 64];
	struct stat st;

	*bytes = *files = *runs = 0;
	snprintf(area, sizeof(area), "%s/" BT_REMOTE_AREA, remote);
	if (lstat(area, &st) < 0)
		return errno == ENOENT ? -ENODATA : -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	snprintf(trash, sizeof(trash), "%s/trash", area);
	if (lstat(trash, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	walk_bytes = walk_files = 0;
	if (nftw(trash, add_entry, 16, FTW_PHYS | FTW_MOUNT) < 0)
		return -errno;
	*bytes = walk_bytes;
	*files = walk_files;
	return count_runs(trash, runs);
}

static int note_recheck(const char *path, unsigned flags, void *arg)
{
	struct bt_status *s = arg;

	(void)flags;
	if (s->recheck_n < BT_STATUS_RECHECK_LIST && !(s->recheck[s->recheck_n] = strdup(path)))
		return -ENOMEM;
	s->recheck_n++;
	return 0;
}

static void read_i64(struct bt_journal *j, const char *key, int64_t *v, int64_t dflt)
{
	if (bt_meta_get_i64(j, key, v) < 0)
		*v = dflt;
}

/* The oldest of slice times 1..n of n, or 0 when one has never run. */
static int64_t slices_covered(struct bt_journal *j, int64_t n)
{
	int64_t oldest = INT64_MAX, t;
	char key[64];

	for (int64_t k = 1; k <= n && n <= 10000; k++) {
		snprintf(key, sizeof(key), BT_META_VERIFY_SLICE_FMT, (unsigned)n, (unsigned)k);
		if (bt_meta_get_i64(j, key, &t) < 0 || t <= 0)
			return 0;
		oldest = t < oldest ? t : oldest;
	}
	return n > 0 && oldest != INT64_MAX ? oldest : 0;
}

static void read_coverage(struct bt_journal *j, struct bt_status *s)
{
	int64_t by_slices;

	read_i64(j, BT_META_VERIFY_COVERED, &s->covered, 0);
	read_i64(j, BT_META_VERIFY_SLICES, &s->slices, 0);
	by_slices = slices_covered(j, s->slices);
	if (by_slices > s->covered) {
		s->covered = by_slices;
		s->covered_slices = s->slices;
	}
}

static void read_str(struct bt_journal *j, const char *key, char *buf, size_t len)
{
	if (bt_meta_get(j, key, buf, len) < 0)
		buf[0] = '\0';
}

static void read_meta(struct bt_journal *j, struct bt_status *s)
{
	char state[32];
	int64_t v, synced;

	read_i64(j, BT_META_FIRST_SYNC, &v, 0);
	s->first_sync_done = v == 1;
	read_i64(j, BT_META_NEEDS_RESCAN, &v, 0);
	s->needs_rescan = v == 1;
	read_str(j, BT_META_STATE, state, sizeof(state));
	s->unclean = !strcmp(state, "mounted") && s->daemon_pid == 0;
	read_i64(j, BT_META_SYNCED_SEQ, &synced, 0);
	bt_journal_stats(j, synced, &s->pending_rows, &s->pending_bytes);
	read_i64(j, BT_META_LAST_SYNC, &s->last_sync, 0);
	read_i64(j, BT_META_LAST_SYNC_BYTES, &s->last_sync_bytes, -1);
	read_i64(j, BT_META_LAST_SYNC_END, &s->last_sync_end, 0);
	read_i64(j, BT_META_LAST_SYNC_EXIT, &s->last_sync_exit, -1);
	read_str(j, BT_META_LAST_SYNC_ERROR, s->last_sync_error, sizeof(s->last_sync_error));
	read_i64(j, BT_META_LAST_VERIFY, &s->last_verify, 0);
	read_i64(j, BT_META_LAST_VERIFY_END, &s->last_verify_end, 0);
	read_i64(j, BT_META_LAST_VERIFY_DIFFS, &s->last_verify_diffs, -1);
	read_i64(j, BT_META_LAST_VERIFY_EXIT, &s->last_verify_exit, -1);
	read_str(j, BT_META_LAST_VERIFY_RESULT, s->verify_result, sizeof(s->verify_result));
	read_str(j, BT_META_LAST_VERIFY_MODE, s->verify_mode, sizeof(s->verify_mode));
	read_str(j, BT_META_LAST_VERIFY_ERROR, s->last_verify_error, sizeof(s->last_verify_error));
	read_str(j, BT_META_REMOTE_LIMITS, s->remote_limits, sizeof(s->remote_limits));
	read_i64(j, BT_META_MIRROR_ENTRIES, &s->mirror_entries, 0);
	read_coverage(j, s);
	bt_recheck_read(j, note_recheck, s);
}

void bt_status_read(const struct bt_dirs *d, const char *name, struct bt_status *s)
{
	struct bt_journal *j;
	ino_t note;

	memset(s, 0, sizeof(*s));
	s->last_sync_exit = s->last_verify_exit = s->last_verify_diffs = -1;
	s->load_rc = bt_block_load(d, name, &s->b, s->load_err, sizeof(s->load_err));
	if (s->load_rc < 0) {
		snprintf(s->b.name, sizeof(s->b.name), "%s", name);
		return;
	}
	s->daemon_pid = bt_status_lock_pid(&s->b, "daemon.lock");
	s->sync_pid = bt_status_lock_pid(&s->b, "sync.lock");
	s->mounted = bt_btsootfs_at(s->b.source);
	s->trash_rc = bt_status_trash(s->b.remote, &s->trash_bytes, &s->trash_files,
				      &s->trash_runs);
	s->journal_rc = bt_status_open_journal(&s->b, &j);
	if (s->journal_rc < 0)
		return;
	read_meta(j, s);
	bt_journal_close(j);
	if (bt_rescan_note_get(s->b.state, &note) == 1)
		s->needs_rescan = true;
}

void bt_status_free(struct bt_status *s)
{
	for (int i = 0; i < BT_STATUS_RECHECK_LIST; i++) {
		free(s->recheck[i]);
		s->recheck[i] = NULL;
	}
}
