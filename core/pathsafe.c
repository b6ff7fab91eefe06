/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Confined opens: openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) does the
 * real work; we only validate the path first (so journal rows with ".." or
 * absolute paths are refused before any syscall) and split paths longer
 * than PATH_MAX into pieces the kernel accepts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "btsoot/pathsafe.h"

#define CONFINE (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

bool bt_path_valid(const char *rel)
{
	const char *p = rel;

	if (!rel)
		return false;
	if (*rel == '\0')
		return true;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (len == 0 || len > NAME_MAX)
			return false;
		if (p[0] == '.' && (len == 1 || (len == 2 && p[1] == '.')))
			return false;
		if (!slash)
			return true;
		p = slash + 1;
	}
}

static int sys_openat2(int dirfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)flags | O_CLOEXEC,
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = CONFINE,
	};
	long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	if (fd >= 0)
		return (int)fd;
	if (errno != ENOSYS)
		return -errno;
	/* Pre-5.6 kernel: one plain component at a time is equally safe,
	 * since valid paths hold no "..", and O_NOFOLLOW refuses symlinks. */
	if (strchr(path, '/') && strcmp(path, ".") != 0)
		return -ENOSYS;
	fd = openat(dirfd, path, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	return fd >= 0 ? (int)fd : -errno;
}

/* Opens the directory `dir` (a valid rel, may exceed PATH_MAX) beneath
 * rootfd, in pieces short enough for the kernel. */
static int open_dir_pieces(int rootfd, const char *dir)
{
	char piece[PATH_MAX];
	int fd = -1, base = rootfd, next;

	if (*dir == '\0')
		return sys_openat2(rootfd, ".", O_PATH | O_DIRECTORY, 0);
	while (*dir) {
		size_t len = strlen(dir);

		if (len >= sizeof(piece)) {
			/* Cut at the last '/' that fits. */
			len = sizeof(piece) - 1;
			while (len > 0 && dir[len] != '/')
				len--;
			if (len == 0) {
				next = -ENAMETOOLONG;
				goto fail;
			}
		}
		memcpy(piece, dir, len);
		piece[len] = '\0';
		next = sys_openat2(base, piece, O_PATH | O_DIRECTORY | O_NOFOLLOW, 0);
		if (next < 0)
			goto fail;
		if (fd >= 0)
			close(fd);
		fd = base = next;
		dir += len;
		if (*dir == '/')
			dir++;
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return next;
}

int bt_open_parent(int rootfd, const char *rel, const char **leaf)
{
	const char *slash;
	char *dir;
	int fd;

	if (!bt_path_valid(rel) || *rel == '\0')
		return -EINVAL;
	slash = strrchr(rel, '/');
	if (!slash) {
		*leaf = rel;
		return sys_openat2(rootfd, ".", O_PATH | O_DIRECTORY, 0);
	}
	dir = strndup(rel, (size_t)(slash - rel));
	if (!dir)
		return -ENOMEM;
	fd = open_dir_pieces(rootfd, dir);
	free(dir);
	if (fd >= 0)
		*leaf = slash + 1;
	return fd;
}

int bt_open_beneath(int rootfd, const char *rel, int flags, mode_t mode)
{
	const char *leaf;
	int parent, fd;

	if (!bt_path_valid(rel))
		return -EINVAL;
	if (*rel == '\0')
		return sys_openat2(rootfd, ".", flags & ~(O_CREAT | O_EXCL), 0);
	if (strlen(rel) < PATH_MAX && !strchr(rel, '/'))
		return sys_openat2(rootfd, rel, flags | O_NOFOLLOW, mode);
	if (strlen(rel) < PATH_MAX) {
		fd = sys_openat2(rootfd, rel, flags | O_NOFOLLOW, mode);
		if (fd != -ENOSYS)
			return fd;
	}
	parent = bt_open_parent(rootfd, rel, &leaf);
	if (parent < 0)
		return parent;
	fd = sys_openat2(parent, leaf, flags | O_NOFOLLOW, mode);
	close(parent);
	return fd;
}

int bt_open_file_beneath(int rootfd, const char *rel)
{
	struct stat st;

	return bt_open_file_beneath_stat(rootfd, rel, &st);
}

int bt_open_file_beneath_stat(int rootfd, const char *rel, struct stat *st)
{
	int fd = bt_reopen_file_beneath(rootfd, rel, O_RDONLY, st);

	return fd == -EEXIST ? -ENOENT : fd;
}

int bt_open_file_beneath_fast(int rootfd, const char *rel, struct stat *st)
{
	/* O_NONBLOCK: a fifo at the name does not block us; O_NOCTTY: a
	 * terminal does not become ours; the fstat turns away the rest. */
	int fd = bt_open_beneath(rootfd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);

	if (fd < 0)
		return fd;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

int bt_reopen_file_beneath(int rootfd, const char *rel, int flags, struct stat *st)
{
	int pfd = bt_open_beneath(rootfd, rel, O_PATH, 0), fd;
	char proc[64];

	if (pfd < 0)
		return pfd;
	if (fstat(pfd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(pfd);
		return -EEXIST; /* another kind of object holds the name */
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc, (flags & ~O_CREAT) | O_CLOEXEC);
	fd = fd < 0 ? -errno : fd;
	close(pfd);
	return fd;
}

DIR *bt_opendir_beneath(int rootfd, const char *rel)
{
	int fd = bt_open_beneath(rootfd, rel, O_RDONLY | O_DIRECTORY, 0);
	DIR *d;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	d = fdopendir(fd);
	if (!d) {
		int err = errno;

		close(fd);
		errno = err;
	}
	return d;
}

char *bt_path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *out = malloc(dl + nl + 2);

	if (!out)
		return NULL;
	if (dl == 0) {
		memcpy(out, name, nl + 1);
		return out;
	}
	memcpy(out, dir, dl);
	out[dl] = '/';
	memcpy(out + dl + 1, name, nl + 1);
	return out;
}

char *bt_path_dirname(const char *rel)
{
	const char *slash = strrchr(rel, '/');

	return slash ? strndup(rel, (size_t)(slash - rel)) : strdup("");
}

bool bt_path_is_under(const char *path, const char *dir)
{
	size_t dl = strlen(dir);

	if (dl == 0)
		return true;
	return strncmp(path, dir, dl) == 0 &&
	       (path[dl] == '\0' || path[dl] == '/');
}

char *bt_path_rename(const char *path, const char *from, const char *to,
		     bool *moved)
{
	size_t fl = strlen(from), tl = strlen(to), rest;
	char *out;

	*moved = false;
	if (fl == 0 || !bt_path_is_under(path, from))
		return NULL;
	*moved = true;
	rest = strlen(path + fl);
	out = malloc(tl + rest + 1);
	if (!out)
		return NULL;
	memcpy(out, to, tl);
	memcpy(out + tl, path + fl, rest + 1);
	return out;
}

bool bt_path_up(char *rel)
{
	char *slash;

	if (!*rel)
		return false;
	slash = strrchr(rel, '/');
	*(slash ? slash : rel) = '\0';
	return true;
}

size_t bt_path_depth(const char *rel)
{
	size_t depth;

	if (*rel == '\0')
		return 0;
	depth = 1;
	for (; *rel; rel++)
		depth += *rel == '/';
	return depth;
}

/* Length of a valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

const char *bt_path_printable(const char *rel, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)rel;
	size_t o = 0;

	if (len < 8) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	while (*p) {
		size_t n = utf8_len(p);
		char esc[5];
		const char *src = (const char *)p;
		size_t sl = n;

		if (n == 0 || *p < 0x20 || *p == 0x7f || *p == '\\') {
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
			src = esc;
			sl = 4;
			n = 1;
		}
		if (o + sl + 4 > len) {
			memcpy(buf + o, "...", 4);
			return buf;
		}
		memcpy(buf + o, src, sl);
		o += sl;
		p += n;
	}
	buf[o] = '\0';
	return buf;
}
