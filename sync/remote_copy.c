/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * File data and metadata onto the remote. New and rewritten files go
 * through .btsoot/tmp and a rename, so the final name only ever holds a
 * complete file; the version they replace is hard-linked into the trash
 * first (or moved there when the remote has no hard links).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "btsoot/log.h"
#include "btsoot/pathsafe.h"
#include "remote_priv.h"

#define COPY_CHUNK (1 << 20)

static int copy_range(struct bt_remote *r, int in, int out, off_t off, off_t end,
		      char *buf)
{
	while (off < end) {
		size_t want = end - off > COPY_CHUNK ? COPY_CHUNK : (size_t)(end - off);
		ssize_t n = pread(in, buf, want, off), w = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break; /* the source shrank meanwhile: its TRUNCATE will come */
		bt_remote_tick(r);
		while (w < n) {
			ssize_t k = pwrite(out, buf + w, (size_t)(n - w), off + w);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				return -errno;
			w += k;
		}
		r->st.bytes_written += n;
		off += n;
	}
	return 0;
}

/* Copies the data segments of in (holes stay holes) to out. */
static int copy_sparse(struct bt_remote *r, int in, int out, off_t size, char *buf)
{
	off_t pos = 0;

	while (pos < size) {
		off_t data = lseek(in, pos, SEEK_DATA), hole;
		int rc;

		if (data < 0 && errno == ENXIO)
			return 0; /* only a hole is left */
		if (data < 0)
			return copy_range(r, in, out, pos, size, buf);
		hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0 || hole > size)
			hole = size;
		rc = copy_range(r, in, out, data, hole, buf);
		if (rc < 0)
			return rc;
		pos = hole;
	}
	return 0;
}

static void warn_once(bool *flag, const char *what, int err)
{
	if (*flag)
		return;
	*flag = true;
	bt_warn("the remote refuses %s (%s): carrying on without them this run",
		what, strerror(err));
}

/* fresh: dst was just created and holds no xattrs to drop. */
static void copy_xattrs(struct bt_remote *r, int srcfd, const char *dstproc, bool fresh)
{
	char sproc[64], names[65536], val[65536];
	ssize_t n;

	snprintf(sproc, sizeof(sproc), "/proc/self/fd/%d", srcfd);
	n = listxattr(sproc, names, sizeof(names));
	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(names + i) + 1) {
		ssize_t vl = getxattr(sproc, names + i, val, sizeof(val));

		if (vl >= 0 && setxattr(dstproc, names + i, val, (size_t)vl, 0) < 0 &&
		    (errno == ENOTSUP || errno == EPERM))
			warn_once(&r->warned_xattr, "extended attributes", errno);
	}
	if (fresh)
		return;
	/* Drop names the source no longer has. */
	{
		char dnames[65536];
		ssize_t dn = listxattr(dstproc, dnames, sizeof(dnames));

		for (ssize_t i = 0; dn > 0 && i < dn; i += (ssize_t)strlen(dnames + i) + 1)
			if (getxattr(sproc, dnames + i, NULL, 0) < 0 && errno == ENODATA)
				removexattr(dstproc, dnames + i);
	}
}

/* chown as root, unless the owner is already right or the remote refused
 * once this run (each try is a round trip on a network remote). Returns
 * true when it changed the owner (which clears set-id bits). */
static bool set_owner(struct bt_remote *r, int fd, const struct stat *st, const struct stat *cur)
{
	if (!r->is_root || r->warned_owner ||
	    (cur->st_uid == st->st_uid && cur->st_gid == st->st_gid))
		return false;
	if (fchownat(fd, "", st->st_uid, st->st_gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0)
		return true;
	warn_once(&r->warned_owner, "ownership", errno);
	return false;
}

/* Applies st's owner, mode, xattrs and times to fd (an O_PATH or open fd)
 * whose current stat is cur; owner and mode only where they differ. Times
 * are always set: the write that made this copy changed them. */
static int apply_meta(struct bt_remote *r, int fd, const struct stat *st, const struct stat *cur,
		      int srcfd, bool with_xattrs, bool fresh)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	char proc[64];
	bool chowned;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	bt_remote_tick(r);
	chowned = set_owner(r, fd, st, cur);
	if (!S_ISLNK(st->st_mode)) {
		if (with_xattrs && srcfd >= 0)
			copy_xattrs(r, srcfd, proc, fresh);
		/* after chown, which clears set-id bits */
		if (((cur->st_mode ^ st->st_mode) & 07777) || (chowned && (st->st_mode & 06000)))
			if (chmod(proc, st->st_mode & 07777) < 0)
				return -errno;
		/* On the descriptor itself: no walk through /proc per file. */
		if (utimensat(fd, "", ts, AT_EMPTY_PATH) == 0)
			return 0;
		if (errno != EINVAL || utimensat(AT_FDCWD, proc, ts, 0) < 0)
			return -errno;
		return 0;
	}
	/* A symlink's own xattrs (trusted.*, security.*: user.* cannot be
	 * set on one): /proc/self/fd of an O_PATH symlink names the link. */
	if (with_xattrs && srcfd >= 0)
		copy_xattrs(r, srcfd, proc, fresh);
	return utimensat(fd, "", ts, AT_EMPTY_PATH) < 0 ? -errno : 0;
}

/* set_meta on fd (O_PATH, opened without following a symlink), closed. */
static int set_meta_fd(struct bt_remote *r, int fd, const struct stat *st, int srcfd,
		       bool with_xattrs)
{
	struct stat cur;
	int rc;

	if (fd < 0)
		return fd;
	rc = fstat(fd, &cur) < 0 ? -errno : 0;
	if (rc == 0 && (cur.st_mode & S_IFMT) != (st->st_mode & S_IFMT))
		rc = -ESTALE; /* a different kind of object: not ours to touch */
	if (rc == 0)
		rc = apply_meta(r, fd, st, &cur, srcfd, with_xattrs, false);
	close(fd);
	return rc;
}

int bt_remote_set_meta(struct bt_remote *r, const char *rel, const struct stat *st,
		       int srcfd, bool with_xattrs)
{
	return set_meta_fd(r, bt_open_beneath(r->rootfd, rel, O_PATH, 0), st, srcfd,
			   with_xattrs);
}

/* fchmodat2 (Linux 6.6) is the only chmod that refuses to follow a
 * symlink at the name; its number is the same on every architecture. */
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

static bool no_fchmodat2; /* this kernel has none: chmod through the descriptor */

static bool chmod_nofollow(int pfd, const char *leaf, mode_t mode)
{
	if (syscall(SYS_fchmodat2, pfd, leaf, mode, AT_SYMLINK_NOFOLLOW) == 0)
		return true;
	no_fchmodat2 = errno == ENOSYS || errno == EINVAL;
	return false;
}

/* The usual case by name, no descriptor: a regular file or directory
 * whose owner is right and which takes no xattrs. Nothing here follows a
 * symlink (a symlink put at leaf meanwhile is refused by fchmodat2 and
 * gets its own times from utimensat). 1 when done, 0 when the caller must
 * take the descriptor path, else -errno. */
static int set_meta_by_name(struct bt_remote *r, int pfd, const char *leaf,
			    const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	struct stat cur;

	if (fstatat(pfd, leaf, &cur, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if ((cur.st_mode & S_IFMT) != (st->st_mode & S_IFMT))
		return -ESTALE; /* a different kind of object: not ours to touch */
	if (S_ISLNK(cur.st_mode) || (no_fchmodat2 && ((cur.st_mode ^ st->st_mode) & 07777)) ||
	    (r->is_root && !r->warned_owner &&
	     (cur.st_uid != st->st_uid || cur.st_gid != st->st_gid)))
		return 0;
	bt_remote_tick(r);
	if (((cur.st_mode ^ st->st_mode) & 07777) &&
	    !chmod_nofollow(pfd, leaf, st->st_mode & 07777))
		return 0;
	return utimensat(pfd, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 1;
}

int bt_remote_set_meta_at(struct bt_remote *r, int pfd, const char *leaf,
			  const struct stat *st, int srcfd, bool with_xattrs)
{
	int rc = with_xattrs ? 0 : set_meta_by_name(r, pfd, leaf, st);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	/* One component, confined beneath pfd like a whole path. */
	return set_meta_fd(r, bt_open_beneath(pfd, leaf, O_PATH, 0), st, srcfd, with_xattrs);
}

/* Puts tmp (in .btsoot/tmp) at rel, keeping the old version in the trash. */
static int publish(struct bt_remote *r, const char *tmp, const char *rel)
{
	char name[NAME_MAX + 1];
	const char *leaf;
	struct stat st;
	int pfd = bt_open_parent(r->rootfd, rel, &leaf), rc = 0;

	if (pfd < 0)
		return pfd;
	/* An empty placeholder (from a replayed CREATE) holds nothing to keep. */
	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !(S_ISREG(st.st_mode) && st.st_size == 0)) {
		int dfd = S_ISREG(st.st_mode) ? bt_trash_slot(r, rel, name, sizeof(name)) : -1;

		/* A link keeps the old copy and the final name never disappears. */
		if (dfd < 0 || linkat(pfd, leaf, dfd, name, 0) < 0)
			rc = bt_retire_at(r, pfd, leaf, rel);
		else
			r->st.retired++, bt_trash_noted(r, rel);
		if (dfd >= 0)
			close(dfd);
	}
	if (rc == 0) {
		bt_remote_tick(r);
		rc = renameat(r->tmpfd, tmp, pfd, leaf) < 0 ? -errno : 0;
	}
	close(pfd);
	return rc;
}

int bt_remote_copy_whole(struct bt_remote *r, int srcfd, const struct stat *st,
			 const char *rel)
{
	char tmp[64];
	char *buf = malloc(COPY_CHUNK);
	struct stat cur;
	int fd, rc;

	if (!buf)
		return -ENOMEM;
	/* SMB-safe temp name: no ':' and no leading "._". */
	snprintf(tmp, sizeof(tmp), "%llu-%llu.part", (unsigned long long)st->st_ino,
		 (unsigned long long)++r->tmp_counter);
	bt_remote_tick(r);
	/* Created with the final permission bits (.btsoot is 0700), so the
	 * usual file needs no chmod round trip later. */
	fd = openat(r->tmpfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		    st->st_mode & 0777);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	rc = copy_sparse(r, srcfd, fd, st->st_size, buf);
	if (rc == 0 && ftruncate(fd, st->st_size) < 0)
		rc = -errno;
	if (rc == 0)
		rc = fstat(fd, &cur) < 0 ? -errno : apply_meta(r, fd, st, &cur, srcfd, true, true);
	if (close(fd) < 0 && rc == 0)
		rc = -errno; /* network filesystems report write errors here */
	if (rc == 0)
		rc = publish(r, tmp, rel);
	if (rc < 0)
		unlinkat(r->tmpfd, tmp, 0);
	else
		r->st.files_written++;
	free(buf);
	return rc;
}

int bt_remote_copy_ranges(struct bt_remote *r, int srcfd, const struct stat *st,
			  const char *rel, const struct bt_extents *ranges, int64_t if_size)
{
	char *buf;
	struct stat cur;
	/* O_PATH first: a fifo planted at rel would block an O_WRONLY open,
	 * a device would be opened for real. */
	int fd = bt_reopen_file_beneath(r->rootfd, rel, O_WRONLY, &cur), rc = 0;

	if (fd == -ELOOP)
		return -EEXIST;
	if (fd < 0)
		return fd;
	if (if_size >= 0 && cur.st_size != if_size) {
		close(fd);
		return -ESTALE;
	}
	buf = malloc(COPY_CHUNK);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (size_t i = 0; rc == 0 && i < ranges->n; i++) {
		off_t end = ranges->v[i].end > st->st_size ? st->st_size : ranges->v[i].end;

		if (ranges->v[i].off < end)
			rc = copy_range(r, srcfd, fd, ranges->v[i].off, end, buf);
	}
	if (rc == 0 && cur.st_size != st->st_size) {
		bt_remote_tick(r);
		if (ftruncate(fd, st->st_size) < 0)
			rc = -errno;
	}
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0)
		r->st.files_written++;
	free(buf);
	return rc;
}
