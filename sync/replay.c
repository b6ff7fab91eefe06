/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replay, batch by batch (at most BATCH_ROWS rows, so memory follows the
 * batch and not the journal):
 *
 *   1. load the rows (synced_seq, upto] and the pending rows of last run;
 *   2. compact (objects born and dead inside the batch vanish);
 *   3. namespace rows in seq order on the remote, skipping those at or
 *      below ns_done_seq (a killed run applied them), committing
 *      ns_done_seq after each one: every remote operation happens once.
 *      A row is applied only where the remote reflects the rows before
 *      it: a row touching a name of the recheck set, or whose
 *      precondition does not hold on the remote, is not applied; its
 *      names join the recheck set, which the sync then compares with the
 *      live source (reconcile.h);
 *   4. meanwhile fold every row into the dirty set (paths follow renames);
 *   5. data: each dirty file's journaled ranges, read from the source as it
 *      is now, whole through .btsoot/tmp + rename when new or mostly
 *      rewritten, else in place; a file the source has moved on from since
 *      the row was written is kept in `pending` for the next run;
 *   6. metadata: files, then directories deepest first;
 *   7. one transaction prunes the batch and advances synced_seq.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btsoot/compact.h"
#include "btsoot/log.h"
#include "btsoot/pathsafe.h"
#include "dircache.h"
#include "dirty.h"
#include "progress.h"
#include "batch.h"
#include "recheck.h"
#include "replay.h"

#define BATCH_ROWS 100000
#define SMALL_FILE (64 * 1024)
#define MAX_TRIES 3


static bool reserved(const char *p)
{
	return bt_path_is_under(p, BT_REMOTE_AREA) && *p;
}

static bool is_namespace(int op)
{
	return op >= BT_OP_CREATE && op <= BT_OP_RMDIR;
}

static bool row_valid(const struct bt_op_rec *r)
{
	bool two = r->op == BT_OP_RENAME || r->op == BT_OP_LINK;

	if (!bt_path_valid(r->path) || (two && (!r->path2 || !bt_path_valid(r->path2))))
		return false;
	/* Only the root itself may be named "" and only by metadata rows. */
	return *r->path || r->op == BT_OP_META || r->op == BT_OP_XATTR;
}

/* Errors that mean "the remote is not what the journal says", as opposed to
 * a failing remote (ENOSPC, EIO...): the fix is a rescan, not a retry. */
static bool diverged(int rc)
{
	return rc == -ENOENT || rc == -ENOTDIR || rc == -EISDIR || rc == -ENOTEMPTY ||
	       rc == -ELOOP || rc == -EEXIST;
}

/* Adds rel to the recheck set, in memory and in the journal. */
static int mark(struct bt_ctx *c, struct bt_recheck_set *rs, const char *rel, unsigned flags)
{
	unsigned had = bt_recheck_flags(rs, rel);
	int rc;

	if (had && (had | flags) == had)
		return 0;
	bt_debug("recheck %s%s", *rel ? rel : ".", flags & BT_RECHECK_CONTENT ? " (content)" : "");
	rc = bt_recheck_set_add(rs, rel, flags);
	return rc ? rc : bt_recheck_add(c->j, rel, flags);
}

/* The names a namespace row changes (a symlink's path2 is its target). */
static bool two_names(const struct bt_op_rec *r)
{
	return r->op == BT_OP_RENAME || r->op == BT_OP_LINK;
}

static int mark_row(struct bt_ctx *c, struct bt_recheck_set *rs, const struct bt_op_rec *r)
{
	int rc = reserved(r->path) ? 0 : mark(c, rs, r->path, BT_RECHECK_DEEP);

	if (rc == 0 && two_names(r) && !reserved(r->path2))
		rc = mark(c, rs, r->path2, BT_RECHECK_DEEP);
	return rc;
}

static bool touches(struct bt_recheck_set *rs, const char *rel)
{
	return bt_recheck_covers(rs, rel) || bt_recheck_below(rs, rel);
}

/* Whether the row must be turned into names to recheck. A plain rename of
 * a directory above recheck names is applied (their names follow it):
 * moving a big directory stays one rename. */
static bool must_convert(struct bt_recheck_set *rs, const struct bt_op_rec *r, bool *follow)
{
	*follow = false;
	if (rs->n == 0)
		return false;
	if (r->op == BT_OP_RENAME && !(r->len & RENAME_EXCHANGE) &&
	    !bt_recheck_covers(rs, r->path) && !touches(rs, r->path2)) {
		*follow = bt_recheck_below(rs, r->path);
		return false;
	}
	return touches(rs, r->path) || (two_names(r) && touches(rs, r->path2));
}

/* What the remote holds at rel: 1 = something, 0 = nothing, -errno when
 * the path to it does not lead there (a file or symlink in the way). */
static int remote_has(struct bt_remote *rem, const char *rel)
{
	const char *leaf;
	struct stat st;
	int pfd = bt_open_parent(rem->rootfd, rel, &leaf), rc;

	if (pfd < 0)
		return pfd;
	rc = fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 ? 1 : errno == ENOENT ? 0 : -errno;
	close(pfd);
	return rc;
}

/* The exchange sub-step a killed run persisted (0: none). */
static int64_t ns_step(struct bt_ctx *c)
{
	int64_t step = 0;

	bt_meta_get_i64(c->j, BT_META_NS_DONE_STEP, &step);
	return step;
}

/* The remote must hold what the row expects: the names it moves or links
 * exist, the names it creates do not. Checked for every row, also the first
 * after ns_done_seq, which a killed run may have applied already: its names
 * are then compared with the source, a few stats, instead of guessing that
 * "target there, source gone" means done. 0, or -EEXIST / -ENOENT /
 * another -errno meaning the remote diverged. */
static int precondition(struct bt_remote *rem, const struct bt_op_rec *r)
{
	int has = remote_has(rem, r->path), has2;

	if (has < 0)
		return has;
	switch (r->op) {
	case BT_OP_CREATE:
	case BT_OP_MKDIR:
	case BT_OP_MKNOD:
	case BT_OP_SYMLINK:
		return has ? -EEXIST : 0;
	case BT_OP_LINK:
		has2 = remote_has(rem, r->path2);
		return has2 < 0 ? has2 : !has ? -ENOENT : has2 ? -EEXIST : 0;
	case BT_OP_RENAME:
		has2 = remote_has(rem, r->path2);
		if (has2 < 0)
			return has2;
		if (r->len & RENAME_EXCHANGE)
			return has && has2 ? 0 : -ENOENT;
		return has ? 0 : -ENOENT;
	default:
		return 0;
	}
}

static int persist_ns(struct bt_ctx *c, int64_t seq, int step)
{
	int rc = bt_journal_begin(c->j);

	rc = rc ? rc : bt_meta_set_i64(c->j, BT_META_NS_DONE_SEQ, seq);
	rc = rc ? rc : bt_meta_set_i64(c->j, BT_META_NS_DONE_STEP, step);
	rc = rc ? rc : bt_journal_commit(c->j);
	if (rc)
		bt_journal_rollback(c->j);
	return rc;
}

static int create_empty(struct bt_remote *r, const char *rel)
{
	int fd = bt_open_beneath(r->rootfd, rel, O_WRONLY | O_CREAT | O_EXCL, 0600);

	if (fd == -EEXIST)
		return 0;
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static int exchange(struct bt_ctx *c, const struct bt_op_rec *r)
{
	int64_t stored = 0;
	int step, rc;

	if ((rc = bt_meta_get_i64_or(c->j, BT_META_NS_DONE_STEP, &stored, 0)) < 0)
		return rc;
	step = (int)stored;
	c->remote.cur_seq = r->seq;
	while ((rc = bt_remote_exchange(&c->remote, r->path, r->path2, &step)) == -EINPROGRESS) {
		rc = persist_ns(c, r->seq - 1, step);
		if (rc < 0)
			return rc;
	}
	return rc;
}

static dev_t source_rdev(struct bt_ctx *c, const char *rel)
{
	int fd = bt_open_beneath(c->readfd, rel, O_PATH, 0);
	struct stat st = { 0 };

	if (fd >= 0) {
		fstat(fd, &st);
		close(fd);
	}
	return st.st_rdev;
}

/* One namespace row on the remote. */
static int apply_ns(struct bt_ctx *c, const struct bt_op_rec *r,
		    struct bt_dirty_set *dirty)
{
	struct bt_remote *rem = &c->remote;
	int rc;

	switch (r->op) {
	case BT_OP_MKDIR:
		return bt_remote_mkdir(rem, r->path, 0700);
	case BT_OP_CREATE:
		return create_empty(rem, r->path);
	case BT_OP_MKNOD:
		/* btsootfs records the device number in off; rows of older
		 * journals (off 0) take it from the source. */
		return bt_remote_mknod(rem, r->path, r->mode,
				       r->off ? (dev_t)r->off : source_rdev(c, r->path));
	case BT_OP_SYMLINK:
		return bt_remote_symlink(rem, r->path2 ? r->path2 : "", r->path);
	case BT_OP_LINK:
		rc = bt_remote_link(rem, r->path, r->path2);
		if (rc == -ENOTSUP || rc == -ENOENT) {
			/* No hard links there (or no first name): copy instead. */
			struct bt_op_rec cr = { .op = BT_OP_CREATE, .ino = r->ino,
						.path = r->path2 };

			return bt_dirty_apply(dirty, &cr);
		}
		return rc;
	case BT_OP_RENAME:
		if (r->len & RENAME_EXCHANGE)
			return exchange(c, r);
		return bt_remote_rename(rem, r->path, r->path2);
	case BT_OP_UNLINK:
	case BT_OP_RMDIR:
		return bt_remote_retire(rem, r->path);
	default:
		return 0;
	}
}

static void say_error(struct bt_ctx *c, const char *what, const char *rel, int rc)
{
	char p[512];

	snprintf(c->err, sizeof(c->err), "%s %s on remote %s: %s", what,
		 bt_path_printable(rel, p, sizeof(p)), c->block.remote, strerror(-rc));
}

/* Persists a recheck set whose names followed a rename: rewritten whole
 * (it is small) in the transaction that records the rename as done. */
static int persist_followed(struct bt_ctx *c, struct bt_recheck_set *rs, int64_t seq)
{
	int rc = bt_journal_begin(c->j);

	rc = rc ? rc : bt_recheck_clear(c->j);
	for (size_t i = 0; rc == 0 && i < rs->n; i++)
		rc = bt_recheck_add(c->j, rs->v[i].name, rs->v[i].flags);
	rc = rc ? rc : bt_meta_set_i64(c->j, BT_META_NS_DONE_SEQ, seq);
	rc = rc ? rc : bt_meta_set_i64(c->j, BT_META_NS_DONE_STEP, 0);
	rc = rc ? rc : bt_journal_commit(c->j);
	if (rc)
		bt_journal_rollback(c->j);
	return rc;
}

/* Applies one namespace row, or turns it into names to recheck. */
static int replay_ns_row(struct bt_ctx *c, const struct bt_op_rec *r, int64_t done,
			 struct bt_dirty_set *dirty, struct bt_recheck_set *rs,
			 struct bt_replay_stats *st)
{
	/* An exchange a killed run left halfway resumes at its sub-step. */
	bool follow, resume = r->seq == done + 1 && (r->len & RENAME_EXCHANGE) &&
			      ns_step(c) > 0;
	size_t moved = 0;
	int rc = 0;

	if (must_convert(rs, r, &follow)) {
		bt_debug("row %lld touches names to recheck: not applied", (long long)r->seq);
		rc = mark_row(c, rs, r);
		st->converted++;
	} else {
		rc = resume ? 0 : precondition(&c->remote, r);
		rc = rc ? rc : apply_ns(c, r, dirty);
		if (diverged(rc)) {
			char p[512];

			bt_notice("%s %s: the remote does not hold what the journal expects; "
				  "comparing it with the source", bt_op_name(r->op),
				  bt_path_printable(r->path, p, sizeof(p)));
			rc = mark_row(c, rs, r);
			st->converted++;
			follow = false;
		} else if (rc == 0) {
			st->ns_applied++;
		}
	}
	if (rc < 0) {
		say_error(c, bt_op_name(r->op), r->path, rc);
		return rc;
	}
	if (follow)
		rc = bt_recheck_set_rename(rs, r->path, r->path2, &moved);
	if (rc == 0 && moved)
		return persist_followed(c, rs, r->seq);
	return rc ? rc : persist_ns(c, r->seq, 0);
}

static int namespace_phase(struct bt_ctx *c, struct bt_batch *b, struct bt_dirty_set *dirty,
			   struct bt_recheck_set *rs, struct bt_replay_stats *st)
{
	int64_t done = 0;
	int rc;

	if ((rc = bt_meta_get_i64_or(c->j, BT_META_NS_DONE_SEQ, &done, 0)) < 0)
		return rc;
	for (size_t i = 0; i < b->n; i++) {
		struct bt_op_rec *r = &b->v[i];

		if (r->op == BT_OP_NONE)
			continue;
		if (!row_valid(r)) {
			bt_warn("journal row %lld has an invalid path; comparing the whole tree",
				(long long)r->seq);
			rc = mark(c, rs, "", BT_RECHECK_DEEP);
			if (rc < 0)
				return rc;
			continue;
		}
		if (reserved(r->path) || (r->path2 && r->op != BT_OP_SYMLINK && reserved(r->path2))) {
			/* Moved in or out of the reserved name: the other name
			 * is compared with the source instead. */
			rc = r->op == BT_OP_RENAME && r->seq > done ? mark_row(c, rs, r) : 0;
			if (rc < 0)
				return rc;
			continue;
		}
		if (r->op == BT_OP_META && !*r->path && r->len == BT_META_NAMELESS) {
			bt_debug("row %lld: a change btsootfs could not name; comparing the "
				 "whole tree", (long long)r->seq);
			if ((rc = mark(c, rs, "", BT_RECHECK_DEEP)) < 0)
				return rc;
			continue;
		}
		bt_debug("row %lld %s %s%s%s ino %llu off %lld len %lld mode %u", (long long)r->seq,
			 bt_op_name(r->op), r->path, r->path2 ? " -> " : "",
			 r->path2 ? r->path2 : "", (unsigned long long)r->ino, (long long)r->off,
			 (long long)r->len, r->mode);
		rc = bt_dirty_apply(dirty, r);
		if (rc < 0)
			return rc;
		if (!is_namespace(r->op) || r->seq <= done)
			continue;
		rc = replay_ns_row(c, r, done, dirty, rs, st);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Opens the dirty file e for reading, if the source still holds it (the
 * same inode, a regular file) at e->path; else -ENOENT. Opened O_PATH first
 * so a fifo or device now at that name is never opened for real. */
static int open_source_file(struct bt_ctx *c, const struct bt_dirty *e, struct stat *s)
{
	int fd = bt_reopen_file_beneath(c->readfd, e->path, O_RDONLY, s);

	if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP) {
		bt_debug("copy %s: gone from the source: kept for later", e->path);
		return -ENOENT;
	}
	if (fd == -EEXIST || (fd >= 0 && e->ino && s->st_ino != e->ino)) {
		bt_debug("copy %s: another object there now: kept for later", e->path);
		if (fd >= 0)
			close(fd);
		return -ENOENT;
	}
	return fd;
}

static int copy_whole(struct bt_ctx *c, int fd, const struct stat *s, struct bt_dirty *e)
{
	int rc = 0;

	/* A retried run keeps what an earlier attempt copied (the rule is in
	 * sync/remote_ledger.c); the ledger lets the next retry do the same. */
	if (!bt_remote_copied_before(&c->remote, s, e->path)) {
		rc = bt_remote_copy_whole(&c->remote, fd, s, e->path);
		if (rc == 0)
			bt_remote_note_copied(&c->remote, e->path);
	}

	if (rc == 0)
		e->flags &= ~(BT_DIRTY_META | BT_DIRTY_XATTR); /* set on the copy */
	return rc;
}

/* Ranges into the remote file as it is (if_size: see
 * bt_remote_copy_ranges); a remote file that is missing or of another kind
 * gets a whole copy. */
static int copy_in_place(struct bt_ctx *c, int fd, const struct stat *s, struct bt_dirty *e,
			 const struct bt_extents *clip, int64_t if_size)
{
	/* A crash halfway leaves the journal rows in place: the next run
	 * writes the same ranges again. */
	int rc = bt_remote_copy_ranges(&c->remote, fd, s, e->path, clip, if_size);

	if (rc == -ENOENT || rc == -EEXIST)
		rc = bt_remote_copy_whole(&c->remote, fd, s, e->path);
	return rc;
}

/* One range, from somewhere in the file to its end, on a file that is not
 * new: it may be an append (copy_in_place with if_size checks the remote
 * really ends where the range begins). */
static bool appended_only(const struct bt_dirty *e, const struct bt_extents *clip,
			  const struct stat *s)
{
	return !(e->flags & BT_DIRTY_NEW) && clip->n == 1 && clip->v[0].off > 0 &&
	       clip->v[0].end == s->st_size;
}

/* Copies one dirty file. 1 = done, 0 = source moved on (keep), <0 error. */
static int copy_file(struct bt_ctx *c, struct bt_dirty *e, struct bt_recheck_set *rs,
		     struct bt_replay_stats *st)
{
	struct bt_extents clip;
	struct stat s;
	bool whole;
	int fd, rc;

	fd = open_source_file(c, e, &s);
	if (fd == -ENOENT)
		return 0; /* moved on: a later row names it again */
	if (fd < 0) { /* kept: tried again next run, then left to a rescan */
		bt_warn("cannot read source file %s: %s; trying again next run", e->path,
			strerror(-fd));
		return 0;
	}
	bt_extents_init(&clip);
	rc = bt_extents_merge(&clip, &e->ext);
	bt_extents_clip(&clip, s.st_size);
	whole = (e->flags & BT_DIRTY_NEW) || s.st_size <= SMALL_FILE ||
		bt_extents_bytes(&clip) >= s.st_size / 2;
	bt_debug("copy %s ino %llu size %lld links %u: %s, %zu ranges from %lld",
		 e->path, (unsigned long long)s.st_ino, (long long)s.st_size,
		 (unsigned)s.st_nlink, whole ? "whole" : "ranges", clip.n,
		 clip.n ? (long long)clip.v[0].off : -1LL);
	if (rc == 0 && s.st_nlink > 1) {
		/* In place keeps the remote's hard links intact. */
		if (whole) {
			bt_extents_clear(&clip);
			bt_extents_add(&clip, 0, s.st_size ? s.st_size : 1);
		}
		rc = copy_in_place(c, fd, &s, e, &clip, -1);
	} else if (rc == 0 && whole && appended_only(e, &clip, &s)) {
		/* Growth past the remote's end: the old version is a prefix of
		 * the new one, so writing just the tail loses nothing a whole
		 * copy (with its old version in the trash) would keep. */
		rc = copy_in_place(c, fd, &s, e, &clip, clip.v[0].off);
		if (rc == -ESTALE) /* not an append after all */
			rc = copy_whole(c, fd, &s, e);
	} else if (rc == 0 && whole) {
		rc = copy_whole(c, fd, &s, e);
	} else if (rc == 0) {
		rc = copy_in_place(c, fd, &s, e, &clip, -1);
	}
	bt_extents_free(&clip);
	close(fd);
	if (diverged(rc)) {
		bt_notice("copy of %s: the remote does not hold its directory; comparing it "
			  "with the source", e->path);
		rc = mark(c, rs, e->path, BT_RECHECK_DEEP | BT_RECHECK_CONTENT);
		return rc ? rc : 1;
	}
	if (rc < 0) {
		say_error(c, "copy of", e->path, rc);
		return rc;
	}
	st->files++;
	return 1;
}

/* The bytes of e's ranges, a range "to the end" up to the source's size
 * now (a few stats, for the progress line only). */
static int64_t dirty_bytes(struct bt_ctx *c, const struct bt_dirty *e)
{
	int64_t sum = 0;
	struct stat st;

	for (size_t k = 0; k < e->ext.n; k++) {
		int64_t off = e->ext.v[k].off, end = e->ext.v[k].end;

		if (end == BT_EXTENT_EOF)
			end = fstatat(c->readfd, e->path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			      st.st_size > off ? st.st_size : off;
		if (end > off && sum <= INT64_MAX - (end - off))
			sum += end - off;
	}
	return sum;
}

/* What data_phase is about to copy, added to the progress line's totals. */
static void progress_total(struct bt_ctx *c, const struct bt_dirty_set *d)
{
	int64_t files = 0, bytes = 0, b;

	for (size_t i = 0; c->progress && i < d->n; i++) {
		if (d->v[i].path && d->v[i].ext.n) {
			files++;
			b = dirty_bytes(c, &d->v[i]);
			bytes = bytes <= INT64_MAX - b ? bytes + b : INT64_MAX;
		}
	}
	bt_progress_total_add(c->progress, files, bytes);
}

static int data_phase(struct bt_ctx *c, struct bt_dirty_set *d, struct bt_recheck_set *rs,
		      struct bt_replay_stats *st)
{
	size_t n = d->n;

	progress_total(c, d);

	for (size_t i = 0; i < n; i++) {
		struct bt_dirty *e = &d->v[i];
		int rc = 0;

		if (e->flags & BT_DIRTY_LOST) /* no name known for its data */
			rc = mark(c, rs, "", BT_RECHECK_DEEP);
		if (rc < 0)
			return rc;
		if (!e->path || !e->ext.n)
			continue;
		if (bt_recheck_covers(rs, e->path)) {
			/* Not written into a remote name of unknown state (in
			 * place it could be another file's inode). The comparison
			 * copies that name whatever its times say, and the ranges
			 * wait in pending, following later renames, until their
			 * name is compared: a hard link outside the set shares
			 * this inode and needs them too. */
			rc = mark(c, rs, e->path, BT_RECHECK_DEEP | BT_RECHECK_CONTENT);
			if (rc < 0)
				return rc;
			st->held++;
			continue;
		}
		rc = copy_file(c, e, rs, st);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			bt_extents_clear(&e->ext);
			/* A publish by rename changed the remote directory's times. */
			rc = bt_dirty_touch_parent(d, d->v[i].path);
			if (rc < 0)
				return rc;
			continue;
		}
		/* Keep it for the next run; after a few, compare its name. */
		if (++e->tries > MAX_TRIES) { /* lost track of it: compare everything */
			rc = mark(c, rs, "", BT_RECHECK_DEEP);
			bt_extents_clear(&e->ext);
			if (rc < 0)
				return rc;
		} else {
			st->deferred++;
		}
	}
	return 0;
}

/* An entry of the metadata phase, with its depth worked out once. */
struct meta_item {
	struct bt_dirty *e;
	size_t depth;
};

static int cmp_depth_desc(const void *a, const void *b)
{
	const struct meta_item *x = a, *y = b;
	bool xd = x->e->flags & BT_DIRTY_DIR, yd = y->e->flags & BT_DIRTY_DIR;

	if (xd != yd)
		return xd ? 1 : -1; /* files before directories */
	if (x->depth != y->depth)
		return (x->depth < y->depth) - (x->depth > y->depth);
	/* Same depth: by name, so each directory's entries are consecutive
	 * and its descriptor is opened once (struct meta_dirs). */
	return strcmp(x->e->path, y->e->path);
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The directories the metadata phase last used, on each side. The remote's
 * stays valid through the phase: it changes no names there, and the
 * replay is the remote's only writer. The source's may be renamed
 * meanwhile; what is read through it is checked against the entry's
 * inode number like a fresh lookup. */
struct meta_dirs {
	struct bt_dircache src, rem;
};

/* The source's stat of e, and with want_fd an O_PATH descriptor of it
 * (else *fd = -1). 0, or -errno when the source has no such object there
 * now (another inode counts as none: -ENOENT). */
static int source_meta(struct bt_ctx *c, struct meta_dirs *md, const struct bt_dirty *e,
		       bool want_fd, struct stat *s, int *fd)
{
	const char *leaf = "";
	int pfd = *e->path ? bt_dircache_parent(&md->src, e->path, &leaf) : c->readfd;
	int rc = 0;

	*fd = -1;
	if (pfd < 0)
		return pfd;
	if (want_fd || !*e->path) {
		*fd = bt_open_beneath(pfd, leaf, O_PATH, 0);
		rc = *fd < 0 ? *fd : fstat(*fd, s) < 0 ? -errno : 0;
	} else if (fstatat(pfd, leaf, s, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = -errno;
	}
	if (rc == 0 && e->ino && s->st_ino != e->ino)
		rc = -ENOENT;
	if (rc < 0 && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return rc;
}

static int remote_meta(struct bt_ctx *c, struct meta_dirs *md, const struct bt_dirty *e,
		       const struct stat *s, int srcfd, bool with_xattrs)
{
	const char *leaf;
	int pfd;

	if (!*e->path)
		return bt_remote_set_meta(&c->remote, "", s, srcfd, with_xattrs);
	pfd = bt_dircache_parent(&md->rem, e->path, &leaf);
	return pfd < 0 ? pfd : bt_remote_set_meta_at(&c->remote, pfd, leaf, s, srcfd, with_xattrs);
}

static int set_one_meta(struct bt_ctx *c, struct meta_dirs *md, struct bt_dirty *e,
			struct bt_recheck_set *rs)
{
	bool xattrs = e->flags & (BT_DIRTY_XATTR | BT_DIRTY_NEW);
	struct stat s;
	int fd, rc = source_meta(c, md, e, xattrs, &s, &fd);

	if (rc < 0) {
		/* Moved on in rows after this batch: they will name it again.
		 * Keep the flags until then, or the remote keeps, say, the 0700
		 * a replayed MKDIR gave it. */
		if (++e->tries > MAX_TRIES)
			return mark(c, rs, "", BT_RECHECK_DEEP);
		e->flags |= BT_DIRTY_CARRY;
		return 0;
	}
	if (S_ISREG(s.st_mode) && !before(&s.st_ctim, &c->changes_after)) {
		/* Changed since the replay began: its data may not be here yet. */
		s.st_atim.tv_nsec = UTIME_OMIT;
		s.st_mtim.tv_nsec = UTIME_OMIT;
		e->flags |= BT_DIRTY_CARRY;
	}
	bt_debug("meta %s ino %llu mtime %lld.%09ld%s", e->path, (unsigned long long)s.st_ino,
		 (long long)s.st_mtim.tv_sec, s.st_mtim.tv_nsec,
		 s.st_mtim.tv_nsec == UTIME_OMIT ? " (times left for later)" : "");
	rc = remote_meta(c, md, e, &s, fd, xattrs);
	if (fd >= 0)
		close(fd);
	if (rc == -ENOENT || rc == -ESTALE || rc == -ELOOP || rc == -ENOTDIR)
		return mark(c, rs, e->path, BT_RECHECK_DEEP); /* the remote disagrees */
	if (rc < 0)
		say_error(c, "metadata of", e->path, rc);
	return rc;
}

static int meta_phase(struct bt_ctx *c, struct bt_dirty_set *d, struct bt_recheck_set *rs)
{
	struct meta_item *order = malloc((d->n + 1) * sizeof(*order));
	struct meta_dirs md;
	size_t n = 0;
	int rc = 0;

	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].path && !d->v[i].ext.n && !reserved(d->v[i].path) &&
		    (d->v[i].flags & (BT_DIRTY_META | BT_DIRTY_XATTR | BT_DIRTY_DIR)) &&
		    !bt_recheck_covers(rs, d->v[i].path)) /* compared anyway */
			order[n++] = (struct meta_item){ &d->v[i], bt_path_depth(d->v[i].path) };
	qsort(order, n, sizeof(*order), cmp_depth_desc);
	bt_dircache_init(&md.src, c->readfd);
	bt_dircache_init(&md.rem, c->remote.rootfd);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = set_one_meta(c, &md, order[i].e, rs);
	bt_dircache_free(&md.src);
	bt_dircache_free(&md.rem);
	free(order);
	return rc;
}

/* A pending row's mode: the runs tried so far and the entry's flags, so a
 * carried-over entry keeps "new" and "xattrs changed" (BT_DIRTY_*). */
#define CARRY_FLAGS (BT_DIRTY_NEW | BT_DIRTY_META | BT_DIRTY_XATTR | BT_DIRTY_DIR)

static uint32_t carry_mode(const struct bt_dirty *e)
{
	return (uint32_t)(e->tries & 0xff) | (e->flags & CARRY_FLAGS) << 8;
}

/* Entries the source had moved on from, as rows for the pending table. */
static int carry_over(struct bt_dirty_set *d, struct bt_batch *out)
{
	for (size_t i = 0; i < d->n; i++) {
		struct bt_dirty *e = &d->v[i];
		struct bt_op_rec r = {
			.op = BT_OP_META, .ino = e->ino, .path = e->path,
			.mode = carry_mode(e),
		};
		int rc = 0;

		if (e->path && !e->ext.n && (e->flags & BT_DIRTY_CARRY))
			rc = bt_batch_collect(&r, out);
		for (size_t k = 0; rc == 0 && e->path && k < e->ext.n; k++) {
			r.op = BT_OP_WRITE;
			r.off = e->ext.v[k].off;
			r.len = e->ext.v[k].end - e->ext.v[k].off;
			rc = bt_batch_collect(&r, out);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int load_pending(struct bt_ctx *c, struct bt_dirty_set *d)
{
	struct bt_batch p = { 0 };
	int rc = bt_pending_read(c->j, bt_batch_collect, &p);

	for (size_t i = 0; rc == 0 && i < p.n; i++) {
		struct bt_op_rec *r = &p.v[i];
		int tries = (int)(r->mode & 0xff);
		unsigned flags = (r->mode >> 8) & CARRY_FLAGS;

		if (!row_valid(r))
			continue;
		bt_debug("pending %s %s ino %llu off %lld len %lld", bt_op_name(r->op), r->path,
			 (unsigned long long)r->ino, (long long)r->off, (long long)r->len);
		rc = bt_dirty_apply(d, r);
		for (size_t k = 0; rc == 0 && k < d->n; k++) {
			struct bt_dirty *e = &d->v[k];

			if (e->ino != r->ino || !e->path || strcmp(e->path, r->path))
				continue;
			e->flags |= flags;
			if (tries > e->tries)
				e->tries = tries;
		}
	}
	bt_batch_free(&p);
	return rc;
}

static int finish_batch(struct bt_ctx *c, int64_t end, struct bt_dirty_set *d)
{
	struct bt_batch keep = { 0 };
	int rc = carry_over(d, &keep);

	rc = rc ? rc : bt_journal_begin(c->j);
	rc = rc ? rc : bt_journal_prune(c->j, end);
	rc = rc ? rc : bt_pending_replace(c->j, keep.v, keep.n);
	rc = rc ? rc : bt_meta_set_i64(c->j, BT_META_SYNCED_SEQ, end);
	rc = rc ? rc : bt_meta_set_i64(c->j, BT_META_NS_DONE_SEQ, end);
	rc = rc ? rc : bt_meta_set_i64(c->j, BT_META_NS_DONE_STEP, 0);
	rc = rc ? rc : bt_journal_commit(c->j);
	if (rc)
		bt_journal_rollback(c->j);
	bt_batch_free(&keep);
	return rc;
}

static int one_batch(struct bt_ctx *c, int64_t after, int64_t upto, int64_t *end,
		     struct bt_recheck_set *rs, struct bt_replay_stats *st)
{
	struct bt_batch b = { 0 };
	struct bt_dirty_set d;
	int rc;

	bt_dirty_init(&d);
	rc = load_pending(c, &d);
	rc = rc ? rc : bt_journal_read(c->j, after, upto, BATCH_ROWS, bt_batch_collect, &b);
	if (rc < 0) {
		snprintf(c->err, sizeof(c->err), "reading journal %s: %s",
			 c->block.journal, strerror(-rc));
		goto out;
	}
	/* A short read means nothing more up to `upto` was committed. */
	*end = b.n == BATCH_ROWS ? b.v[b.n - 1].seq : upto;
	st->rows += (int64_t)b.n;
	{
		int64_t applied = 0;

		if ((rc = bt_meta_get_i64_or(c->j, BT_META_NS_DONE_SEQ, &applied, 0)) < 0)
			goto out;
		st->dropped += bt_compact(b.v, b.n, applied);
	}
	rc = namespace_phase(c, &b, &d, rs, st);
	rc = rc ? rc : data_phase(c, &d, rs, st);
	rc = rc ? rc : meta_phase(c, &d, rs);
	if (rc == 0)
		rc = finish_batch(c, *end, &d);
	if (rc < 0 && !c->err[0])
		snprintf(c->err, sizeof(c->err), "replay of block '%s': %s", c->block.name,
			 strerror(-rc));
out:
	bt_batch_free(&b);
	bt_dirty_free(&d);
	return rc;
}

/* Exchange parking spots that no row left to replay names (a killed or
 * abandoned exchange) go to the trash; the next rows' may be resumed. */
static void unpark_stale(struct bt_ctx *c, int64_t upto)
{
	int64_t done = 0;
	int rc;

	bt_meta_get_i64(c->j, BT_META_NS_DONE_SEQ, &done);
	rc = bt_remote_unpark_stale(&c->remote, done + 1, upto);
	if (rc < 0)
		bt_warn("block '%s': cannot move stale exchange parking spots in %s/.btsoot to "
			"the trash: %s", c->block.name, c->block.remote, strerror(-rc));
}

int bt_replay(struct bt_ctx *c, int64_t upto, struct bt_replay_stats *st)
{
	struct bt_recheck_set rs = { 0 };
	int64_t synced = 0, end = 0;
	int rc;

	if ((rc = bt_meta_get_i64_or(c->j, BT_META_SYNCED_SEQ, &synced, 0)) < 0)
		return rc; /* -EUCLEAN: garbled, never "nothing synced" */
	unpark_stale(c, upto);
	rc = bt_recheck_set_load(&rs, c->j);
	if (rc < 0) {
		snprintf(c->err, sizeof(c->err), "reading journal %s: %s", c->block.journal,
			 strerror(-rc));
		return rc;
	}
	/* Always one pass, even with no rows: pending files may be waiting. */
	do {
		rc = one_batch(c, synced, upto, &end, &rs, st);
		synced = end;
	} while (rc == 0 && synced < upto);
	bt_recheck_set_free(&rs);
	if (rc == 0) /* complete: nothing left to retry */
		bt_remote_ledger_clear(&c->remote);
	return rc;
}
