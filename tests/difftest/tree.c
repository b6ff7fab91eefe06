/* SPDX-License-Identifier: BSD-3-Clause */
/* The final comparison: both trees walked together, every entry's
 * canonical stat, symlink target, xattrs, data and hole map, and which
 * names share an inode. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dt.h"

#define MAX_INODES 65536

struct ino_pair {
	ino_t a, b;
};

static struct ino_pair inos[MAX_INODES];
static size_t ninos;

/* Names share an inode on the bare side exactly when they do through the
 * mount: the map bare ino -> mount ino must be one-to-one. */
static void check_link(struct dt *t, const char *path, ino_t a, ino_t b)
{
	char x[128], y[128];

	for (size_t i = 0; i < ninos; i++) {
		if (inos[i].a != a && inos[i].b != b)
			continue;
		if (inos[i].a == a && inos[i].b == b)
			return;
		snprintf(x, sizeof(x), "inode %lu pairs with %lu before", (unsigned long)a,
			 (unsigned long)inos[i].b);
		snprintf(y, sizeof(y), "inode %lu pairs with %lu before", (unsigned long)b,
			 (unsigned long)inos[i].a);
		dt_desc(t, "tree: hard links of %s", dt_q(path));
		dt_mismatch(t, "hard-link structure differs", x, y);
		return;
	}
	if (ninos < MAX_INODES)
		inos[ninos++] = (struct ino_pair){ a, b };
}

/* Adds the non-zero 4 KiB blocks of buf (at file offset off) with their
 * offsets: what a file holds, whether its zeros are stored or holes. */
static void add_nonzero(struct dt_res *r, const char *buf, size_t n, off_t off)
{
	static const char zero[4096];

	for (size_t b = 0; b < n; b += sizeof(zero)) {
		size_t len = n - b < sizeof(zero) ? n - b : sizeof(zero);

		if (!memcmp(buf + b, zero, len))
			continue;
		dt_res_printf(r, "@%lld:", (long long)(off + (off_t)b));
		dt_res_add(r, buf + b, len);
	}
}

/* The data/hole map and the data, in 1 MiB pieces. Holes are skipped, so
 * a sparse 5 GiB file costs what its data costs. With no_holes, only the
 * non-zero blocks count (a copy may store zeros where the original had a
 * hole, or the other way round). */
static int file_fingerprint(bool no_holes, int dirfd, const char *name, struct dt_res *r)
{
	static char buf[1 << 20];
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	off_t pos = 0, data, hole;

	if (fd < 0)
		return -1;
	while ((data = lseek(fd, pos, SEEK_DATA)) >= 0) {
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0)
			break;
		if (!no_holes)
			dt_res_printf(r, "data %lld-%lld:", (long long)data, (long long)hole);
		for (off_t o = data; o < hole;) {
			size_t want = hole - o < (off_t)sizeof(buf) ? (size_t)(hole - o) : sizeof(buf);
			ssize_t n = pread(fd, buf, want, o);

			if (n <= 0)
				break;
			if (no_holes)
				add_nonzero(r, buf, (size_t)n, o);
			else
				dt_res_add(r, buf, (size_t)n);
			o += n;
		}
		pos = hole;
	}
	close(fd);
	return 0;
}

static void compare_entry(struct dt *t, const int dfd[DT_SIDES], const char *name,
			  const char *path, struct stat st[DT_SIDES]);

/* Directory by directory through descriptors: paths deeper than PATH_MAX
 * are compared too. */
static void compare_dir(struct dt *t, const int fd[DT_SIDES], const char *path)
{
	struct dt_res r[DT_SIDES] = { 0 };
	char *list;
	size_t len;

	dt_desc(t, "tree: listing of %s", dt_q(path));
	/* a copy's root may hold the remote's own .btsoot */
	DT_BOTH(t, r, dt_list_dir(fd[DT_SIDE], R, t->copy && !strcmp(path, ".") ? ".btsoot" : NULL));
	len = r[0].outlen;
	list = len ? malloc(len) : NULL;
	if (list)
		memcpy(list, r[0].out, len);
	dt_same(t, r);
	for (size_t off = 0; list && off < len; off += strlen(list + off) + 1) {
		char child[DT_PATH], *name = strchr(list + off, ' ') + 1;
		struct stat st[DT_SIDES];
		bool ok = true;

		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s%s%s", strcmp(path, ".") ? path : "",
			 strcmp(path, ".") ? "/" : "", name);
		for (int s = 0; s < DT_SIDES; s++)
			ok &= fstatat(fd[s], name, &st[s], AT_SYMLINK_NOFOLLOW) == 0;
		if (ok)
			compare_entry(t, fd, name, child, st);
	}
	free(list);
}

static void compare_subdir(struct dt *t, const int dfd[DT_SIDES], const char *name,
			   const char *path)
{
	struct dt_res r[DT_SIDES] = { 0 };
	int fd[DT_SIDES];

	dt_desc(t, "tree: open directory %s", dt_q(path));
	DT_BOTH(t, r, fd[DT_SIDE] = openat(dfd[DT_SIDE], name, O_RDONLY | O_DIRECTORY |
					   O_NOFOLLOW | O_CLOEXEC));
	r[0].ret_is_fd = true;
	if (dt_same(t, r) && fd[1] >= 0)
		compare_dir(t, fd, path);
	for (int s = 0; s < DT_SIDES; s++)
		if (fd[s] >= 0)
			close(fd[s]);
}

static void compare_entry(struct dt *t, const int dfd[DT_SIDES], const char *name,
			  const char *path, struct stat st[DT_SIDES])
{
	struct dt_res r[DT_SIDES] = { 0 };
	char target[DT_SIDES][DT_PATH];

	dt_desc(t, "tree: stat of %s", dt_q(path));
	for (int s = 0; s < DT_SIDES; s++)
		dt_res_stat(t, &r[s], &st[s]);
	dt_same(t, r);
	dt_same_times(t, st);
	if (!S_ISDIR(st[0].st_mode))
		check_link(t, path, st[0].st_ino, st[1].st_ino);
	dt_desc(t, "tree: xattrs of %s", dt_q(path));
	DT_BOTH(t, r, dt_list_xattrs(dfd[DT_SIDE], name, R));
	dt_same(t, r);
	if (S_ISLNK(st[0].st_mode)) {
		dt_desc(t, "tree: target of %s", dt_q(path));
		DT_BOTH(t, r, readlinkat(dfd[DT_SIDE], name, target[DT_SIDE], DT_PATH));
		for (int s = 0; s < DT_SIDES; s++)
			if (r[s].ret > 0)
				dt_res_add(&r[s], target[s], (size_t)r[s].ret);
		dt_same(t, r);
	} else if (S_ISREG(st[0].st_mode) && S_ISREG(st[1].st_mode)) {
		bool no_holes = t->no_holes || dt_tainted(t, st[0].st_ino);

		dt_desc(t, "tree: data%s of %s", no_holes ? "" : " and holes", dt_q(path));
		DT_BOTH(t, r, file_fingerprint(no_holes, dfd[DT_SIDE], name, R));
		dt_same(t, r);
	} else if (S_ISDIR(st[0].st_mode) && S_ISDIR(st[1].st_mode)) {
		compare_subdir(t, dfd, name, path);
	}
}

void dt_compare_trees(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	struct stat st[DT_SIDES];
	int fd[DT_SIDES];

	ninos = 0;
	for (int s = 0; s < DT_SIDES; s++) {
		fd[s] = t->s[s].root;
		if (fstat(fd[s], &st[s]) < 0) {
			perror("difftest: fstat root");
			exit(2);
		}
	}
	dt_desc(t, "tree: the roots");
	for (int s = 0; s < DT_SIDES; s++)
		dt_res_stat(t, &r[s], &st[s]);
	dt_same(t, r);
	dt_same_times(t, st);
	compare_dir(t, fd, ".");
}
