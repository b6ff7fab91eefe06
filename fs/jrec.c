/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Recording mutations. Namespace changes hold fs->ns_mu across the syscall,
 * the path computation and the append, so seq order is the filesystem's
 * order and a row's paths are valid at its seq. Data writes only add to the
 * inode's extent set; the extents become WRITE rows on flush, fsync,
 * release, forget and every second (the flusher thread).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btsoot/log.h"
#include "btsoot/pathsafe.h"
#include "btsoot/rescan_note.h"
#include "fs.h"

#define DELETED_SUFFIX " (deleted)"
#define MAX_RANGES_PER_FILE 4096

bool jrec_refused(struct bt_fs *fs)
{
	return !fs->nojournal && bt_jw_broken(fs->j);
}

void jrec_mark_rescan(struct bt_fs *fs, const char *why)
{
	jrec_note_rescan(fs, why, true);
}

void jrec_note_rescan(struct bt_fs *fs, const char *why, bool failure)
{
	/* A new note each time, even when one is there: a sync comparing
	 * the tree now removes the note it saw before it began, and this
	 * change may lie where its walk has already been. */
	int rc = bt_rescan_note_set(fs->state_dir, why);

	fs->rescan_marked = true;
	if (rc == 0)
		return; /* said already */
	if (failure)
		bt_err("journal incomplete (%s): the next btsoot-sync will rescan", why);
	else
		bt_warn("journal incomplete (%s): the next btsoot-sync will rescan", why);
	if (rc < 0)
		bt_err("cannot write %s/NEEDS_RESCAN: %s", fs->state_dir, strerror(-rc));
}

/* The kernel's name for the object behind fd, relative to the root. */
static char *rel_of_fd(struct bt_fs *fs, int fd, bool *deleted)
{
	char proc[64], buf[PATH_MAX + 16];
	ssize_t n;

	*deleted = false;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, sizeof(buf) - 1);
	if (n < 0 || n >= (ssize_t)sizeof(buf) - 1)
		return NULL;
	buf[n] = '\0';
	if ((size_t)n > strlen(DELETED_SUFFIX) &&
	    !strcmp(buf + n - strlen(DELETED_SUFFIX), DELETED_SUFFIX))
		*deleted = true;
	if ((size_t)n == fs->rootlen && !memcmp(buf, fs->rootpath, fs->rootlen))
		return strdup("");
	if ((size_t)n <= fs->rootlen + 1 || memcmp(buf, fs->rootpath, fs->rootlen) ||
	    buf[fs->rootlen] != '/')
		return NULL;
	return strdup(buf + fs->rootlen + 1);
}

/* The live name behind fd, or NULL. */
static char *live_name(struct bt_fs *fs, struct bt_inode *in, int fd)
{
	bool deleted;
	char *rel = rel_of_fd(fs, fd, &deleted);
	struct stat st;

	if (rel && !deleted)
		return rel;
	if (rel && deleted) {
		/* Either a file really named "x (deleted)", or a removed name. */
		if (fstatat(fs->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_ino == in->ino)
			return rel;
		rel[strlen(rel) - strlen(DELETED_SUFFIX)] = '\0';
		if (fstatat(fs->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_ino == in->ino)
			return rel;
	}
	free(rel);
	return NULL;
}

char *jrec_inode_path(struct bt_fs *fs, struct bt_inode *in)
{
	char *rel;

	if (in == &fs->root)
		return strdup("");
	rel = live_name(fs, in, in->fd);
	if (rel)
		return rel;
	pthread_mutex_lock(bt_inode_lock(fs, in));
	for (int i = 0; !rel && in->more && i < BT_NAME_FDS; i++)
		if (in->more->name_fds[i] >= 0)
			rel = live_name(fs, in, in->more->name_fds[i]);
	pthread_mutex_unlock(bt_inode_lock(fs, in));
	return rel;
}

char *jrec_child_path(struct bt_fs *fs, struct bt_inode *parent, const char *name)
{
	char *dir = jrec_inode_path(fs, parent), *out;
	size_t dl, nl = strlen(name);

	if (!dir)
		return NULL;
	dl = strlen(dir);
	out = malloc(dl + nl + 2);
	if (out) {
		if (dl)
			sprintf(out, "%s/%s", dir, name);
		else
			memcpy(out, name, nl + 1);
	}
	free(dir);
	return out;
}

/* -o debug: one line per row, as the journal holds it. */
static void trace_row(const struct bt_op_rec *r, int64_t seq)
{
	char p[512], p2[512], res[64];

	if (seq < 0)
		snprintf(res, sizeof(res), "not journaled: %s", strerror((int)-seq));
	else
		snprintf(res, sizeof(res), "seq %lld", (long long)seq);
	bt_debug("journal: %s %s%s%s off %lld len %lld mode %o ino %llu (%s)",
		 bt_op_name(r->op), *r->path ? bt_path_printable(r->path, p, sizeof(p)) : ".",
		 r->path2 ? " -> " : "", r->path2 ? bt_path_printable(r->path2, p2, sizeof(p2)) : "",
		 (long long)r->off, (long long)r->len, (unsigned)r->mode,
		 (unsigned long long)r->ino, res);
}

int jrec_append(struct bt_fs *fs, int op, uint64_t ino, const char *path,
		const char *path2, int64_t off, int64_t len, uint32_t mode)
{
	struct bt_op_rec r = {
		.op = op, .ino = ino, .path = (char *)path, .path2 = (char *)path2,
		.off = off, .len = len, .mode = mode,
	};
	int64_t seq;

	if (fs->nojournal)
		return 0;
	if (!path) {
		char why[96];

		/* Still linked under a name btsootfs never looked up (its
		 * known names went away): a limit of following by name, not
		 * a failure; the rescan finds the change. */
		snprintf(why, sizeof(why), "%s of inode %llu: no name of it is known",
			 bt_op_name(op), (unsigned long long)ino);
		jrec_note_rescan(fs, why, false);
		r = (struct bt_op_rec){ .op = BT_OP_META, .ino = ino, .path = "",
					.len = BT_META_NAMELESS };
	}
	seq = bt_jw_append(fs->j, &r);
	if (fs->debug)
		trace_row(&r, seq);
	if (seq < 0) {
		jrec_mark_rescan(fs, "journal append failed");
		return -EROFS;
	}
	return 0;
}

void jrec_inode_op(struct bt_fs *fs, struct bt_inode *in, int op, int64_t off)
{
	struct stat st;
	char *path;

	if (fs->nojournal)
		return;
	pthread_mutex_lock(&fs->ns_mu);
	path = jrec_inode_path(fs, in);
	/* A file with no name left (open, then unlinked) cannot reach the
	 * remote: its change is moot, not a reason to rescan. */
	if (path || fstat(in->fd, &st) < 0 || st.st_nlink > 0)
		jrec_append(fs, op, in->ino, path, NULL, off, 0, 0);
	pthread_mutex_unlock(&fs->ns_mu);
	free(path);
}

struct bt_inode *jrec_name_gone(struct bt_fs *fs, const struct stat *st)
{
	struct bt_inode *in;
	char *path;

	if (fs->nojournal || S_ISDIR(st->st_mode) || st->st_nlink < 2)
		return NULL;
	in = bt_inode_find(fs, st->st_ino, st->st_dev);
	if (!in)
		return NULL; /* never looked up: nothing of it is dirty here */
	path = jrec_inode_path(fs, in);
	if (path) /* a META row carries the name the file lives on under */
		jrec_append(fs, BT_OP_META, st->st_ino, path, NULL, 0, 0, 0);
	free(path);
	return in;
}

void jrec_add_extent(struct bt_fs *fs, struct bt_inode *in, int64_t off, int64_t end)
{
	if (fs->nojournal || end <= off)
		return;
	struct bt_inode_more *m;
	bool lost;

	pthread_mutex_lock(bt_inode_lock(fs, in));
	m = bt_inode_more(in);
	lost = !m;
	if (m && bt_extents_add(&m->ext, off, end) < 0) {
		/* Cannot remember the range: fall back to "whole file". */
		bt_extents_clear(&m->ext);
		lost = bt_extents_add(&m->ext, 0, BT_EXTENT_EOF) < 0;
	}
	if (m)
		bt_extents_coarsen(&m->ext, MAX_RANGES_PER_FILE);
	__atomic_store_n(&in->has_ext, m != NULL, __ATOMIC_RELAXED);
	pthread_mutex_unlock(bt_inode_lock(fs, in));
	if (lost)
		jrec_mark_rescan(fs, "out of memory recording written ranges");
}

void jrec_flush_inode(struct bt_fs *fs, struct bt_inode *in)
{
	struct bt_extents ext;
	struct stat st;
	char *path;

	if (fs->nojournal || !__atomic_load_n(&in->has_ext, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&fs->ns_mu);
	pthread_mutex_lock(bt_inode_lock(fs, in));
	bt_extents_init(&ext);
	if (in->more) {
		ext = in->more->ext;
		bt_extents_init(&in->more->ext);
	}
	in->has_ext = false;
	pthread_mutex_unlock(bt_inode_lock(fs, in));
	/* A file with no name left cannot reach the remote: its data is moot. */
	if (fstat(in->fd, &st) == 0 && st.st_nlink == 0)
		goto out;
	path = jrec_inode_path(fs, in);
	for (size_t i = 0; i < ext.n; i++) {
		int64_t len = ext.v[i].end == BT_EXTENT_EOF
				      ? BT_EXTENT_EOF - ext.v[i].off
				      : ext.v[i].end - ext.v[i].off;

		if (jrec_append(fs, BT_OP_WRITE, in->ino, path, NULL, ext.v[i].off,
				len, 0) < 0 || !path)
			break;
	}
	free(path);
out:
	pthread_mutex_unlock(&fs->ns_mu);
	bt_extents_free(&ext);
}

void jrec_forget(struct bt_fs *fs, struct bt_inode *in, uint64_t n)
{
	if (!bt_inode_unref(fs, in, n))
		return;
	/* Journal what it still holds before its descriptor goes away. */
	jrec_flush_inode(fs, in);
	bt_inode_free(fs, in);
}

void jrec_flush_all(struct bt_fs *fs)
{
	size_t n;
	struct bt_inode **v = bt_inodes_pin_dirty(fs, &n);

	for (size_t i = 0; i < n; i++) {
		jrec_flush_inode(fs, v[i]);
		jrec_forget(fs, v[i], 1); /* unpin */
	}
	free(v);
}

static void flusher_answer_sync(struct bt_fs *fs)
{
	int64_t gen = 0;

	/* The sync waits for flush_gen to move: only after the queue is in. */
	if (bt_jw_flush(fs->j) < 0)
		return;
	/* Garbled: left as it is (no answer), for the sync to find and set aside. */
	if (bt_meta_get_i64_or(fs->j, BT_META_FLUSH_GEN, &gen, 0) < 0) {
		bt_err("journal meta '%s' is garbled; the next sync sets the journal aside",
		       BT_META_FLUSH_GEN);
		return;
	}
	bt_meta_set_i64(fs->j, BT_META_FLUSH_GEN, gen + 1);
}

static void *flusher_main(void *arg)
{
	struct bt_fs *fs = arg;

	while (!__atomic_load_n(&fs->flusher_stop, __ATOMIC_RELAXED)) {
		struct pollfd p = { .fd = fs->wake_pipe[0], .events = POLLIN };
		bool asked = poll(&p, 1, 1000) > 0;
		char buf[64];

		if (asked && read(fs->wake_pipe[0], buf, sizeof(buf)) < 0)
			asked = false;
		jrec_flush_all(fs);
		if (asked)
			flusher_answer_sync(fs);
	}
	return NULL;
}

int jrec_start_flusher(struct bt_fs *fs)
{
	int rc;

	if (fs->nojournal)
		return 0;
	rc = pthread_create(&fs->flusher, NULL, flusher_main, fs);
	return -rc;
}

void jrec_stop_flusher(struct bt_fs *fs)
{
	if (fs->nojournal)
		return;
	__atomic_store_n(&fs->flusher_stop, true, __ATOMIC_RELAXED);
	if (write(fs->wake_pipe[1], "x", 1) < 0)
		bt_warn("cannot wake the flusher");
	pthread_join(fs->flusher, NULL);
}
