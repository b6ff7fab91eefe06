/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Acting for the caller. The daemon runs as root, so what the kernel does
 * on a local filesystem because of who the caller is must be done here:
 * new objects belong to the caller and get its umask, and an unprivileged
 * write or truncation clears set-id bits.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "btsoot/log.h"
#include "fs.h"

/* The daemon runs as root: hand a new object to the caller, as the kernel
 * would have. A setgid parent already gave it the right group. */
void bt_give_to_caller(fuse_req_t req, struct bt_inode *parent, const char *name)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct stat pst, st;
	gid_t gid = ctx->gid;

	if (ctx->uid == 0 && ctx->gid == 0)
		return;
	if (fstatat(parent->fd, "", &pst, AT_EMPTY_PATH) == 0 && (pst.st_mode & S_ISGID))
		gid = (gid_t)-1;
	if (fstatat(parent->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchownat(parent->fd, name, ctx->uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
		bt_warn("cannot chown new entry to uid %u: %s", ctx->uid, strerror(errno));
		return;
	}
	/* chown cleared set-id bits of a non-directory: put them back. */
	if (!S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode) && (st.st_mode & (S_ISUID | S_ISGID)))
		fchmodat(parent->fd, name, st.st_mode & 07777, 0);
}

/* The mode a new object gets, as on the bare directory: the caller's umask
 * applies unless the parent has a default ACL, which then decides (the
 * filesystem below applies it; our own umask is 0). */
mode_t bt_create_mode(fuse_req_t req, struct bt_inode *parent, mode_t mode)
{
	char proc[64];

	if (!fs_of(req)->dont_mask)
		return mode; /* the kernel applied the umask already */
	bt_inode_procpath(parent, proc);
	if (getxattr(proc, "system.posix_acl_default", NULL, 0) > 0)
		return mode;
	return mode & ~(mode_t)fuse_req_ctx(req)->umask;
}

/* Is the caller in group gid (primary or supplementary)? */
static bool caller_in_group(fuse_req_t req, gid_t gid)
{
	gid_t list[64];
	int n;

	if (fuse_req_ctx(req)->gid == gid)
		return true;
	n = fuse_req_getgroups(req, 64, list);
	for (int i = 0; i < n && i < 64; i++)
		if (list[i] == gid)
			return true;
	return false;
}

static void clear_bits(struct bt_inode *in, mode_t mode, mode_t kill)
{
	char proc[64];

	bt_inode_procpath(in, proc);
	if (chmod(proc, mode & 07777 & ~kill) < 0)
		bt_warn("cannot clear set-id bits: %s", strerror(errno));
}

/* A write, truncate or fallocate by an unprivileged caller clears set-id
 * bits as on a local filesystem: S_ISUID always, S_ISGID where group-exec
 * is set or the caller is not in the file's group. The kernel's FUSE
 * client does most of it, but neither for an O_TRUNC open (the truncation
 * happens here) nor for S_ISGID without group-exec. Root counts as
 * holding CAP_FSETID; a page written back has no caller. */
void bt_kill_priv(fuse_req_t req, struct bt_inode *in)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	mode_t kill = S_ISUID;
	struct stat st;

	if (ctx->uid == 0 || fstatat(in->fd, "", &st, AT_EMPTY_PATH) < 0 ||
	    !S_ISREG(st.st_mode) || !(st.st_mode & (S_ISUID | S_ISGID)))
		return;
	if ((st.st_mode & S_IXGRP) || !caller_in_group(req, st.st_gid))
		kill |= S_ISGID;
	if (st.st_mode & kill)
		clear_bits(in, st.st_mode, kill);
}

/* chown by an unprivileged caller, of a non-directory with S_ISGID but no
 * group-exec, when the caller is not in the file's group: a local
 * filesystem clears the bit; the kernel's FUSE client does not. The same
 * empty request also comes before a write by such a caller (the kernel
 * asking to remove privileges), where the bit must go too. Returns true
 * when it must be cleared after the request. */
bool bt_chown_sgid(fuse_req_t req, struct bt_inode *in, int valid)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	/* chown(-1, -1) arrives with nothing (or only ctime) to set */
	bool chown = (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) ||
		     (valid & ~FUSE_SET_ATTR_CTIME) == 0;
	struct stat st;

	return ctx->uid != 0 && chown && fstatat(in->fd, "", &st, AT_EMPTY_PATH) == 0 &&
	       !S_ISDIR(st.st_mode) && (st.st_mode & (S_ISGID | S_IXGRP)) == S_ISGID &&
	       !caller_in_group(req, st.st_gid);
}

void bt_clear_sgid(struct bt_inode *in)
{
	struct stat st;

	if (fstatat(in->fd, "", &st, AT_EMPTY_PATH) == 0 && (st.st_mode & S_ISGID))
		clear_bits(in, st.st_mode, S_ISGID);
}

/* Setting an access ACL: a local filesystem clears S_ISGID when the caller
 * is not in the object's group (nor privileged); we set it as root. The
 * kernel's FUSE client asks for it with a flag libfuse 3.14 does not pass
 * on (FUSE_SETXATTR_ACL_KILL_SGID). */
void bt_acl_kill_sgid(fuse_req_t req, struct bt_inode *in)
{
	struct stat st;

	if (fuse_req_ctx(req)->uid != 0 && fstatat(in->fd, "", &st, AT_EMPTY_PATH) == 0 &&
	    (st.st_mode & S_ISGID) && !caller_in_group(req, st.st_gid))
		clear_bits(in, st.st_mode, S_ISGID);
}

/* KILLPRIV_V2: the kernel no longer turns the set-id clearing of a write
 * or of chown(-1, -1) into a mode change (which a local filesystem lets
 * only the owner make: EPERM for others, and nothing changes), and both
 * reach us as the same empty SETATTR from the caller. Done as root it
 * would clear the bits for anyone, so from a caller other than root or the
 * owner, on a file with set-id bits, it changes nothing: a write clears
 * them itself (bt_kill_priv). Such a chown(-1, -1) then returns 0 where a
 * local filesystem says EPERM, with the same result. */
bool bt_kill_request_only(fuse_req_t req, struct bt_inode *in, int valid)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct stat st;

	return fs_of(req)->killpriv_v2 && ctx->uid != 0 && (valid & ~FUSE_SET_ATTR_CTIME) == 0 &&
	       fstatat(in->fd, "", &st, AT_EMPTY_PATH) == 0 && !S_ISDIR(st.st_mode) &&
	       st.st_uid != ctx->uid && (st.st_mode & (S_ISUID | S_ISGID));
}
