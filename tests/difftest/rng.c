/* SPDX-License-Identifier: BSD-3-Clause */
/* The seeded generator, names, and the pool of paths the bare tree holds. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dt.h"

uint64_t dt_rnd(struct dt *t)
{
	uint64_t z = (t->rng += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

uint64_t dt_below(struct dt *t, uint64_t n)
{
	return n ? dt_rnd(t) % n : 0;
}

bool dt_chance(struct dt *t, unsigned percent)
{
	return dt_below(t, 100) < percent;
}

void dt_fill(struct dt *t, char *buf, size_t n)
{
	/* Runs of one byte now and then: zeros are data too, not holes. */
	if (dt_chance(t, 20)) {
		memset(buf, dt_chance(t, 50) ? 0 : (int)dt_below(t, 256), n);
		return;
	}
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = dt_rnd(t);

		memcpy(buf + i, &v, n - i < 8 ? n - i : 8);
	}
}

void dt_name(struct dt *t, char *out, size_t len)
{
	static const char *const common[] = {
		"a", "b", "c", "d", "e", "f", "g", "h", "dir", "sub", "x.tmp",
		"with space", "new\nline", "bad\xff\xfeutf8", "tab\there", "ü-utf8",
		"-dash", "#hash", "q?", "star*",
	};
	switch (dt_below(t, 20)) {
	case 0: { /* 255 bytes: the longest name ext4 takes */
		size_t n = len - 1 < 255 ? len - 1 : 255;

		memset(out, 'L', n);
		out[n] = '\0';
		out[n - 1] = (char)('0' + dt_below(t, 3));
		break;
	}
	case 1: /* 256 bytes: ENAMETOOLONG */
		memset(out, 'M', 256);
		out[256] = '\0';
		break;
	default:
		snprintf(out, len, "%s", common[dt_below(t, sizeof(common) / sizeof(*common))]);
	}
}

static const char *pool_pick(struct dt *t, mode_t type)
{
	for (int tries = 0; tries < 32 && t->npool; tries++) {
		struct dt_ent *e = &t->pool[dt_below(t, t->npool)];

		if (!type || e->type == type)
			return e->path;
	}
	return NULL;
}

const char *dt_existing(struct dt *t, mode_t type)
{
	const char *p;

	dt_pool_scan(t);
	p = pool_pick(t, type);
	return p ? p : (type == S_IFDIR ? "." : "a");
}

void dt_new_path(struct dt *t, char *out, size_t len)
{
	const char *dir = dt_chance(t, 30) ? "." : dt_existing(t, S_IFDIR);
	char name[300];

	dt_name(t, name, sizeof(name));
	if (!strcmp(dir, "."))
		snprintf(out, len, "%s", name);
	else
		snprintf(out, len, "%s/%s", dir, name);
}

void dt_any_path(struct dt *t, char *out, size_t len)
{
	static const char *const odd[] = { "", ".", "a/", "d/.", "nowhere/x" };
	unsigned k = (unsigned)dt_below(t, 100);

	if (k < 60)
		snprintf(out, len, "%s", dt_existing(t, 0));
	else if (k < 90)
		dt_new_path(t, out, len);
	else if (k < 95) /* through a non-directory, or with a trailing slash */
		snprintf(out, len, "%s/%s", dt_existing(t, 0), dt_chance(t, 50) ? "x" : "");
	else
		snprintf(out, len, "%s", odd[dt_below(t, sizeof(odd) / sizeof(*odd))]);
}

static void pool_add(struct dt *t, const char *path, mode_t type)
{
	if (t->npool < DT_POOL_MAX && strlen(path) < DT_PATH - 300) {
		t->pool[t->npool].path = strdup(path);
		t->pool[t->npool++].type = type;
	}
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int dt_open_noatime(int at, const char *path)
{
	int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(at, path, flags | O_NOATIME);

	return fd < 0 && errno == EPERM ? openat(at, path, flags) : fd;
}

/* Sorted, so a seed replays the same choices whatever readdir's order. */
static void scan_dir(struct dt *t, int at, const char *prefix, int depth)
{
	char *names[1024];
	size_t n = 0;
	struct dirent *de;
	DIR *d;
	int fd = dt_open_noatime(at, ".");

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) && n < 1024)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			names[n++] = strdup(de->d_name);
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		char path[DT_PATH];
		struct stat st;
		int sub;

		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "/" : "", names[i]);
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) == 0) {
			pool_add(t, path, st.st_mode & S_IFMT);
			if (S_ISDIR(st.st_mode) && depth < 12 &&
			    (sub = openat(dirfd(d), names[i], O_RDONLY | O_DIRECTORY |
					  O_NOFOLLOW | O_CLOEXEC)) >= 0) {
				scan_dir(t, sub, path, depth + 1);
				close(sub);
			}
		}
		free(names[i]);
	}
	closedir(d);
}

void dt_pool_scan(struct dt *t)
{
	if (!t->pool_dirty)
		return;
	for (size_t i = 0; i < t->npool; i++)
		free(t->pool[i].path);
	t->npool = 0;
	scan_dir(t, t->s[0].root, "", 0);
	t->pool_dirty = false;
}

const char *dt_q(const char *path)
{
	static char bufs[4][DT_PATH * 2];
	static int k;
	char *out = bufs[k++ & 3], *o = out;
	size_t n = strlen(path);

	if (n > 300) { /* long names: say how long, not what */
		snprintf(out, DT_PATH * 2, "<%zu bytes: %.40s...%.40s>", n, path, path + n - 40);
		return out;
	}
	*o++ = '"';
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p < 32 || *p >= 127 || *p == '"' || *p == '\\')
			o += sprintf(o, "\\x%02x", *p);
		else
			*o++ = (char)*p;
	}
	*o++ = '"';
	*o = '\0';
	return out;
}
