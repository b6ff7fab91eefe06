/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "btsoot/exitcodes.h"
#include "btsoot/fsclock.h"
#include "btsoot/log.h"
#include "btsoot/pathsafe.h"
#include "listing.h"
#include "offline.h"
#include "safety.h"
#include "strv.h"

static bool changed_since(const struct stat *st, int64_t since)
{
	return bt_ts_ns(&st->st_ctim) >= since;
}

/* One source directory: queues its subdirectories, picks it (or a changed
 * subdirectory) into dirs. The last pick is rel itself when it was picked,
 * so a directory is added once per visit. */
static int visit_dir(int srcfd, const char *rel, int64_t since, struct bt_strv *todo,
		     struct bt_strv *dirs)
{
	struct bt_listing l;
	struct stat st;
	bool picked = false;
	int dfd, rc;

	rc = bt_listing_read(srcfd, rel, &l);
	if (rc < 0)
		return rc == -ENOENT || rc == -ENOTDIR || rc == -ELOOP ? 0 : rc; /* gone: its parent changed */
	dfd = bt_open_beneath(srcfd, rel, O_PATH | O_DIRECTORY, 0);
	/* Gone or replaced since the listing: its parent changed too. */
	rc = dfd < 0 && dfd != -ENOENT && dfd != -ENOTDIR && dfd != -ELOOP ? dfd : 0;
	for (size_t i = 0; dfd >= 0 && rc == 0 && i < l.n; i++) {
		char *sub;

		if (fstatat(dfd, l.names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* vanished since the listing: rel changed */
		if (!S_ISDIR(st.st_mode)) {
			if (!picked && changed_since(&st, since)) {
				picked = true;
				rc = bt_strv_push(dirs, rel);
			}
			continue;
		}
		sub = bt_path_join(rel, l.names[i]);
		rc = sub ? bt_strv_push(todo, sub) : -ENOMEM;
		if (rc == 0 && changed_since(&st, since))
			rc = bt_strv_push(dirs, sub);
		free(sub);
	}
	if (dfd >= 0)
		close(dfd);
	bt_listing_free(&l);
	return rc;
}

static int depth_then_name(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t dx = 0, dy = 0;

	for (const char *p = x; *p; p++)
		dx += *p == '/';
	for (const char *p = y; *p; p++)
		dy += *p == '/';
	if ((*x != '\0') != (*y != '\0'))
		return *x ? 1 : -1; /* the root first */
	return dx != dy ? (dx < dy ? -1 : 1) : strcmp(x, y);
}

/* Every directory changed since `since`, parents first, each once. */
static int pick_dirs(int srcfd, int64_t since, struct bt_offline *o)
{
	struct bt_strv todo = { 0 }, dirs = { 0 };
	struct stat st;
	int rc = bt_strv_push(&todo, "");

	if (rc == 0 && fstat(srcfd, &st) == 0 && changed_since(&st, since))
		rc = bt_strv_push(&dirs, "");
	while (rc == 0 && todo.n) {
		char *rel = todo.v[--todo.n];

		rc = visit_dir(srcfd, rel, since, &todo, &dirs);
		free(rel);
	}
	bt_strv_free(&todo);
	if (rc < 0) {
		bt_strv_free(&dirs);
		return rc;
	}
	if (dirs.n > 1) /* an empty vector has no array to sort */
		qsort(dirs.v, dirs.n, sizeof(*dirs.v), depth_then_name);
	o->n = 0;
	for (size_t i = 0; i < dirs.n; i++) {
		if (o->n && !strcmp(dirs.v[o->n - 1], dirs.v[i])) {
			free(dirs.v[i]);
			continue;
		}
		dirs.v[o->n++] = dirs.v[i];
		bt_debug("changed while unmounted: %s", *dirs.v[i] ? dirs.v[i] : ".");
	}
	o->dirs = dirs.v;
	o->cap = dirs.cap;
	return 0;
}

/* Compares (or repairs) every picked directory. */
static int compare_dirs(struct bt_ctx *c, struct bt_offline *o,
			const struct bt_rescan_opts *ro, struct bt_rescan_stats *st)
{
	size_t at = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = bt_rescan_dirs(&c->remote, c->readfd, o->dirs, o->n, ro, st, &at);
	if (rc == 0)
		return BT_EXIT_OK;
	snprintf(c->err, sizeof(c->err), "comparing %s after changes made while unmounted: %s",
		 *o->dirs[at] ? o->dirs[at] : ".", strerror(-rc));
	return bt_exit_for_errno(rc);
}

int bt_offline_scan(struct bt_ctx *c, struct bt_offline *o, bool force, bool dry_run)
{
	struct bt_doomed_list doomed = { 0 };
	struct bt_rescan_opts ro = {
		.mode = BT_CMP_QUICK, .on_diff = bt_doomed_collect, .arg = &doomed,
	};
	int64_t mirror = 0;
	bool refuse;
	int rc;

	memset(o, 0, sizeof(*o));
	if (!c->block.scan_offline_changes)
		return BT_EXIT_OK;
	if (bt_meta_get_i64_or(c->j, BT_META_OFFLINE_SINCE, &o->since, 0) < 0)
		return bt_ctx_meta_corrupt(c, BT_META_OFFLINE_SINCE);
	if (o->since <= 0)
		return BT_EXIT_OK;
	bt_fs_now(c->block.state, &o->began);
	o->daemon_pid = bt_ctx_daemon_pid(c);
	rc = pick_dirs(c->readfd, o->since, o);
	if (rc < 0) {
		snprintf(c->err, sizeof(c->err), "looking for changes made to %s while it was "
			 "not mounted: %s", c->block.source, strerror(-rc));
		return bt_exit_for_errno(rc);
	}
	rc = compare_dirs(c, o, &ro, &o->plan);
	if (rc == 0 && bt_meta_get_i64_or(c->j, BT_META_MIRROR_ENTRIES, &mirror, 0) < 0)
		rc = bt_ctx_meta_corrupt(c, BT_META_MIRROR_ENTRIES);
	refuse = rc == 0 && !force && !dry_run &&
		 bt_guard_loss(c, "changes made while it was not mounted",
			       &(struct bt_loss){ o->plan.doomed, o->plan.created, mirror });
	bt_doomed_show(&doomed, refuse);
	if (rc)
		return rc;
	o->active = true;
	return refuse ? BT_EXIT_SAFETY : BT_EXIT_OK;
}

void bt_offline_covered(struct bt_ctx *c, const struct timespec *began, int daemon_pid)
{
	/* With the same btsootfs running throughout, every later change is in
	 * the journal; without one, changes after the walk began are not. */
	int64_t next = daemon_pid > 0 && bt_ctx_daemon_pid(c) == daemon_pid ? 0 : bt_ts_ns(began);

	if (bt_meta_set_i64(c->j, BT_META_OFFLINE_SINCE, next) < 0)
		bt_warn("block '%s': cannot record the offline scan in the journal", c->block.name);
}

int bt_offline_queue(struct bt_ctx *c, struct bt_offline *o)
{
	int64_t next;
	int rc;

	if (!o->active)
		return BT_EXIT_OK;
	/* With the same btsootfs running throughout, every later change is in
	 * the journal; without one, changes after the walk began are not. */
	next = o->daemon_pid > 0 && bt_ctx_daemon_pid(c) == o->daemon_pid ? 0
									: bt_ts_ns(&o->began);
	rc = bt_journal_begin(c->j);
	for (size_t i = 0; rc == 0 && o->plan.differences && i < o->n; i++)
		rc = bt_recheck_add(c->j, o->dirs[i], 0);
	rc = rc ? rc : bt_meta_set_i64(c->j, BT_META_OFFLINE_SINCE, next);
	rc = rc ? rc : bt_journal_commit(c->j);
	if (rc == 0 && o->plan.differences)
		bt_notice("block '%s': %zu %s changed while unmounted; comparing %s "
			  "with the remote", c->block.name, o->n,
			  o->n == 1 ? "directory" : "directories", o->n == 1 ? "it" : "them");
	if (rc == 0)
		return BT_EXIT_OK;
	bt_journal_rollback(c->j);
	snprintf(c->err, sizeof(c->err), "journal %s: %s", c->block.journal, strerror(-rc));
	return BT_EXIT_JOURNAL;
}

void bt_offline_free(struct bt_offline *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->dirs[i]);
	free(o->dirs);
	o->dirs = NULL;
	o->n = o->cap = 0;
}
