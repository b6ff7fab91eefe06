/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btsoot/exitcodes.h"
#include "btsoot/mounts.h"
#include "btsoot/pathsafe.h"
#include "safety.h"


/* Does directory fd hold any entry other than the reserved .btsoot? */
static bool has_entries(int fd)
{
	DIR *d = bt_opendir_beneath(fd, "");
	struct dirent *e;
	bool any = false;

	if (!d)
		return true; /* unreadable: let the sync say why */
	while (!any && (e = readdir(d)))
		any = strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		      strcmp(e->d_name, BT_REMOTE_AREA);
	closedir(d);
	return any;
}

int bt_check_source(struct bt_ctx *c, bool force)
{
	const char *src = c->block.source;
	int pid;

	if (c->block.source_is_mount && !bt_other_mount_at(src)) {
		snprintf(c->err, sizeof(c->err),
			 "source %s is not mounted (a filesystem was mounted there when block "
			 "'%s' was added); mount it and retry", src, c->block.name);
		return BT_EXIT_SOURCE;
	}
	/* Typically after `umount -l` with files held open through the mount:
	 * the daemon runs on for them while the bare source takes changes it
	 * never sees. The journal alone is not the truth until it stops, and
	 * then its offline_since leads the next sync to those changes. */
	if ((pid = bt_ctx_daemon_pid(c)) > 0 && !bt_btsootfs_at(src)) {
		snprintf(c->err, sizeof(c->err),
			 "btsootfs (pid %d) of block '%s' runs but %s is not mounted through "
			 "it (unmounted with -l while files were open?); once it stops, the "
			 "next sync finds the changes made there: close those files or `kill "
			 "%d`, then sync", pid, c->block.name, src, pid);
		return BT_EXIT_SOURCE;
	}
	if (!force && !has_entries(c->srcfd) && has_entries(c->remote.rootfd)) {
		snprintf(c->err, sizeof(c->err),
			 "source %s is empty but the remote holds a mirror: is its disk "
			 "mounted? (--force mirrors the empty source)", src);
		return BT_EXIT_SOURCE;
	}
	return BT_EXIT_OK;
}

struct show {
	bool dry_run, verbose;
	int64_t listed;
};

static void show_row(void *arg, const struct bt_op_rec *r, bool removes_existing)
{
	struct show *s = arg;
	char p[512], p2[512];

	if (s->dry_run && s->verbose) {
		printf("%s %s%s%s\n", bt_op_name(r->op), bt_path_printable(r->path, p, sizeof(p)),
		       r->path2 ? " -> " : "",
		       r->path2 ? bt_path_printable(r->path2, p2, sizeof(p2)) : "");
	} else if (!s->dry_run && removes_existing && s->listed++ < BT_SHOW_DELETIONS) {
		fprintf(stderr, "%s: would delete %s\n", program_invocation_short_name,
			bt_path_printable(r->path, p, sizeof(p)));
	}
}

int bt_check_plan(struct bt_ctx *c, int64_t upto, const struct bt_plan_opts *o,
		  struct bt_plan *p)
{
	struct show s = { .dry_run = o->dry_run, .verbose = o->verbose && !o->silent };
	struct bt_loss loss;
	int64_t synced = 0, mirror = 0;
	int rc;

	rc = bt_meta_get_i64_or(c->j, BT_META_SYNCED_SEQ, &synced, 0);
	rc = rc ? rc : bt_meta_get_i64_or(c->j, BT_META_MIRROR_ENTRIES, &mirror, 0);
	rc = rc ? rc : bt_plan_build(c->j, synced, upto, p,
				     (o->dry_run && s.verbose) ? show_row : NULL, &s);
	if (rc < 0) {
		c->journal_corrupt = rc == -EUCLEAN;
		snprintf(c->err, sizeof(c->err), "reading journal %s: %s", c->block.journal,
			 rc == -EUCLEAN ? "a row or meta value is corrupt" : strerror(-rc));
		return BT_EXIT_JOURNAL;
	}
	if (o->dry_run && o->silent)
		return BT_EXIT_OK;
	if (o->dry_run) {
		printf("btsoot-sync: block '%s' (dry run): %" PRId64 " rows; would create %" PRId64
		       ", rename %" PRId64 ", delete %" PRId64 " of about %" PRId64
		       " mirrored entries, copy data named by %" PRId64 " rows, update metadata "
		       "from %" PRId64 " rows (%" PRId64 " short-lived objects skipped)\n",
		       c->block.name, p->rows, p->created, p->renamed, p->deleted, mirror,
		       p->data_rows, p->meta_rows, p->dropped);
		return BT_EXIT_OK;
	}
	/* Objects born and removed inside the range never reach the remote. */
	loss = (struct bt_loss){ p->deleted, p->created - p->died_young, mirror };
	if (o->force || !bt_loss_too_big(c, &loss))
		return BT_EXIT_OK;
	bt_plan_build(c->j, synced, upto, p, show_row, &s);
	if (s.listed > BT_SHOW_DELETIONS)
		fprintf(stderr, "btsoot-sync: ... and %" PRId64 " more\n", s.listed - BT_SHOW_DELETIONS);
	return bt_guard_loss(c, "this sync", &loss);
}

void bt_doomed_collect(void *arg, enum bt_diff_kind kind, const char *rel,
		       const char *detail)
{
	struct bt_doomed_list *l = arg;

	(void)detail;
	if (kind != BT_DIFF_EXTRA && kind != BT_DIFF_TYPE)
		return;
	if (l->n < BT_SHOW_DELETIONS)
		l->rel[l->n] = strdup(rel);
	l->n++;
}

void bt_doomed_show(struct bt_doomed_list *l, bool print)
{
	char p[512];

	for (int64_t i = 0; i < l->n && i < BT_SHOW_DELETIONS; i++) {
		if (print && l->rel[i])
			fprintf(stderr, "%s: would delete %s\n", program_invocation_short_name,
				bt_path_printable(l->rel[i], p, sizeof(p)));
		free(l->rel[i]);
	}
	if (print && l->n > BT_SHOW_DELETIONS)
		fprintf(stderr, "%s: ... and %" PRId64 " more\n", program_invocation_short_name,
			l->n - BT_SHOW_DELETIONS);
	*l = (struct bt_doomed_list){ 0 };
}

bool bt_loss_too_big(const struct bt_ctx *c, const struct bt_loss *l)
{
	int64_t lost = l->deleted - (l->created > 0 ? l->created : 0);

	if (l->deleted <= 0 || lost <= 0 || l->mirror <= 0)
		return false;
	if (lost >= l->mirror)
		return true; /* the whole remote, whatever the share allows */
	return lost > BT_GUARD_FEW && lost * 100 > (int64_t)c->block.max_delete_percent * l->mirror;
}

int bt_guard_loss(struct bt_ctx *c, const char *what, const struct bt_loss *l)
{
	char also[48] = "";

	if (!bt_loss_too_big(c, l))
		return BT_EXIT_OK;
	if (l->created > 0)
		snprintf(also, sizeof(also), " and create %" PRId64, l->created);
	snprintf(c->err, sizeof(c->err),
		 "block '%s': %s would delete %" PRId64 "%s of about %" PRId64
		 " mirrored entries (limit: a net loss of %d%%, deletions minus creations); "
		 "nothing was changed. Check the source, then run with --force to apply",
		 c->block.name, what, l->deleted, also, l->mirror, c->block.max_delete_percent);
	return BT_EXIT_SAFETY;
}

bool bt_net_loss_too_big(const struct bt_ctx *c, int64_t doomed, int64_t created,
			 int64_t total)
{
	return bt_loss_too_big(c, &(struct bt_loss){ doomed, created, total });
}

int bt_refuse_loss(struct bt_ctx *c, const char *what, int64_t doomed, int64_t created,
		   int64_t total)
{
	int rc = bt_guard_loss(c, what, &(struct bt_loss){ doomed, created, total });

	return rc ? rc : BT_EXIT_SAFETY; /* asked to refuse: refuse */
}

static bool adopting(struct bt_ctx *c)
{
	int64_t v = 0;

	return bt_meta_get_i64(c->j, BT_META_ADOPTED, &v) == 0 && v == 1;
}

int bt_check_rescan(struct bt_ctx *c, struct bt_rescan_stats *st)
{
	struct bt_doomed_list l = { 0 };
	struct bt_rescan_opts o = {
		.mode = BT_CMP_QUICK, .on_diff = bt_doomed_collect, .arg = &l,
	};
	bool adopt = adopting(c);
	struct bt_loss loss;
	int rc;

	memset(st, 0, sizeof(*st));
	st->differences = 1; /* unknown: no pass has run */
	if (!has_entries(c->remote.rootfd))
		return BT_EXIT_OK; /* nothing there to lose */
	rc = bt_rescan(&c->remote, c->readfd, &o, st);
	loss = (struct bt_loss){ st->doomed, adopt ? 0 : st->created, st->remote_entries };
	bt_doomed_show(&l, rc == 0 && bt_loss_too_big(c, &loss));
	if (rc < 0) {
		snprintf(c->err, sizeof(c->err), "rescan of block '%s' stopped: %s",
			 c->block.name, strerror(-rc));
		return bt_exit_for_errno(rc);
	}
	return bt_guard_loss(c, adopt ? "adopting the remote (it holds entries the source "
			     "does not)" : "reconciling the remote with the source", &loss);
}

void bt_mirror_entries_set(struct bt_ctx *c, int64_t n)
{
	bt_meta_set_i64(c->j, BT_META_MIRROR_ENTRIES, n < 0 ? 0 : n);
}

void bt_mirror_entries_add(struct bt_ctx *c, int64_t delta)
{
	int64_t n = 0;

	/* A garbled count stays garbled: the next open sets the journal aside. */
	if (bt_meta_get_i64_or(c->j, BT_META_MIRROR_ENTRIES, &n, 0) == 0)
		bt_mirror_entries_set(c, n + delta);
}

void bt_mirror_entries_replayed(struct bt_ctx *c, const struct bt_plan *p)
{
	bt_mirror_entries_add(c, p->created - p->died_young - p->deleted);
}

void bt_mirror_entries_repaired(struct bt_ctx *c, const struct bt_rescan_stats *st)
{
	bt_mirror_entries_add(c, st->created - st->doomed);
}

int bt_mirror_reconciled(struct bt_ctx *c, int64_t entries, int64_t bytes)
{
	int rc = bt_meta_set_i64(c->j, BT_META_MIRROR_ENTRIES, entries < 0 ? 0 : entries);

	rc = rc ? rc : bt_meta_set_i64(c->j, BT_META_SOURCE_BYTES, bytes < 0 ? 0 : bytes);

	return rc ? rc : bt_meta_set(c->j, BT_META_ADOPTED, "0");
}

int bt_adopt_remote(struct bt_journal *j)
{
	int rc = bt_journal_begin(j);

	rc = rc ? rc : bt_meta_set(j, BT_META_NEEDS_RESCAN, "1");
	rc = rc ? rc : bt_meta_set(j, BT_META_ADOPTED, "1");
	rc = rc ? rc : bt_journal_commit(j);
	if (rc < 0)
		bt_journal_rollback(j);
	return rc;
}
