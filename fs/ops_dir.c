/* SPDX-License-Identifier: BSD-3-Clause */
/* Directory listing, plain and "plus" (entries with attributes). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"

struct bt_dir {
	DIR *dp;
	struct dirent *entry; /* read but not yet returned */
	off_t offset;
};

static struct bt_dir *dir_of(struct fuse_file_info *fi)
{
	return (struct bt_dir *)(uintptr_t)fi->fh;
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct bt_inode *in = bt_inode_get(fs_of(req), ino);
	struct bt_dir *d = calloc(1, sizeof(*d));
	int fd;

	if (!d) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fd = openat(in->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d->dp = fdopendir(fd))) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		free(d);
		fuse_reply_err(req, err);
		return;
	}
	fi->fh = (uintptr_t)d;
	/* The kernel may keep listings across opens: every change to a
	 * directory comes through this mount, and each one tells the kernel
	 * the directory changed, which drops its cached listing. */
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	if (fuse_reply_open(req, fi) == -ENOENT) {
		closedir(d->dp);
		free(d);
	}
}

static bool is_dot(const char *name)
{
	return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* Adds one entry to buf at *pos; returns false when it does not fit. */
static bool add_entry(fuse_req_t req, struct bt_inode *dir, struct dirent *de,
		      char *buf, size_t size, size_t *pos, bool plus, off_t next)
{
	struct bt_fs *fs = fs_of(req);
	size_t used;

	if (!plus) {
		struct stat st = { .st_ino = de->d_ino, .st_mode = (mode_t)de->d_type << 12 };

		used = fuse_add_direntry(req, buf + *pos, size - *pos, de->d_name, &st, next);
	} else {
		struct fuse_entry_param e = { 0 };
		int rc = 0;

		/* Near the descriptor limit, entries go without attributes
		 * (ino 0: the kernel looks them up when it needs them). */
		if (!is_dot(de->d_name) && fs->ninodes < fs->fd_soft)
			rc = bt_inode_lookup(fs, dir, de->d_name, &e);
		if (rc == -ENOENT)
			return true; /* vanished meanwhile: skip it */
		if (!e.ino) {
			memset(&e, 0, sizeof(e));
			e.attr.st_ino = de->d_ino;
			e.attr.st_mode = (mode_t)de->d_type << 12;
		}
		used = fuse_add_direntry_plus(req, buf + *pos, size - *pos, de->d_name,
					      &e, next);
		if (used > size - *pos && e.ino)
			jrec_forget(fs, bt_inode_get(fs, e.ino), 1);
	}
	if (used > size - *pos)
		return false;
	*pos += used;
	return true;
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset,
		       struct fuse_file_info *fi, bool plus)
{
	struct bt_dir *d = dir_of(fi);
	struct bt_inode *dir = bt_inode_get(fs_of(req), ino);
	char *buf = malloc(size);
	size_t pos = 0;
	int err = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (offset != d->offset) {
		seekdir(d->dp, offset);
		d->entry = NULL;
		d->offset = offset;
	}
	for (;;) {
		if (!d->entry) {
			errno = 0;
			d->entry = readdir(d->dp);
			if (!d->entry) {
				err = errno;
				break;
			}
		}
		if (!add_entry(req, dir, d->entry, buf, size, &pos, plus,
			       d->entry->d_off))
			break;
		d->offset = d->entry->d_off;
		d->entry = NULL;
	}
	if (err && pos == 0)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, buf, pos);
	free(buf);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct bt_dir *d = dir_of(fi);

	closedir(d->dp);
	free(d);
	fuse_reply_err(req, 0);
}

static void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
			struct fuse_file_info *fi)
{
	struct bt_fs *fs = fs_of(req);
	int fd = dirfd(dir_of(fi)->dp);
	int rc = datasync ? fdatasync(fd) : fsync(fd);

	rc = rc < 0 ? errno : 0;
	/* The names made durable here are durably journaled too (their rows
	 * were queued before this call). */
	if (!fs->nojournal && bt_jw_sync(fs->j) < 0 && rc == 0)
		rc = EIO;
	fuse_reply_err(req, rc);
}

void bt_fs_dir_ops(struct fuse_lowlevel_ops *ops)
{
	ops->opendir = op_opendir;
	ops->readdir = op_readdir;
	ops->readdirplus = op_readdirplus;
	ops->releasedir = op_releasedir;
	ops->fsyncdir = op_fsyncdir;
}
