/* SPDX-License-Identifier: BSD-3-Clause */
/* Lookup and attributes: getattr/setattr, readlink, statfs, xattrs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "btsoot/log.h"
#include "fs.h"

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct bt_fs *fs = userdata;

	if (conn->capable & FUSE_CAP_EXPORT_SUPPORT)
		conn->want |= FUSE_CAP_EXPORT_SUPPORT;
	if (conn->capable & FUSE_CAP_FLOCK_LOCKS)
		conn->want |= FUSE_CAP_FLOCK_LOCKS;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
	if (conn->capable & FUSE_CAP_SPLICE_READ)
		conn->want |= FUSE_CAP_SPLICE_READ;
	if (fs->writeback && (conn->capable & FUSE_CAP_WRITEBACK_CACHE))
		conn->want |= FUSE_CAP_WRITEBACK_CACHE;
	else
		conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	/* POSIX ACLs grant and deny access as on the bare directory: without
	 * this the kernel checks the mode bits only. */
	if (conn->capable & FUSE_CAP_POSIX_ACL)
		conn->want |= FUSE_CAP_POSIX_ACL;
	/* We apply the caller's umask, unless a default ACL replaces it. */
	if ((conn->want & FUSE_CAP_POSIX_ACL) && (conn->capable & FUSE_CAP_DONT_MASK)) {
		conn->want |= FUSE_CAP_DONT_MASK;
		fs->dont_mask = true;
	}
	/* Without KILLPRIV_V2 the kernel clears set-id bits on write,
	 * truncate and chown itself (a SETATTR of the mode, after a
	 * GETXATTR(security.capability) before every write); we run as root
	 * (CAP_FSETID) and would keep them. With it the kernel leaves that to
	 * us (libfuse passes on only the truncate's FATTR_KILL_SUIDGID):
	 * bt_kill_priv clears them on write, fallocate, truncate and O_TRUNC
	 * opens, as it already does for the cases the kernel misses;
	 * security.capability still goes by the kernel's REMOVEXATTR. */
	conn->want &= ~FUSE_CAP_HANDLE_KILLPRIV;
#ifdef HAVE_FUSE_CAP_HANDLE_KILLPRIV_V2
	if (conn->capable & FUSE_CAP_HANDLE_KILLPRIV_V2) {
		conn->want |= FUSE_CAP_HANDLE_KILLPRIV_V2;
		fs->killpriv_v2 = true;
	}
#endif
	bt_pt_init(fs, conn);
}

static void op_destroy(void *userdata)
{
	jrec_flush_all(userdata);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct bt_fs *fs = fs_of(req);
	struct fuse_entry_param e;
	int rc = bt_inode_lookup(fs, bt_inode_get(fs, parent), name, &e);

	if (rc == -ENOENT) {
		/* A negative entry the kernel may cache like a positive one. */
		memset(&e, 0, sizeof(e));
		e.entry_timeout = fs->timeout;
		fuse_reply_entry(req, &e);
	} else if (rc < 0) {
		fuse_reply_err(req, -rc);
	} else {
		fuse_reply_entry(req, &e);
	}
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct bt_fs *fs = fs_of(req);

	jrec_forget(fs, bt_inode_get(fs, ino), nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	struct bt_fs *fs = fs_of(req);

	for (size_t i = 0; i < count; i++)
		jrec_forget(fs, bt_inode_get(fs, forgets[i].ino),
				forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct bt_fs *fs = fs_of(req);
	struct stat st;

	if (fstatat(bt_inode_get(fs, ino)->fd, "", &st,
		    AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_attr(req, &st, fs->timeout);
}

static int set_times(struct bt_inode *in, struct stat *attr, int valid,
		     struct fuse_file_info *fi)
{
	struct timespec tv[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_OMIT } };
	char proc[64];

	if (valid & FUSE_SET_ATTR_ATIME_NOW)
		tv[0].tv_nsec = UTIME_NOW;
	else if (valid & FUSE_SET_ATTR_ATIME)
		tv[0] = attr->st_atim;
	if (valid & FUSE_SET_ATTR_MTIME_NOW)
		tv[1].tv_nsec = UTIME_NOW;
	else if (valid & FUSE_SET_ATTR_MTIME)
		tv[1] = attr->st_mtim;
	if (fi)
		return futimens(((struct bt_file *)(uintptr_t)fi->fh)->fd, tv);
	if (S_ISLNK(in->type))
		return utimensat(in->fd, "", tv, AT_EMPTY_PATH);
	bt_inode_procpath(in, proc);
	return utimensat(AT_FDCWD, proc, tv, 0);
}

static int apply_setattr(struct bt_inode *in, struct stat *attr, int valid,
			 struct fuse_file_info *fi)
{
	int fd = fi ? ((struct bt_file *)(uintptr_t)fi->fh)->fd : -1;
	char proc[64];

	bt_inode_procpath(in, proc);
	/* The size first: it is what fails (EFBIG, ENOSPC), and a failed
	 * truncate must not leave the set-id bits the kernel asked us to
	 * clear along with it cleared (a local filesystem changes nothing). */
	if (valid & FUSE_SET_ATTR_SIZE) {
		if ((fd >= 0 ? ftruncate(fd, attr->st_size)
			     : truncate(proc, attr->st_size)) < 0)
			return -errno;
	}
	if (valid & FUSE_SET_ATTR_MODE) {
		if ((fd >= 0 ? fchmod(fd, attr->st_mode) : chmod(proc, attr->st_mode)) < 0)
			return -errno;
	}
	/* chown(-1, -1) arrives empty: it still moves the ctime. */
	if ((valid & ~FUSE_SET_ATTR_CTIME) == 0 &&
	    fchownat(in->fd, "", (uid_t)-1, (gid_t)-1, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		uid_t uid = (valid & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t)-1;
		gid_t gid = (valid & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t)-1;

		if (fchownat(in->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	}
	if (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
		     FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW)) {
		if (set_times(in, attr, valid, fi) < 0)
			return -errno;
	}
	return 0;
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int valid, struct fuse_file_info *fi)
{
	struct bt_fs *fs = fs_of(req);
	struct bt_inode *in = bt_inode_get(fs, ino);
	bool kill;
	int rc;

	if (jrec_refused(fs)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	/* FATTR_KILL_SUIDGID (KILLPRIV_V2, with a truncate by a caller
	 * without CAP_FSETID) arrives as FUSE_SET_ATTR_KILL_SUID: bt_kill_priv
	 * decides by the caller itself, as for writes. */
	valid &= ~(FUSE_SET_ATTR_KILL_SUID | FUSE_SET_ATTR_KILL_SGID);
	if (bt_kill_request_only(req, in, valid)) {
		op_getattr(req, ino, NULL);
		return;
	}
	kill = bt_chown_sgid(req, in, valid);
	rc = apply_setattr(in, attr, valid, fi);
	if (rc == 0 && (valid & FUSE_SET_ATTR_SIZE))
		bt_kill_priv(req, in);
	if (rc == 0 && kill)
		bt_clear_sgid(in);
	/* Journal even a partial success: some attribute may have changed. */
	if (valid & FUSE_SET_ATTR_SIZE)
		jrec_inode_op(fs, in, BT_OP_TRUNCATE, attr->st_size);
	if (valid & ~FUSE_SET_ATTR_SIZE)
		jrec_inode_op(fs, in, BT_OP_META, 0);
	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	op_getattr(req, ino, NULL);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char buf[PATH_MAX + 1];
	ssize_t n = readlinkat(bt_inode_get(fs_of(req), ino)->fd, "", buf, sizeof(buf));

	if (n < 0)
		fuse_reply_err(req, errno);
	else if (n >= (ssize_t)sizeof(buf))
		fuse_reply_err(req, ENAMETOOLONG);
	else {
		buf[n] = '\0';
		fuse_reply_readlink(req, buf);
	}
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;

	if (fstatvfs(bt_inode_get(fs_of(req), ino)->fd, &sv) < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_statfs(req, &sv);
}

/* /proc/self/fd/N of the O_PATH descriptor: the path walk stops at the
 * object itself, a symlink too (its trusted.* and security.* xattrs). */
static bool xattr_path(fuse_req_t req, fuse_ino_t ino, char proc[64])
{
	bt_inode_procpath(bt_inode_get(fs_of(req), ino), proc);
	return true;
}

static void reply_sized(fuse_req_t req, ssize_t n, const char *buf, size_t size)
{
	if (n < 0)
		fuse_reply_err(req, errno);
	else if (size == 0)
		fuse_reply_xattr(req, (size_t)n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	char proc[64], *buf = NULL;

	if (!xattr_path(req, ino, proc))
		return;
	if (size && !(buf = malloc(size))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	reply_sized(req, getxattr(proc, name, buf, size), buf, size);
	free(buf);
}

/* The names, as the caller may see them: a local filesystem lists
 * trusted.* only to CAP_SYS_ADMIN (root here); we list as root. Returns
 * the length of *out (malloc'd) or -errno. */
static ssize_t list_for_caller(fuse_req_t req, const char *proc, char **out)
{
	ssize_t n, kept = 0;
	char *buf = NULL;

	do {
		free(buf);
		n = listxattr(proc, NULL, 0);
		buf = n < 0 ? NULL : malloc((size_t)n + 1);
		if (n < 0 || !buf)
			return n < 0 ? -errno : -ENOMEM;
		n = listxattr(proc, buf, (size_t)n);
	} while (n < 0 && errno == ERANGE); /* grew meanwhile */
	if (n < 0) {
		free(buf);
		return -errno;
	}
	for (ssize_t i = 0, len; i < n; i += len) {
		len = (ssize_t)strlen(buf + i) + 1; /* before the move below */
		if (fuse_req_ctx(req)->uid != 0 && !strncmp(buf + i, "trusted.", 8))
			continue;
		memmove(buf + kept, buf + i, (size_t)len);
		kept += len;
	}
	*out = buf;
	return kept;
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	char proc[64], *buf = NULL;
	ssize_t n;

	if (!xattr_path(req, ino, proc))
		return;
	n = list_for_caller(req, proc, &buf);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else if (size == 0)
		fuse_reply_xattr(req, (size_t)n);
	else if ((size_t)n > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

/* setxattr (value != NULL) or removexattr, journaled on success. */
static void change_xattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			 const char *value, size_t size, int flags)
{
	struct bt_fs *fs = fs_of(req);
	char proc[64];
	int rc;

	if (jrec_refused(fs)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (!xattr_path(req, ino, proc))
		return;
	rc = value ? setxattr(proc, name, value, size, flags) : removexattr(proc, name);
	rc = rc < 0 ? errno : 0;
	if (rc == 0 && value && !strcmp(name, "system.posix_acl_access"))
		bt_acl_kill_sgid(req, bt_inode_get(fs, ino));
	if (rc == 0)
		jrec_inode_op(fs, bt_inode_get(fs, ino), BT_OP_XATTR, 0);
	fuse_reply_err(req, rc);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	/* A zero-length value must still be a set, not a remove. */
	change_xattr(req, ino, name, value ? value : "", size, flags);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	change_xattr(req, ino, name, NULL, 0, 0);
}

void bt_fs_attr_ops(struct fuse_lowlevel_ops *ops)
{
	ops->init = op_init;
	ops->destroy = op_destroy;
	ops->lookup = op_lookup;
	ops->forget = op_forget;
	ops->forget_multi = op_forget_multi;
	ops->getattr = op_getattr;
	ops->setattr = op_setattr;
	ops->readlink = op_readlink;
	ops->statfs = op_statfs;
	ops->getxattr = op_getxattr;
	ops->listxattr = op_listxattr;
	ops->setxattr = op_setxattr;
	ops->removexattr = op_removexattr;
}
