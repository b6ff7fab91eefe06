/* SPDX-License-Identifier: BSD-3-Clause */
/* Attributes: chmod (with set-id bits), chown, utimensat with nanoseconds,
 * truncate, stat, readdir, access, xattrs and POSIX ACLs, umask. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "config.h"
#include "dt.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* xattr calls take paths: reach the tree through its root descriptor. */
static void via_root(const struct dt_side *s, const char *rel, char *out, size_t len)
{
	snprintf(out, len, "/proc/self/fd/%d/%s", s->root, rel);
}

static void target(struct dt *t, char *path, size_t len)
{
	if (dt_chance(t, 85))
		snprintf(path, len, "%s", dt_existing(t, 0));
	else
		dt_any_path(t, path, len);
}

void dt_op_chmod(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	char path[DT_PATH];
	mode_t mode = dt_chance(t, 50) ? (mode_t)dt_below(t, 010000)
				       : (mode_t)(0600 | dt_below(t, 0200) | (dt_below(t, 8) << 9));
	bool nofollow = dt_chance(t, 15);

	target(t, path, sizeof(path));
	dt_desc(t, "fchmodat%s(%s, %04o)", nofollow ? "2 NOFOLLOW" : "", dt_q(path), mode);
	DT_BOTH(t, r, nofollow ? syscall(SYS_fchmodat2, S->root, path, mode, AT_SYMLINK_NOFOLLOW)
			       : fchmodat(S->root, path, mode, 0));
	dt_same(t, r);
}

/* chown(fd, -1, -1) by a user other than root or the owner, where a local
 * filesystem says EPERM (it would clear set-id bits) and btsootfs
 * succeeds: of S_ISGID without group-exec always; with KILLPRIV_V2
 * (libfuse 3.17: docs/design.md, fs/creds.c) of any set-id bit, changing
 * nothing. */
bool dt_chown_known_difference(int fd)
{
	struct stat st;

	if (geteuid() == 0 || fstat(fd, &st) < 0 || S_ISDIR(st.st_mode) || st.st_uid == geteuid())
		return false;
#ifdef HAVE_FUSE_CAP_HANDLE_KILLPRIV_V2
	return (st.st_mode & (S_ISUID | S_ISGID)) != 0;
#else
	return (st.st_mode & (S_ISGID | S_IXGRP)) == S_ISGID;
#endif
}

void dt_op_chown(struct dt *t)
{
	static const int ids[] = { -1, -1, 0, 65532, 65533, 65534 };
	struct dt_res r[DT_SIDES] = { 0 };
	char path[DT_PATH];
	uid_t u = (uid_t)ids[dt_below(t, 6)];
	gid_t g = (gid_t)ids[dt_below(t, 6)];
	int flags = dt_chance(t, 30) ? AT_SYMLINK_NOFOLLOW : 0;

	target(t, path, sizeof(path));
	if (u == (uid_t)-1 && g == (gid_t)-1) {
		int fd = openat(t->s[0].root, path, O_PATH | O_CLOEXEC |
				(flags & AT_SYMLINK_NOFOLLOW ? O_NOFOLLOW : 0));
		bool skip = fd >= 0 && dt_chown_known_difference(fd);

		if (fd >= 0)
			close(fd);
		if (skip)
			return;
	}
	dt_desc(t, "fchownat(%s, %d, %d, %#x)", dt_q(path), (int)u, (int)g, flags);
	DT_BOTH(t, r, fchownat(S->root, path, u, g, flags));
	dt_same(t, r);
}

void dt_op_utimens(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	char path[DT_PATH];
	struct timespec ts[2] = {
		{ 1000000000 + (time_t)dt_below(t, 600000000), (long)dt_below(t, 1000000000) },
		{ 1000000000 + (time_t)dt_below(t, 600000000), (long)dt_below(t, 1000000000) },
	};
	int flags = dt_chance(t, 30) ? AT_SYMLINK_NOFOLLOW : 0;

	for (int k = 0; k < 2; k++)
		if (dt_chance(t, 15))
			ts[k].tv_nsec = dt_chance(t, 50) ? UTIME_NOW : UTIME_OMIT;
	target(t, path, sizeof(path));
	dt_desc(t, "utimensat(%s, %lld.%09ld, %lld.%09ld, %#x)", dt_q(path),
		(long long)ts[0].tv_sec, ts[0].tv_nsec, (long long)ts[1].tv_sec, ts[1].tv_nsec,
		flags);
	DT_BOTH(t, r, utimensat(S->root, path, ts, flags));
	dt_same(t, r);
}

void dt_op_truncate(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	char path[DT_PATH], proc[DT_SIDES][DT_PATH + 32];
	off_t len = dt_chance(t, 30) ? 0 : (off_t)dt_below(t, dt_chance(t, 80) ? 200000 : 40 << 20);

	if (dt_chance(t, 2)) /* EFBIG */
		len = (off_t)(17ll << 40);

	target(t, path, sizeof(path));
	for (int s = 0; s < DT_SIDES; s++)
		via_root(&t->s[s], path, proc[s], sizeof(proc[s]));
	dt_desc(t, "truncate(%s, %lld)", dt_q(path), (long long)len);
	DT_BOTH(t, r, truncate(proc[DT_SIDE], len));
	dt_same(t, r);
}

void dt_op_stat(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	struct stat st[DT_SIDES];
	char path[DT_PATH];
	int flags = dt_chance(t, 50) ? AT_SYMLINK_NOFOLLOW : 0;

	target(t, path, sizeof(path));
	dt_desc(t, "fstatat(%s, %#x)", dt_q(path), flags);
	DT_BOTH(t, r, fstatat(S->root, path, &st[DT_SIDE], flags));
	for (int s = 0; s < DT_SIDES; s++)
		if (r[s].ret == 0)
			dt_res_stat(t, &r[s], &st[s]);
	if (dt_same(t, r))
		dt_same_times(t, st);
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int dt_list_dir(int fd, struct dt_res *r, const char *skip)
{
	int dfd = fd >= 0 ? openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	char **v = NULL;
	size_t n = 0;
	struct dirent *de;

	if (!d) {
		int err = dfd < 0 && fd >= 0 ? errno : EBADF;

		if (dfd >= 0)
			close(dfd);
		errno = err;
		return -1;
	}
	while ((de = readdir(d))) {
		if (skip && !strcmp(de->d_name, skip))
			continue;
		v = realloc(v, (n + 1) * sizeof(*v));
		if (asprintf(&v[n], "%u %s", de->d_type, de->d_name) < 0)
			break;
		n++;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), by_str);
	for (size_t i = 0; i < n; i++) {
		dt_res_add(r, v[i], strlen(v[i]) + 1); /* names may hold newlines */
		free(v[i]);
	}
	free(v);
	return (int)n;
}

void dt_op_readdir(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	char path[DT_PATH];
	int fd[DT_SIDES];

	if (dt_chance(t, 80))
		snprintf(path, sizeof(path), "%s", dt_existing(t, S_IFDIR));
	else
		dt_any_path(t, path, sizeof(path));
	dt_desc(t, "opendir+readdir(%s)", dt_q(path));
	DT_BOTH(t, r, fd[DT_SIDE] = openat(S->root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	r[0].ret_is_fd = true;
	if (!dt_same(t, r)) {
		for (int s = 0; s < DT_SIDES; s++)
			if (fd[s] >= 0)
				close(fd[s]);
		return;
	}
	DT_BOTH(t, r, dt_list_dir(fd[DT_SIDE], R, NULL));
	for (int s = 0; s < DT_SIDES; s++)
		close(fd[s]);
	dt_same(t, r);
}

void dt_op_access(struct dt *t)
{
	static const int modes[] = { F_OK, R_OK, W_OK, X_OK, R_OK | W_OK, R_OK | X_OK };
	struct dt_res r[DT_SIDES] = { 0 };
	char path[DT_PATH];
	int mode = modes[dt_below(t, 6)];
	int flags = (dt_chance(t, 50) ? AT_EACCESS : 0) |
		    (dt_chance(t, 20) ? AT_SYMLINK_NOFOLLOW : 0);

	target(t, path, sizeof(path));
	dt_desc(t, "faccessat(%s, %d, %#x)", dt_q(path), mode, flags);
	DT_BOTH(t, r, faccessat(S->root, path, mode, flags));
	dt_same(t, r);
}

/* The sorted names and values of every xattr of a path (not followed). */
int dt_list_xattrs(int dirfd, const char *rel, struct dt_res *r)
{
	char path[DT_PATH + 32], list[8192], val[8192], *names[256];
	ssize_t n = 0, len;
	size_t cnt = 0;

	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, rel);
	len = llistxattr(path, list, sizeof(list));
	if (len < 0)
		return -1;
	for (char *p = list; p < list + len && cnt < 256; p += strlen(p) + 1)
		names[cnt++] = p;
	qsort(names, cnt, sizeof(*names), by_str);
	for (size_t i = 0; i < cnt; i++) {
		n = lgetxattr(path, names[i], val, sizeof(val));
		dt_res_printf(r, "%s=", names[i]);
		if (n < 0)
			dt_res_printf(r, "errno %d", errno);
		for (ssize_t k = 0; k < n; k++)
			dt_res_printf(r, "%02x", (unsigned char)val[k]);
		dt_res_add(r, "\n", 1);
	}
	return (int)cnt;
}

static const char *xattr_name(struct dt *t)
{
	static const char *const names[] = {
		"user.a", "user.b", "user.long.name.with.dots", "trusted.t", "security.s",
		"user.", "bogus.ns", "system.posix_acl_access",
	};
	return names[dt_below(t, sizeof(names) / sizeof(*names))];
}

static void xattr_set(struct dt *t, const char *path, const char *name, bool follow)
{
	static const int flag_set[] = { 0, 0, XATTR_CREATE, XATTR_REPLACE };
	struct dt_res r[DT_SIDES] = { 0 };
	char proc[DT_SIDES][DT_PATH + 32], val[4096];
	size_t n = dt_chance(t, 10) ? 0 : (size_t)dt_below(t, dt_chance(t, 90) ? 64 : 4000);
	int flags = flag_set[dt_below(t, 4)];

	dt_fill(t, val, n);
	for (int s = 0; s < DT_SIDES; s++)
		via_root(&t->s[s], path, proc[s], sizeof(proc[s]));
	dt_desc(t, "%ssetxattr(%s, %s, %zu bytes, %d)", follow ? "" : "l", dt_q(path), name, n,
		flags);
	DT_BOTH(t, r, follow ? setxattr(proc[DT_SIDE], name, val, n, flags)
			     : lsetxattr(proc[DT_SIDE], name, val, n, flags));
	dt_same(t, r);
}

static void xattr_get(struct dt *t, const char *path, const char *name, bool follow)
{
	struct dt_res r[DT_SIDES] = { 0 };
	char proc[DT_SIDES][DT_PATH + 32], val[DT_SIDES][8192];
	size_t size = dt_chance(t, 80) ? sizeof(val[0]) : (size_t)dt_below(t, 4);

	for (int s = 0; s < DT_SIDES; s++)
		via_root(&t->s[s], path, proc[s], sizeof(proc[s]));
	dt_desc(t, "%sgetxattr(%s, %s, size %zu)", follow ? "" : "l", dt_q(path), name, size);
	DT_BOTH(t, r, follow ? getxattr(proc[DT_SIDE], name, val[DT_SIDE], size)
			     : lgetxattr(proc[DT_SIDE], name, val[DT_SIDE], size));
	for (int s = 0; s < DT_SIDES; s++)
		if (r[s].ret > 0 && size)
			dt_res_add(&r[s], val[s], (size_t)r[s].ret);
	dt_same(t, r);
}

void dt_op_xattr(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	char path[DT_PATH], proc[DT_SIDES][DT_PATH + 32];
	const char *name = xattr_name(t);
	bool follow = dt_chance(t, 60);
	unsigned k = (unsigned)dt_below(t, 100);

	target(t, path, sizeof(path));
	if (k < 35)
		return xattr_set(t, path, name, follow);
	if (k < 65)
		return xattr_get(t, path, name, follow);
	for (int s = 0; s < DT_SIDES; s++)
		via_root(&t->s[s], path, proc[s], sizeof(proc[s]));
	if (k < 85) {
		dt_desc(t, "llistxattr+lgetxattr all(%s)", dt_q(path));
		DT_BOTH(t, r, dt_list_xattrs(S->root, path, R));
	} else {
		dt_desc(t, "%sremovexattr(%s, %s)", follow ? "" : "l", dt_q(path), name);
		DT_BOTH(t, r, follow ? removexattr(proc[DT_SIDE], name)
				     : lremovexattr(proc[DT_SIDE], name));
	}
	dt_same(t, r);
}

/* A POSIX ACL in the kernel's xattr format; now and then an invalid one. */
static size_t make_acl(struct dt *t, char *buf)
{
	struct { uint16_t tag, perm; uint32_t id; } e[8];
	uint32_t version = dt_chance(t, 3) ? 1 : 2;
	size_t n = 0;
	bool named = dt_chance(t, 70);

	e[n++] = (typeof(e[0])){ 0x01, (uint16_t)dt_below(t, 8), (uint32_t)-1 };
	if (named)
		e[n++] = (typeof(e[0])){ 0x02, (uint16_t)dt_below(t, 8), 65533 + (uint32_t)dt_below(t, 2) };
	e[n++] = (typeof(e[0])){ 0x04, (uint16_t)dt_below(t, 8), (uint32_t)-1 };
	if (dt_chance(t, 40)) {
		e[n++] = (typeof(e[0])){ 0x08, (uint16_t)dt_below(t, 8), 65532 };
		named = true;
	}
	if (named && !dt_chance(t, 5)) /* without a mask: EINVAL */
		e[n++] = (typeof(e[0])){ 0x10, (uint16_t)dt_below(t, 8), (uint32_t)-1 };
	e[n++] = (typeof(e[0])){ 0x20, (uint16_t)dt_below(t, 8), (uint32_t)-1 };
	memcpy(buf, &version, 4);
	memcpy(buf + 4, e, n * sizeof(e[0]));
	return 4 + n * sizeof(e[0]);
}

void dt_op_acl(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	char path[DT_PATH], proc[DT_SIDES][DT_PATH + 32], acl[128];
	bool def = dt_chance(t, 25), remove = dt_chance(t, 15);
	const char *name = def ? "system.posix_acl_default" : "system.posix_acl_access";
	size_t n = make_acl(t, acl);

	target(t, path, sizeof(path));
	for (int s = 0; s < DT_SIDES; s++)
		via_root(&t->s[s], path, proc[s], sizeof(proc[s]));
	if (remove) {
		dt_desc(t, "removexattr(%s, %s)", dt_q(path), name);
		DT_BOTH(t, r, removexattr(proc[DT_SIDE], name));
	} else {
		dt_desc(t, "setxattr(%s, %s, %zu-byte ACL)", dt_q(path), name, n);
		DT_BOTH(t, r, setxattr(proc[DT_SIDE], name, acl, n, 0));
	}
	dt_same(t, r);
}

void dt_op_umask(struct dt *t)
{
	static const mode_t masks[] = { 0, 022, 077, 027, 002, 0777 };
	mode_t m = masks[dt_below(t, 6)];

	dt_desc(t, "umask(%03o)", m);
	umask(m);
}
