/* SPDX-License-Identifier: BSD-3-Clause */
/* Open files: data passes through with splice (or, for readers, the kernel
 * reads the backing file: passthrough.c); writes add extents. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "btsoot/log.h"
#include "fs.h"

static struct bt_file *file_of(struct fuse_file_info *fi)
{
	return (struct bt_file *)(uintptr_t)fi->fh;
}

/* Opening with these flags changes the file: O_TRUNC truncates even a
 * read-only open (the kernel checked write permission). */
static bool changes(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

/* The kernel computes O_APPEND offsets itself (the end of file, under the
 * inode lock), and writes back mmap'ed pages of an O_APPEND file at their
 * own offsets: an O_APPEND descriptor here would append those pages at the
 * end instead. With the writeback cache the kernel also reads write-only
 * files. */
static int adjust_flags(struct bt_fs *fs, int flags)
{
	if (fs->writeback && (flags & O_ACCMODE) == O_WRONLY)
		flags = (flags & ~O_ACCMODE) | O_RDWR;
	return (flags & ~(O_NOFOLLOW | O_APPEND)) | O_CLOEXEC;
}

/* A bt_file for fd into fi, in the I/O mode passthrough.c chooses for
 * this open of in. 0 or -ENOMEM (fd is left to the caller). */
static int attach_file(fuse_req_t req, struct bt_inode *in, struct fuse_file_info *fi,
		       int fd)
{
	struct bt_file *f = malloc(sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->fd = fd;
	fi->keep_cache = 1; /* every change comes through us */
	/* A reader's close has nothing to report or journal: no FLUSH
	 * round trip for it. */
	fi->noflush = !changes(fi->flags);
	if (bt_pt_open(req, in, f, fi, changes(fi->flags)) < 0) {
		free(f);
		return -ENOMEM;
	}
	fi->fh = (uintptr_t)f;
	return 0;
}

/* The reply to an open or create failed: the kernel has no such file. */
static void detach_file(struct bt_fs *fs, struct bt_inode *in, struct fuse_file_info *fi)
{
	struct bt_file *f = file_of(fi);

	bt_pt_unopen(fs, in, f);
	close(f->fd);
	free(f);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct bt_fs *fs = fs_of(req);
	struct bt_inode *in = bt_inode_get(fs, ino);
	int flags = adjust_flags(fs, fi->flags), fd, tries = 0;
	char proc[64];

	if (changes(fi->flags) && jrec_refused(fs)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	bt_inode_procpath(in, proc);
	do
		fd = open(proc, flags);
	while (fd < 0 && bt_fd_retry(errno, &tries));
	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	if (attach_file(req, in, fi, fd) < 0) {
		close(fd);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (fi->flags & O_TRUNC) {
		bt_kill_priv(req, in);
		jrec_inode_op(fs, in, BT_OP_TRUNCATE, 0);
	}
	if (fuse_reply_open(req, fi) == -ENOENT)
		detach_file(fs, in, fi);
}

/* Creates name; or, when it exists after all (the kernel's negative entry
 * was stale) and O_EXCL was not asked for, opens it like a local
 * filesystem would. Only what we created becomes the caller's and gets a
 * CREATE row. Returns the descriptor or -errno. */
static int create_or_open(struct bt_inode *parent, const char *name, int flags,
			  mode_t mode, bool *created)
{
	int fd, tries = 0;

	do
		fd = openat(parent->fd, name, flags | O_EXCL, mode);
	while (fd < 0 && bt_fd_retry(errno, &tries));
	*created = fd >= 0;
	if (fd < 0 && errno == EEXIST && !(flags & O_EXCL))
		fd = openat(parent->fd, name, (flags & ~O_CREAT) | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

static void journal_create(struct bt_fs *fs, struct bt_inode *parent, const char *name,
			   const struct fuse_entry_param *e, bool created, int flags)
{
	char *path = jrec_child_path(fs, parent, name);

	if (created)
		jrec_append(fs, BT_OP_CREATE, e->attr.st_ino, path, NULL, 0, 0,
			    (uint32_t)e->attr.st_mode);
	else if (flags & O_TRUNC)
		jrec_append(fs, BT_OP_TRUNCATE, e->attr.st_ino, path, NULL, 0, 0, 0);
	free(path);
}

static void op_create(fuse_req_t req, fuse_ino_t pino, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct bt_fs *fs = fs_of(req);
	struct bt_inode *parent = bt_inode_get(fs, pino);
	int flags = adjust_flags(fs, fi->flags) | O_CREAT, fd, rc;
	struct fuse_entry_param e;
	bool created;

	if (jrec_refused(fs)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	mode = bt_create_mode(req, parent, mode);
	pthread_mutex_lock(&fs->ns_mu);
	fd = rc = create_or_open(parent, name, flags, mode, &created);
	if (fd >= 0) {
		if (created)
			bt_give_to_caller(req, parent, name);
		rc = bt_inode_lookup(fs, parent, name, &e);
	}
	if (rc >= 0 && !created && (flags & O_TRUNC))
		bt_kill_priv(req, bt_inode_get(fs, e.ino));
	if (rc >= 0)
		journal_create(fs, parent, name, &e, created, flags);
	pthread_mutex_unlock(&fs->ns_mu);
	if (rc >= 0 && attach_file(req, bt_inode_get(fs, e.ino), fi, fd) < 0)
		rc = -ENOMEM;
	if (rc < 0) {
		if (fd >= 0)
			close(fd);
		fuse_reply_err(req, -rc);
		return;
	}
	if (fuse_reply_create(req, &e, fi) == -ENOENT)
		detach_file(fs, bt_inode_get(fs, e.ino), fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = file_of(fi)->fd;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

static void op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *in_buf,
			 off_t off, struct fuse_file_info *fi)
{
	struct bt_fs *fs = fs_of(req);
	struct bt_file *f = file_of(fi);
	struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in_buf));
	ssize_t res;

	if (jrec_refused(fs)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	out.buf[0].fd = f->fd;
	out.buf[0].pos = off;
	res = fuse_buf_copy(&out, in_buf, 0);
	if (res < 0) {
		fuse_reply_err(req, (int)-res);
		return;
	}
	if (!fi->writepage) /* a page written back has no caller */
		bt_kill_priv(req, bt_inode_get(fs, ino));
	jrec_add_extent(fs, bt_inode_get(fs, ino), off, off + res);
	fuse_reply_write(req, (size_t)res);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct bt_fs *fs = fs_of(req);
	int fd, rc = 0, tries = 0;

	/* close() of a duplicate reports what the real close would (NFS
	 * write-back errors) without closing our descriptor. */
	do
		fd = dup(file_of(fi)->fd);
	while (fd < 0 && bt_fd_retry(errno, &tries));
	if (fd >= 0 && close(fd) < 0)
		rc = errno;
	jrec_flush_inode(fs, bt_inode_get(fs, ino));
	fuse_reply_err(req, rc);
}

/* A writer that passes through may have been mapped shared: the kernel
 * wrote the mapping's pages to the backing file, not to us. All of the
 * file may have changed (the RELEASE comes after the last unmap). */
static void journal_mapped_writes(struct bt_fs *fs, struct bt_inode *in, struct bt_file *f)
{
	if (f->io == BT_IO_PT_WRITE)
		jrec_add_extent(fs, in, 0, BT_EXTENT_EOF);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct bt_fs *fs = fs_of(req);
	struct bt_inode *in = bt_inode_get(fs, ino);
	struct bt_file *f = file_of(fi);

	journal_mapped_writes(fs, in, f);
	jrec_flush_inode(fs, in);
	bt_pt_release(req, in, f);
	close(f->fd);
	free(f);
	fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	struct bt_fs *fs = fs_of(req);
	int fd = file_of(fi)->fd, rc;

	rc = datasync ? fdatasync(fd) : fsync(fd);
	rc = rc < 0 ? errno : 0;
	journal_mapped_writes(fs, bt_inode_get(fs, ino), file_of(fi));
	/* After fsync returns, the change is durably journaled too: its rows
	 * are committed and the journal's WAL is fsynced. */
	jrec_flush_inode(fs, bt_inode_get(fs, ino));
	if (!fs->nojournal && bt_jw_sync(fs->j) < 0 && rc == 0)
		rc = EIO;
	fuse_reply_err(req, rc);
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off,
			 off_t len, struct fuse_file_info *fi)
{
	struct bt_fs *fs = fs_of(req);

	if (jrec_refused(fs)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (fallocate(file_of(fi)->fd, mode, off, len) < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	bt_kill_priv(req, bt_inode_get(fs, ino));
	jrec_add_extent(fs, bt_inode_get(fs, ino), off, off + len);
	fuse_reply_err(req, 0);
}

static void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	off_t res = lseek(file_of(fi)->fd, off, whence);

	if (res < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_lseek(req, res);
}

static void op_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		     int op)
{
	fuse_reply_err(req, flock(file_of(fi)->fd, op) < 0 ? errno : 0);
}

void bt_fs_file_ops(struct fuse_lowlevel_ops *ops)
{
	ops->open = op_open;
	ops->create = op_create;
	ops->read = op_read;
	ops->write_buf = op_write_buf;
	ops->flush = op_flush;
	ops->release = op_release;
	ops->fsync = op_fsync;
	ops->fallocate = op_fallocate;
	ops->lseek = op_lseek;
	ops->flock = op_flock;
}
