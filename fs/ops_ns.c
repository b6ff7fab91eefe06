/* SPDX-License-Identifier: BSD-3-Clause */
/* Namespace changes: each holds ns_mu across syscall + journal row. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btsoot/log.h"
#include "fs.h"

static int op_of_mode(mode_t mode)
{
	if (S_ISDIR(mode))
		return BT_OP_MKDIR;
	if (S_ISREG(mode))
		return BT_OP_CREATE;
	if (S_ISLNK(mode))
		return BT_OP_SYMLINK;
	return BT_OP_MKNOD;
}

static void make_node(fuse_req_t req, fuse_ino_t pino, const char *name,
		      mode_t mode, dev_t rdev, const char *target)
{
	struct bt_fs *fs = fs_of(req);
	struct bt_inode *parent = bt_inode_get(fs, pino);
	struct fuse_entry_param e;
	char *path = NULL;
	int rc;

	if (jrec_refused(fs)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (!S_ISLNK(mode))
		mode = bt_create_mode(req, parent, mode);
	pthread_mutex_lock(&fs->ns_mu);
	if (S_ISDIR(mode))
		rc = mkdirat(parent->fd, name, mode & 07777);
	else if (S_ISLNK(mode))
		rc = symlinkat(target, parent->fd, name);
	else
		rc = mknodat(parent->fd, name, mode, rdev);
	rc = rc < 0 ? -errno : 0;
	if (rc == 0) {
		bt_give_to_caller(req, parent, name);
		rc = bt_inode_lookup(fs, parent, name, &e);
	}
	if (rc == 0) {
		path = jrec_child_path(fs, parent, name);
		/* off = the device number: by the time a sync runs, the node
		 * may have moved away from path (0 for fifos and sockets). */
		jrec_append(fs, op_of_mode(mode), e.attr.st_ino, path, target,
			    (int64_t)e.attr.st_rdev, 0, (uint32_t)e.attr.st_mode);
	}
	pthread_mutex_unlock(&fs->ns_mu);
	free(path);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_entry(req, &e);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	make_node(req, parent, name, mode, rdev, NULL);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	make_node(req, parent, name, S_IFDIR | mode, 0, NULL);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	make_node(req, parent, name, S_IFLNK | 0777, 0, link);
}

static void remove_entry(fuse_req_t req, fuse_ino_t pino, const char *name, bool dir)
{
	struct bt_fs *fs = fs_of(req);
	struct bt_inode *parent = bt_inode_get(fs, pino), *gone = NULL;
	struct stat st = { 0 };
	char *path = NULL;
	int rc;

	if (jrec_refused(fs)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	pthread_mutex_lock(&fs->ns_mu);
	fstatat(parent->fd, name, &st, AT_SYMLINK_NOFOLLOW);
	rc = unlinkat(parent->fd, name, dir ? AT_REMOVEDIR : 0) < 0 ? -errno : 0;
	if (rc == 0) {
		path = jrec_child_path(fs, parent, name);
		/* len = names the inode keeps: the sync cannot follow those. */
		jrec_append(fs, dir ? BT_OP_RMDIR : BT_OP_UNLINK, st.st_ino, path,
			    NULL, 0, !dir && st.st_nlink > 1 ? st.st_nlink - 1 : 0, 0);
		gone = jrec_name_gone(fs, &st);
	}
	pthread_mutex_unlock(&fs->ns_mu);
	if (gone)
		jrec_forget(fs, gone, 1);
	free(path);
	fuse_reply_err(req, -rc);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_entry(req, parent, name, false);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_entry(req, parent, name, true);
}

/* RENAME_WHITEOUT left a 0:0 character device at the old name (overlayfs
 * uses it): journaled as a rename plus a MKNOD row. */
static void journal_whiteout(struct bt_fs *fs, struct bt_inode *parent, const char *name,
			     const char *from)
{
	struct stat wst;

	if (fstatat(parent->fd, name, &wst, AT_SYMLINK_NOFOLLOW) == 0)
		jrec_append(fs, BT_OP_MKNOD, wst.st_ino, from, NULL, (int64_t)wst.st_rdev, 0,
			    (uint32_t)wst.st_mode);
	else
		jrec_append(fs, BT_OP_MKNOD, 0, NULL, NULL, 0, 0, 0); /* marks a rescan */
}

static void op_rename(fuse_req_t req, fuse_ino_t pino, const char *name,
		      fuse_ino_t npino, const char *newname, unsigned int flags)
{
	struct bt_fs *fs = fs_of(req);
	struct bt_inode *parent = bt_inode_get(fs, pino);
	struct bt_inode *nparent = bt_inode_get(fs, npino), *gone = NULL;
	char *from = NULL, *to = NULL;
	struct stat st = { 0 };
	int rc;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (jrec_refused(fs)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	pthread_mutex_lock(&fs->ns_mu);
	/* Paths before the change: the row describes it from the old tree. */
	from = jrec_child_path(fs, parent, name);
	to = jrec_child_path(fs, nparent, newname);
	struct stat over = { 0 };

	fstatat(parent->fd, name, &st, AT_SYMLINK_NOFOLLOW);
	fstatat(nparent->fd, newname, &over, AT_SYMLINK_NOFOLLOW);
	rc = renameat2(parent->fd, name, nparent->fd, newname, flags) < 0 ? -errno : 0;
	/* mode = names the replaced target keeps elsewhere */
	if (rc == 0)
		jrec_append(fs, BT_OP_RENAME, st.st_ino, from, to, 0, flags & ~RENAME_WHITEOUT,
			    !(flags & RENAME_EXCHANGE) && over.st_ino && over.st_ino != st.st_ino &&
			    over.st_nlink > 1 ? (uint32_t)(over.st_nlink - 1) : 0);
	if (rc == 0 && !(flags & RENAME_EXCHANGE) && over.st_ino && over.st_ino != st.st_ino)
		gone = jrec_name_gone(fs, &over);
	if (rc == 0 && (flags & RENAME_WHITEOUT)) {
		bt_give_to_caller(req, parent, name); /* unprivileged users make them too */
		journal_whiteout(fs, parent, name, from);
	}
	pthread_mutex_unlock(&fs->ns_mu);
	if (gone)
		jrec_forget(fs, gone, 1);
	free(from);
	free(to);
	fuse_reply_err(req, -rc);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t npino,
		    const char *newname)
{
	struct bt_fs *fs = fs_of(req);
	struct bt_inode *in = bt_inode_get(fs, ino);
	struct bt_inode *nparent = bt_inode_get(fs, npino);
	struct fuse_entry_param e;
	char *existing = NULL, *path = NULL;
	int rc;

	if (jrec_refused(fs)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	pthread_mutex_lock(&fs->ns_mu);
	existing = jrec_inode_path(fs, in);
	rc = linkat(in->fd, "", nparent->fd, newname, AT_EMPTY_PATH) < 0 ? -errno : 0;
	if (rc == 0)
		rc = bt_inode_lookup(fs, nparent, newname, &e);
	if (rc == 0) {
		path = jrec_child_path(fs, nparent, newname);
		if (existing)
			jrec_append(fs, BT_OP_LINK, in->ino, existing, path, 0, 0, 0);
		else /* no known name to link from: record it as a new file */
			jrec_append(fs, BT_OP_CREATE, in->ino, path, NULL, 0, 0, 0);
	}
	pthread_mutex_unlock(&fs->ns_mu);
	free(existing);
	free(path);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_entry(req, &e);
}

void bt_fs_ns_ops(struct fuse_lowlevel_ops *ops)
{
	ops->mknod = op_mknod;
	ops->mkdir = op_mkdir;
	ops->symlink = op_symlink;
	ops->unlink = op_unlink;
	ops->rmdir = op_rmdir;
	ops->rename = op_rename;
	ops->link = op_link;
}
