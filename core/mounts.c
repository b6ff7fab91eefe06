/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "btsoot/mounts.h"

bool bt_is_mount_point(const char *path)
{
	char parent[PATH_MAX + 4];
	struct stat a, b;

	snprintf(parent, sizeof(parent), "%s/..", path);
	return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* One mountinfo line: "id parent major:minor root mountpoint opts [tags] -
 * fstype source superopts". Splits line in place; false if malformed. */
static bool parse_line(char *line, struct bt_mount *m)
{
	char *save = NULL, *tok = strtok_r(line, " ", &save), *sep;
	unsigned int maj, min;

	for (int i = 1; tok && i < 5; i++) { /* fields 1-4 */
		if (i == 3 && sscanf(tok, "%u:%u", &maj, &min) == 2)
			m->dev = makedev(maj, min);
		tok = strtok_r(NULL, " ", &save);
	}
	m->mnt = tok; /* field 5 */
	sep = save ? strstr(save, " - ") : NULL;
	if (!m->mnt || !sep)
		return false;
	m->fstype = strtok_r(sep + 3, " \n", &save);
	if (!m->fstype)
		return false;
	unescape(m->mnt);
	return true;
}

int bt_mounts_each(int (*fn)(void *arg, const struct bt_mount *m), void *arg)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -errno;
	while (rc == 0 && getline(&line, &cap, f) > 0) {
		struct bt_mount m = { 0 };

		if (parse_line(line, &m))
			rc = fn(arg, &m);
	}
	if (rc == 0 && ferror(f))
		rc = -EIO;
	free(line);
	fclose(f);
	return rc < 0 ? rc : 0;
}

struct find {
	const char *mnt;
	bool (*match)(const struct bt_mount *m, const struct find *f);
	const char *fstype;
	dev_t dev;
	bool found;
};

static int find_one(void *arg, const struct bt_mount *m)
{
	struct find *f = arg;

	if (strcmp(m->mnt, f->mnt) || !f->match(m, f))
		return 0;
	f->found = true;
	f->dev = m->dev;
	return 0; /* read on: the last one listed is the newest */
}

static bool is_btsootfs(const struct bt_mount *m, const struct find *f)
{
	(void)f;
	return !strcmp(m->fstype, "fuse.btsootfs");
}

static bool is_other(const struct bt_mount *m, const struct find *f)
{
	return !is_btsootfs(m, f);
}

static bool is_type(const struct bt_mount *m, const struct find *f)
{
	return !strcmp(m->fstype, f->fstype);
}

static bool is_dev(const struct bt_mount *m, const struct find *f)
{
	return m->dev == f->dev;
}

/* Is a mount matching f at path (canonical form when resolvable)? */
static bool any_mount_at(const char *path, struct find *f)
{
	char want[PATH_MAX];

	if (!realpath(path, want))
		snprintf(want, sizeof(want), "%s", path); /* a dead FUSE mount */
	f->mnt = want;
	return bt_mounts_each(find_one, f) == 0 && f->found;
}

bool bt_other_mount_at(const char *path)
{
	struct find f = { .match = is_other };

	return any_mount_at(path, &f);
}

bool bt_btsootfs_at(const char *path)
{
	struct find f = { .match = is_btsootfs };

	return any_mount_at(path, &f);
}

int bt_mount_dev_at(const char *path, const char *fstype, dev_t *dev)
{
	struct find f = { .mnt = path, .match = is_type, .fstype = fstype };
	int rc = bt_mounts_each(find_one, &f);

	if (rc < 0)
		return rc;
	if (!f.found)
		return -ENOENT;
	*dev = f.dev;
	return 0;
}

int bt_mount_dev_is_at(const char *path, dev_t dev)
{
	struct find f = { .mnt = path, .match = is_dev, .dev = dev };
	int rc = bt_mounts_each(find_one, &f);

	return rc < 0 ? rc : f.found;
}
