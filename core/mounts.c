/* SPDX-License-Identifier: BSD-3-Clause */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* Calls match for every mount at path (canonical form when resolvable);
 * true as soon as one matches. */
static bool any_mount_at(const char *path, bool (*match)(const char *fstype))
{
	char want[PATH_MAX], *line = NULL;
	size_t cap = 0;
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	if (!realpath(path, want))
		snprintf(want, sizeof(want), "%s", path); /* a dead FUSE mount */
	while (!found && getline(&line, &cap, f) > 0) {
		char *save = NULL, *mnt = NULL, *sep, *fstype;
		char *tok = strtok_r(line, " ", &save);

		for (int i = 1; tok && i < 5; i++) /* field 5: mount point */
			tok = strtok_r(NULL, " ", &save);
		mnt = tok;
		sep = save ? strstr(save, " - ") : NULL;
		if (!mnt || !sep)
			continue;
		fstype = strtok_r(sep + 3, " ", &save);
		unescape(mnt);
		found = fstype && !strcmp(mnt, want) && match(fstype);
	}
	free(line);
	fclose(f);
	return found;
}

static bool is_btsootfs(const char *fstype)
{
	return !strcmp(fstype, "fuse.btsootfs");
}

static bool is_other(const char *fstype)
{
	return !is_btsootfs(fstype);
}

bool bt_other_mount_at(const char *path)
{
	return any_mount_at(path, is_other);
}

bool bt_btsootfs_at(const char *path)
{
	return any_mount_at(path, is_btsootfs);
}
