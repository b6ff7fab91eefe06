/* SPDX-License-Identifier: BSD-3-Clause */
/* The reconciling passes (contract and rule in reconcile.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btsoot/fsclock.h"
#include "btsoot/log.h"
#include "btsoot/pathsafe.h"
#include "btsoot/rescan_note.h"
#include "raced.h"
#include "recheck.h"
#include "reconcile.h"
#include "safety.h"

/* Has btsootfs commit what it queued: every change made before this call
 * is then a committed row. */
static void settle(struct bt_ctx *c)
{
	int rc = bt_ctx_flush_daemon(c, 5000);

	if (rc < 0 && rc != -ESRCH)
		bt_warn("block '%s': btsootfs did not commit its queue (%s); its last "
			"second of changes is compared at the next sync", c->block.name,
			strerror(-rc));
}

/* BTSOOT_PAUSE_BEFORE_RECONCILE=FILE (or the older name
 * BTSOOT_PAUSE_BEFORE_OFFLINE_REPAIR): creates FILE once the first pass of
 * the run has taken its journal position and waits (up to a minute) until
 * it is removed, so a test can change the source exactly between that and
 * the walk. */
static void pause_for_tests(void)
{
	const char *f = getenv("BTSOOT_PAUSE_BEFORE_RECONCILE");
	struct timespec pause = { 0, 20 * 1000000L };
	static bool paused; /* once per run: the first pass is the one a test means */
	int fd;

	if (paused)
		return;
	paused = true;
	if (!f || !*f)
		f = getenv("BTSOOT_PAUSE_BEFORE_OFFLINE_REPAIR");
	if (!f || !*f || (fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return;
	close(fd);
	for (int i = 0; i < 3000 && access(f, F_OK) == 0; i++)
		nanosleep(&pause, NULL);
}

struct window {
	struct bt_raced *walked; /* the names the pass compared */
	struct bt_recheck_set *out;
};

static bool is_namespace(int op)
{
	return op >= BT_OP_CREATE && op <= BT_OP_RMDIR;
}

static int add_deep(const char *name, void *arg)
{
	return bt_recheck_set_add(arg, name, BT_RECHECK_DEEP);
}

/* rel or a directory above it was compared (touches() of raced.h without
 * "holding a compared entry"). */
static bool at_or_below(struct bt_raced *walked, const char *rel)
{
	size_t len = strlen(rel);
	char key[len + 1];

	if (walked->all)
		return true;
	memcpy(key, rel, len + 1);
	do {
		if (bt_raced_named(walked, key))
			return true;
	} while (bt_path_up(key));
	return false;
}

/* A row after the pass's start: its names join the recheck set when it
 * touches a compared name. A plain rename of a directory above compared
 * names is left to the replay, which applies it and moves those names
 * along (a big directory moved during a long pass is not copied again). */
static int window_row(const struct bt_op_rec *r, void *arg)
{
	struct window *w = arg;
	bool two = r->op == BT_OP_RENAME || r->op == BT_OP_LINK;
	bool hit1, hit2 = false;
	int rc = 0;

	if (!is_namespace(r->op))
		return 0;
	if (!bt_path_valid(r->path) || (two && (!r->path2 || !bt_path_valid(r->path2))))
		return bt_recheck_set_add(w->out, "", BT_RECHECK_DEEP);
	if (!bt_raced_touches(w->walked, r->path) &&
	    !(two && bt_raced_touches(w->walked, r->path2)))
		return 0;
	hit1 = at_or_below(w->walked, r->path);
	hit2 = two && (at_or_below(w->walked, r->path2) ||
		       bt_raced_touches(w->walked, r->path2));
	if (r->op == BT_OP_RENAME && !(r->len & RENAME_EXCHANGE) && !hit1 && !hit2)
		return bt_raced_each_below(w->walked, r->path, add_deep, w->out);
	rc = bt_recheck_set_add(w->out, r->path, BT_RECHECK_DEEP);
	if (rc == 0 && two)
		rc = bt_recheck_set_add(w->out, r->path2, BT_RECHECK_DEEP);
	return rc;
}

/* The recheck set after a pass: what it did not compare, and the names of
 * rows after `after` that raced it. */
static int window(struct bt_ctx *c, int64_t after, struct bt_raced *walked,
		  struct bt_recheck_set *keep)
{
	struct window w = { walked, keep };

	return bt_journal_read(c->j, after, INT64_MAX, 0, window_row, &w);
}

static int store_set(struct bt_ctx *c, struct bt_recheck_set *s)
{
	int rc = bt_recheck_clear(c->j);

	bt_recheck_set_sort(s);
	for (size_t i = 0; rc == 0 && i < s->n; i++)
		rc = bt_recheck_add(c->j, s->v[i].name, s->v[i].flags);
	return rc;
}

/* Where a pass over the live source began. */
struct bt_pass {
	int64_t s_a;     /* highest committed row, after btsootfs committed its queue */
	int daemon_pid;  /* btsootfs then (0: none) */
	int64_t mounts;  /* meta mount_gen then */
	bool flagged;    /* <state>/NEEDS_RESCAN was there then: */
	ino_t note;      /* which one (rescan_note.h) */
};

static int64_t mounts(struct bt_ctx *c)
{
	int64_t v = 0;

	bt_meta_get_i64(c->j, BT_META_MOUNT_GEN, &v);
	return v;
}

bool bt_daemon_died(struct bt_ctx *c)
{
	char state[32];

	return bt_meta_get(c->j, BT_META_STATE, state, sizeof(state)) == 0 &&
	       !strcmp(state, "mounted") && bt_ctx_daemon_pid(c) == 0;
}

/* The journal up to s_a is covered by the walk; the rest is next. Only if
 * the btsootfs that ran when the pass began (or none) ran throughout: one
 * that died meanwhile lost its queued rows, changes the walk may have
 * missed, so the journal stays marked for a whole pass (a daemon started
 * since says so too, and that must not be undone here). */
static int mark_covered(struct bt_ctx *c, const struct bt_pass *p,
			const struct bt_rescan_stats *st, struct bt_recheck_set *keep)
{
	int64_t s_a = p->s_a;
	int pid = bt_ctx_daemon_pid(c);
	bool same = p->daemon_pid == pid && mounts(c) == p->mounts;
	int rc = bt_journal_begin(c->j);

	rc = rc ? rc : bt_journal_prune(c->j, s_a);
	rc = rc ? rc : bt_pending_replace(c->j, NULL, 0);
	rc = rc ? rc : bt_meta_set_i64(c->j, BT_META_SYNCED_SEQ, s_a);
	rc = rc ? rc : bt_meta_set_i64(c->j, BT_META_NS_DONE_SEQ, s_a);
	rc = rc ? rc : bt_meta_set_i64(c->j, BT_META_NS_DONE_STEP, 0);
	rc = rc ? rc : bt_meta_set(c->j, BT_META_FIRST_SYNC, "1");
	rc = rc ? rc : bt_meta_set(c->j, BT_META_NEEDS_RESCAN, same ? "0" : "1");
	if (rc == 0 && same) /* what was lost before the pass, it copied */
		rc = bt_journal_lost_from(c->j, 0);
	rc = rc ? rc : bt_mirror_reconciled(c, st->entries, st->bytes);
	rc = rc ? rc : store_set(c, keep);
	if (rc == 0 && same && pid == 0)
		rc = bt_meta_set(c->j, BT_META_STATE, "clean");
	rc = rc ? rc : bt_journal_commit(c->j);
	if (rc < 0)
		bt_journal_rollback(c->j);
	else if (!same)
		bt_warn("block '%s': btsootfs stopped or started while the source was compared; "
			"the next sync compares everything again", c->block.name);
	return rc < 0 ? rc : same ? 0 : 1;
}

static int journal_error(struct bt_ctx *c, int rc)
{
	snprintf(c->err, sizeof(c->err), "journal %s: %s", c->block.journal, strerror(-rc));
	return rc;
}

static int pass_start(struct bt_ctx *c, struct bt_pass *p)
{
	int rc;

	*p = (struct bt_pass){ .daemon_pid = bt_ctx_daemon_pid(c), .mounts = mounts(c) };
	p->flagged = bt_rescan_note_get(c->block.state, &p->note) == 1;
	settle(c);
	rc = bt_journal_max_seq(c->j, &p->s_a);
	return rc < 0 ? journal_error(c, rc) : 0;
}

/* After a bt_rescan that began after pass_start and left the remote equal
 * to the source: the bookkeeping of rule 2 (reconcile.h). */
static int pass_covered(struct bt_ctx *c, const struct bt_pass *p,
			const struct bt_rescan_stats *st)
{
	struct bt_recheck_set keep = { 0 };
	struct bt_raced all = { .all = true };
	int rc;

	settle(c);
	rc = window(c, p->s_a, &all, &keep);
	/* Parts it could not read are compared again, whole, next time. */
	if (rc == 0 && st->errors)
		rc = bt_recheck_set_add(&keep, "", BT_RECHECK_DEEP);
	rc = rc ? rc : mark_covered(c, p, st, &keep);
	if (rc == 0 && keep.n)
		bt_notice("block '%s': %zu names changed while it was compared; they are "
			  "compared again", c->block.name, keep.n);
	bt_recheck_set_free(&keep);
	if (rc < 0)
		return journal_error(c, rc);
	/* btsootfs's own "could not journal" note, the one there before the
	 * pass (a new one may name changes the walk missed). */
	if (rc == 0 && p->flagged)
		bt_rescan_note_clear(c->block.state, p->note);
	return 0;
}

static int64_t synced(struct bt_ctx *c);

/* A regular file whose ctime lies in [since, until) (since 0: none). */
static bool changed_in(const struct stat *s, int64_t since, int64_t until)
{
	int64_t t = bt_ts_ns(&s->st_ctim);

	return since > 0 && S_ISREG(s->st_mode) && t >= since && t < until;
}

/* The source inodes that journaled writes not yet replayed name, and
 * since when changes may have died with a daemon (0: none). */
struct ino_set {
	uint64_t *v;
	size_t n, cap;
	int64_t lost_since, lost_until;
};

static int collect_ino(const struct bt_op_rec *r, void *arg)
{
	struct ino_set *s = arg;

	if ((r->op != BT_OP_WRITE && r->op != BT_OP_TRUNCATE) || !r->ino)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		uint64_t *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = r->ino;
	return 0;
}

static int by_ino(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static bool written(void *arg, const char *rel, const struct stat *s)
{
	const struct ino_set *set = arg;
	size_t lo = 0, hi = set->n;

	(void)rel;
	if (changed_in(s, set->lost_since, set->lost_until))
		return true;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (set->v[mid] < (uint64_t)s->st_ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < set->n && set->v[lo] == (uint64_t)s->st_ino;
}

/* Files with writes in the rows the pass covers, or waiting in pending:
 * the pass drops those rows, and a metadata comparison cannot see an edit
 * whose writer set the times back; so the pass copies these whatever
 * their times say. */
static int written_files(struct bt_ctx *c, int64_t s_a, struct ino_set *set)
{
	int rc = bt_pending_read(c->j, collect_ino, set);

	rc = rc ? rc : bt_journal_read(c->j, synced(c), s_a, 0, collect_ino, set);
	if (rc == 0 && set->n > 1)
		qsort(set->v, set->n, sizeof(*set->v), by_ino);
	return rc;
}

/* The daemon died with no other mounted since, or could not journal (its
 * NEEDS_RESCAN note): rows may be lost that no mount has recorded yet. */
static bool rows_lost_now(struct bt_ctx *c)
{
	ino_t note;

	return bt_daemon_died(c) || bt_rescan_note_get(c->block.state, &note) == 1;
}

/* When files may have taken changes no row tells (BT_META_LOST_SINCE,
 * _UNTIL): set by a daemon that found its predecessor dead, or now, if it
 * died and none came since, or it could not journal (its note). A
 * same-size edit whose writer set the mtime back, its row lost, has a
 * ctime in that window. */
static int lost_window(struct bt_ctx *c, int64_t *since, int64_t *until)
{
	int rc = rows_lost_now(c) ? bt_journal_note_lost(c->j) : 0;

	return rc ? rc : bt_journal_lost_window(c->j, since, until);
}

int bt_reconcile_all(struct bt_ctx *c, const struct bt_rescan_opts *o,
		     struct bt_rescan_stats *st)
{
	struct ino_set set = { 0 };
	struct bt_rescan_opts wo = *o;
	struct bt_pass p;
	int rc = pass_start(c, &p);

	if (rc < 0)
		return rc;
	if (o->mode == BT_CMP_QUICK && ((rc = written_files(c, p.s_a, &set)) < 0 ||
					(rc = lost_window(c, &set.lost_since, &set.lost_until)) < 0)) {
		free(set.v);
		return journal_error(c, rc);
	}
	if (set.lost_since > 0)
		bt_debug("copying the files changed since %" PRId64 " ns whatever their times say "
			 "(a daemon's rows may be lost)", set.lost_since);
	if (set.n || set.lost_since > 0) {
		wo.must_copy = written;
		wo.names_arg = &set;
	}
	pause_for_tests();
	rc = bt_rescan(&c->remote, c->readfd, &wo, st);
	free(set.v);
	if (rc < 0) {
		snprintf(c->err, sizeof(c->err), "comparing block '%s' with its source "
			 "stopped%s%s: %s", c->block.name, st->stopped_at[0] ? " at " : "",
			 st->stopped_at, strerror(-rc));
		return rc;
	}
	return pass_covered(c, &p, st);
}

static int64_t synced(struct bt_ctx *c)
{
	int64_t v = 0;

	bt_meta_get_i64(c->j, BT_META_SYNCED_SEQ, &v);
	return v;
}

struct names {
	struct bt_recheck_set *set; /* the recheck set before the pass */
	struct bt_raced *busy;      /* names rows not yet replayed touch */
	struct bt_strv left;        /* names the walk left alone for them */
	struct bt_strv widened;     /* directories compared whole instead of a name,
				     * and names outside the walk it relied on */
	int64_t lost_since, lost_until; /* bt_journal_lost_window */
	int err;
};

static void widened(void *arg, const char *rel)
{
	struct names *n = arg;

	if (!n->err)
		n->err = bt_strv_push(&n->widened, rel);
}

static bool leave(void *arg, const char *rel)
{
	struct names *n = arg;

	if (!bt_raced_touches(n->busy, rel))
		return false;
	if (!n->err)
		n->err = bt_strv_push(&n->left, rel);
	return true;
}

static bool must_copy(void *arg, const char *rel, const struct stat *s)
{
	struct names *n = arg;

	if (changed_in(s, n->lost_since, n->lost_until))
		return true; /* its rows may have died with a daemon */
	return bt_recheck_flags(n->set, rel) & BT_RECHECK_CONTENT;
}

static bool trusted(void *arg, const char *rel)
{
	struct names *n = arg;

	return !bt_recheck_covers(n->set, rel) && !bt_raced_touches(n->busy, rel);
}

/* rel lies strictly below a deep entry of s. */
static bool below_deep(struct bt_recheck_set *s, const char *rel)
{
	size_t len = strlen(rel);
	char key[len + 1];

	memcpy(key, rel, len + 1);
	while (bt_path_up(key))
		if (bt_recheck_flags(s, key) & BT_RECHECK_DEEP)
			return true;
	return false;
}

/* The names to walk: every entry not below a deep one (that one's walk
 * covers it), in path order, so parents come first. */
static int walk_list(struct bt_recheck_set *s, struct bt_strv *names, bool **deep)
{
	bt_recheck_set_sort(s);
	*deep = calloc(s->n + 1, sizeof(**deep));
	if (!*deep)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		if (below_deep(s, s->v[i].name))
			continue;
		(*deep)[names->n] = s->v[i].flags & BT_RECHECK_DEEP;
		if (bt_strv_push(names, s->v[i].name) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* A name the walk left alone (rows not replayed yet touch it) stays in the
 * set as the entry that holds it, flags and all: nothing of it was
 * compared. (A left name outside every entry was met in a walk widened to
 * a parent; it stays itself, whole.) */
static int keep_left(struct names *n, struct bt_recheck_set *keep)
{
	int rc = n->err;

	for (size_t i = 0; rc == 0 && i < n->left.n; i++) {
		const char *rel = n->left.v[i];
		size_t len = strlen(rel);
		char key[len + 1];
		unsigned flags;

		memcpy(key, rel, len + 1);
		do
			flags = bt_recheck_flags(n->set, key);
		while (!flags && bt_path_up(key));
		if (!flags) { /* not inside an entry */
			memcpy(key, rel, len + 1);
			flags = BT_RECHECK_DEEP;
		}
		rc = bt_recheck_set_add(keep, key, flags);
	}
	return rc;
}

/* Compares the walk list, leaving what busy rows touch. */
static int compare_names(struct bt_ctx *c, struct bt_recheck_set *set,
			 const struct bt_rescan_opts *base, struct bt_rescan_stats *st,
			 struct bt_strv *names, struct bt_recheck_set *keep)
{
	struct bt_raced busy;
	struct names arg = { .set = set, .busy = &busy };
	struct bt_rescan_opts o = *base;
	bool *deep = NULL;
	size_t at = 0;
	int rc;

	rc = bt_raced_load(&busy, c->j, synced(c), true);
	rc = rc ? rc : bt_journal_lost_window(c->j, &arg.lost_since, &arg.lost_until);
	/* After the rows it leaves alone are read: what a test does now
	 * races the walk, as a change made during a long walk would. */
	pause_for_tests();
	rc = rc ? rc : walk_list(set, names, &deep);
	if (rc < 0) {
		bt_raced_free(&busy);
		free(deep);
		return journal_error(c, rc);
	}
	o.leave = leave;
	o.leave_arg = &arg;
	o.must_copy = must_copy;
	o.trusted = trusted;
	o.widened = widened;
	o.borrowed = widened; /* both count as compared, for the window */
	o.names_arg = &arg;
	rc = bt_rescan_names(&c->remote, c->readfd, names->v, deep, names->n, &o, st, &at);
	/* What was compared, for the window: the widened walks too. */
	for (size_t i = 0; rc >= 0 && !arg.err && i < arg.widened.n; i++)
		arg.err = bt_strv_push(names, arg.widened.v[i]);
	if (rc < 0)
		snprintf(c->err, sizeof(c->err), "comparing %s with the source: %s",
			 st->stopped_at[0] ? st->stopped_at : *names->v[at] ? names->v[at] : ".",
			 strerror(-rc));
	else if ((rc = keep_left(&arg, keep)) < 0)
		journal_error(c, rc);
	bt_strv_free(&arg.left);
	bt_strv_free(&arg.widened);
	bt_raced_free(&busy);
	free(deep);
	return rc;
}

/* Something still asks for a whole-tree pass: lost_since is its, then. */
static bool whole_pass_due(struct bt_ctx *c)
{
	int64_t v = 0;

	return rows_lost_now(c) ||
	       (bt_meta_get_i64(c->j, BT_META_NEEDS_RESCAN, &v) == 0 && v == 1);
}

int bt_reconcile(struct bt_ctx *c, const struct bt_rescan_opts *o, struct bt_rescan_stats *st,
		 size_t *left)
{
	struct bt_recheck_set set = { 0 }, keep = { 0 };
	struct bt_strv names = { 0 };
	struct bt_raced walked;
	int rc;

	*left = 0;
	settle(c);
	rc = bt_recheck_set_load(&set, c->j);
	if (rc < 0)
		return journal_error(c, rc);
	if (set.n == 0)
		return 0;
	if (bt_recheck_flags(&set, "") & BT_RECHECK_DEEP) {
		bt_recheck_set_free(&set);
		rc = bt_reconcile_all(c, o, st);
		if (rc == 0 && (rc = bt_recheck_set_load(&set, c->j)) < 0)
			journal_error(c, rc);
		*left = set.n;
		bt_recheck_set_free(&set);
		return rc;
	}
	rc = compare_names(c, &set, o, st, &names, &keep);
	if (rc < 0)
		goto out;
	settle(c);
	rc = bt_raced_of(&walked, names.v, names.n);
	/* A walk widened to the root compared everything. */
	walked.all = rc == 0 && bt_raced_named(&walked, "");
	rc = rc ? rc : window(c, synced(c), &walked, &keep);
	bt_raced_free(&walked);
	rc = rc ? rc : bt_journal_begin(c->j);
	rc = rc ? rc : store_set(c, &keep);
	if (rc == 0 && keep.n == 0 && !whole_pass_due(c))
		rc = bt_journal_lost_from(c->j, 0); /* all compared */
	rc = rc ? rc : bt_journal_commit(c->j);
	if (rc < 0) {
		bt_journal_rollback(c->j);
		journal_error(c, rc);
		goto out;
	}
	*left = keep.n;
	bt_mirror_entries_repaired(c, st);
out:
	bt_strv_free(&names);
	bt_recheck_set_free(&set);
	bt_recheck_set_free(&keep);
	return rc;
}
