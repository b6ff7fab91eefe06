/* SPDX-License-Identifier: BSD-3-Clause */
/* Namespace operations: open/create, mkdir, rmdir, unlink, rename, link,
 * symlink, readlink, mknod, and removing a whole subtree step by step. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dt.h"

static const mode_t file_modes[] = {
	0644, 0600, 0755, 0777, 0, 04755, 02755, 06777, 01777, 0444, 02700, 04711, 02745,
};
static const mode_t dir_modes[] = {
	0755, 0777, 01777, 02775, 0700, 0555, 0311, 03777, 0750,
};
#define PICK(t, a) ((a)[dt_below(t, sizeof(a) / sizeof(*(a)))])

static int open_flags(struct dt *t)
{
	static const int acc[] = { O_RDONLY, O_WRONLY, O_RDWR };
	int f = PICK(t, acc) | O_NONBLOCK | O_CLOEXEC; /* fifos must not block */

	if (dt_chance(t, 50))
		f |= O_CREAT;
	if ((f & O_CREAT) && dt_chance(t, 30))
		f |= O_EXCL;
	if (dt_chance(t, 15))
		f |= O_TRUNC;
	if (dt_chance(t, 20))
		f |= O_APPEND;
	if (dt_chance(t, 5))
		f |= O_DIRECTORY;
	if (dt_chance(t, 5))
		f |= O_NOFOLLOW;
	return f;
}

void dt_op_open(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	char path[DT_PATH];
	int flags = open_flags(t), slot = dt_pick_slot(t, false);
	mode_t mode = PICK(t, file_modes);

	if ((flags & O_CREAT) && dt_chance(t, 50))
		dt_new_path(t, path, sizeof(path));
	else
		dt_any_path(t, path, sizeof(path));
	if (t->slot[slot].open)
		dt_close_slot(t, slot);
	dt_desc(t, "open(%s, %#o, %04o) into slot %d", dt_q(path), flags, mode, slot);
	DT_BOTH(t, r, openat(S->root, path, flags, mode));
	r[0].ret_is_fd = true;
	for (int s = 0; s < DT_SIDES; s++)
		t->s[s].fd[slot] = (int)r[s].ret;
	if (dt_same(t, r)) {
		t->slot[slot].open = true;
		t->slot[slot].flags = flags;
		snprintf(t->slot[slot].path, sizeof(t->slot[slot].path), "%s", path);
		t->pool_dirty |= !!(flags & O_CREAT);
		return;
	}
	for (int s = 0; s < DT_SIDES; s++) /* only after a reported mismatch */
		if (t->s[s].fd[slot] >= 0)
			close(t->s[s].fd[slot]);
	for (int s = 0; s < DT_SIDES; s++)
		t->s[s].fd[slot] = -1;
}

void dt_op_mkdir(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	char path[DT_PATH];
	mode_t mode = PICK(t, dir_modes);

	if (dt_chance(t, 70))
		dt_new_path(t, path, sizeof(path));
	else
		dt_any_path(t, path, sizeof(path));
	dt_desc(t, "mkdir(%s, %04o)", dt_q(path), mode);
	DT_BOTH(t, r, mkdirat(S->root, path, mode));
	t->pool_dirty |= dt_same(t, r);
}

void dt_op_rmdir(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	char path[DT_PATH];

	if (dt_chance(t, 75))
		snprintf(path, sizeof(path), "%s", dt_existing(t, S_IFDIR));
	else
		dt_any_path(t, path, sizeof(path));
	dt_desc(t, "rmdir(%s)", dt_q(path));
	DT_BOTH(t, r, unlinkat(S->root, path, AT_REMOVEDIR));
	t->pool_dirty |= dt_same(t, r);
}

void dt_op_unlink(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	char path[DT_PATH];
	int slot = dt_pick_slot(t, true);
	unsigned k = (unsigned)dt_below(t, 100);

	if (k < 25 && slot >= 0) /* a file that is open: later I/O goes to an orphan */
		snprintf(path, sizeof(path), "%s", t->slot[slot].path);
	else if (k < 80)
		snprintf(path, sizeof(path), "%s", dt_existing(t, 0));
	else
		dt_any_path(t, path, sizeof(path));
	dt_desc(t, "unlink(%s)", dt_q(path));
	DT_BOTH(t, r, unlinkat(S->root, path, 0));
	t->pool_dirty |= dt_same(t, r);
}

/* The target of a rename: new, existing (over files, over empty and full
 * directories), or inside the source itself (EINVAL for a directory). */
static void rename_target(struct dt *t, const char *from, char *to, size_t len)
{
	char name[300];
	unsigned k = (unsigned)dt_below(t, 100);

	if (k < 40) {
		dt_new_path(t, to, len);
	} else if (k < 85) {
		snprintf(to, len, "%s", dt_existing(t, dt_chance(t, 30) ? S_IFDIR : 0));
	} else if (k < 95) {
		dt_name(t, name, sizeof(name));
		snprintf(to, len, "%s/%s", from, name);
	} else {
		dt_any_path(t, to, len);
	}
}

void dt_op_rename(struct dt *t)
{
	static const unsigned flag_set[] = {
		0, 0, 0, 0, 0, 0, RENAME_NOREPLACE, RENAME_NOREPLACE, RENAME_EXCHANGE,
		RENAME_EXCHANGE, RENAME_NOREPLACE | RENAME_EXCHANGE, RENAME_WHITEOUT,
	};
	struct dt_res r[DT_SIDES] = { 0 };
	char from[DT_PATH], to[DT_PATH];
	unsigned flags = PICK(t, flag_set);

	if (dt_chance(t, 85))
		snprintf(from, sizeof(from), "%s", dt_existing(t, dt_chance(t, 25) ? S_IFDIR : 0));
	else
		dt_any_path(t, from, sizeof(from));
	rename_target(t, from, to, sizeof(to));
	dt_desc(t, "renameat2(%s, %s, %#x)", dt_q(from), dt_q(to), flags);
	DT_BOTH(t, r, renameat2(S->root, from, S->root, to, flags));
	t->pool_dirty |= dt_same(t, r);
}

void dt_op_link(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	char from[DT_PATH], to[DT_PATH];
	int flags = dt_chance(t, 20) ? AT_SYMLINK_FOLLOW : 0;

	if (dt_chance(t, 85))
		snprintf(from, sizeof(from), "%s", dt_existing(t, dt_chance(t, 70) ? S_IFREG : 0));
	else
		dt_any_path(t, from, sizeof(from));
	if (dt_chance(t, 80))
		dt_new_path(t, to, sizeof(to));
	else
		dt_any_path(t, to, sizeof(to));
	dt_desc(t, "linkat(%s, %s, %#x)", dt_q(from), dt_q(to), flags);
	DT_BOTH(t, r, linkat(S->root, from, S->root, to, flags));
	t->pool_dirty |= dt_same(t, r);
}

/* Never with "." or ".." components and never absolute: a target must
 * resolve inside each tree the same way. */
static void symlink_target(struct dt *t, char *out, size_t len, const char *self)
{
	unsigned k = (unsigned)dt_below(t, 100);
	const char *base = strrchr(self, '/');

	if (k < 35) {
		dt_name(t, out, len);
	} else if (k < 65) {
		snprintf(out, len, "%s", dt_existing(t, 0));
	} else if (k < 75) { /* a loop: ELOOP when followed */
		snprintf(out, len, "%s", base ? base + 1 : self);
	} else if (k < 85) {
		snprintf(out, len, "nowhere/at all");
	} else if (k < 95) { /* the longest target, and one byte too long */
		size_t n = dt_chance(t, 70) ? 4095 : 4096;

		n = n < len - 1 ? n : len - 1;
		memset(out, 'T', n);
		out[n] = '\0';
	} else {
		out[0] = '\0'; /* ENOENT */
	}
	if (!strcmp(out, ".") || !strcmp(out, ".."))
		snprintf(out, len, "dot");
}

void dt_op_symlink(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	char path[DT_PATH], target[DT_PATH];

	if (dt_chance(t, 85))
		dt_new_path(t, path, sizeof(path));
	else
		dt_any_path(t, path, sizeof(path));
	symlink_target(t, target, sizeof(target), path);
	dt_desc(t, "symlink(%s, %s)", dt_q(target), dt_q(path));
	DT_BOTH(t, r, symlinkat(target, S->root, path));
	t->pool_dirty |= dt_same(t, r);
}

void dt_op_readlink(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	char path[DT_PATH], buf[DT_SIDES][DT_PATH];
	size_t size = dt_chance(t, 85) ? DT_PATH : (size_t)dt_below(t, 8) + 1;

	if (dt_chance(t, 85))
		snprintf(path, sizeof(path), "%s", dt_existing(t, S_IFLNK));
	else
		dt_any_path(t, path, sizeof(path));
	dt_desc(t, "readlink(%s, size %zu)", dt_q(path), size);
	DT_BOTH(t, r, readlinkat(S->root, path, buf[DT_SIDE], size));
	for (int s = 0; s < DT_SIDES; s++)
		if (r[s].ret > 0)
			dt_res_add(&r[s], buf[s], (size_t)r[s].ret);
	dt_same(t, r);
}

void dt_op_mknod(struct dt *t)
{
	static const struct { mode_t type; dev_t dev; } kinds[] = {
		{ S_IFIFO, 0 }, { S_IFIFO, 0 }, { S_IFCHR, 0x103 }, { S_IFCHR, 0x105 },
		{ S_IFSOCK, 0 }, { S_IFSOCK, 0 }, { S_IFREG, 0 }, { S_IFBLK, 0 },
		{ S_IFCHR, 0 }, /* a whiteout-like 0:0 device */
	};
	struct dt_res r[DT_SIDES] = { 0 };
	char path[DT_PATH];
	unsigned k = (unsigned)dt_below(t, sizeof(kinds) / sizeof(*kinds));
	mode_t mode = kinds[k].type | (PICK(t, file_modes) & 07777);
	dev_t dev = kinds[k].type == S_IFBLK ? makedev(240, 7) : makedev(kinds[k].dev >> 8,
									  kinds[k].dev & 0xff);

	if (dt_chance(t, 85))
		dt_new_path(t, path, sizeof(path));
	else
		dt_any_path(t, path, sizeof(path));
	dt_desc(t, "mknod(%s, %06o, %u:%u)", dt_q(path), mode, major(dev), minor(dev));
	DT_BOTH(t, r, mknodat(S->root, path, mode, dev));
	t->pool_dirty |= dt_same(t, r);
}

static void rm_rec(struct dt *t, const char *path, int depth);

static void rm_children(struct dt *t, const char *path, int depth)
{
	char *names[512], child[DT_PATH];
	size_t n = 0;
	struct dirent *de;
	int fd = dt_open_noatime(t->s[0].root, path);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) && n < 512)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			names[n++] = strdup(de->d_name);
	closedir(d);
	for (size_t i = 0; i < n; i++) {
		if (snprintf(child, sizeof(child), "%s/%s", path, names[i]) < (int)sizeof(child))
			rm_rec(t, child, depth + 1);
		free(names[i]);
	}
}

/* Like rm -r: every unlink and rmdir compared; names in the bare side's
 * readdir order (both sides are told the same names). */
static void rm_rec(struct dt *t, const char *path, int depth)
{
	struct dt_res r[DT_SIDES] = { 0 };
	struct stat st;
	bool dir;

	if (fstatat(t->s[0].root, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	dir = S_ISDIR(st.st_mode);
	if (dir && depth < 16)
		rm_children(t, path, depth);
	dt_desc(t, "rm -r: %s(%s)", dir ? "rmdir" : "unlink", dt_q(path));
	DT_BOTH(t, r, unlinkat(S->root, path, dir ? AT_REMOVEDIR : 0));
	dt_same(t, r);
}

void dt_op_rmtree(struct dt *t)
{
	char path[DT_PATH];

	snprintf(path, sizeof(path), "%s", dt_existing(t, S_IFDIR));
	if (!strcmp(path, "."))
		return;
	rm_rec(t, path, 0);
	t->pool_dirty = true;
}
