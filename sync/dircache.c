/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btsoot/pathsafe.h"
#include "dircache.h"

void bt_dircache_init(struct bt_dircache *dc, int rootfd)
{
	dc->rootfd = rootfd;
	dc->fd = -1;
	dc->dir = NULL;
}

void bt_dircache_free(struct bt_dircache *dc)
{
	if (dc->fd >= 0)
		close(dc->fd);
	free(dc->dir);
	bt_dircache_init(dc, dc->rootfd);
}

static bool same_dir(const struct bt_dircache *dc, const char *rel, size_t len)
{
	return dc->fd >= 0 && strlen(dc->dir) == len && !strncmp(dc->dir, rel, len);
}

int bt_dircache_parent(struct bt_dircache *dc, const char *rel, const char **leaf)
{
	const char *slash = strrchr(rel, '/');
	size_t len = slash ? (size_t)(slash - rel) : 0;
	char *dir;
	int fd;

	if (!bt_path_valid(rel) || !*rel)
		return -EINVAL;
	if (same_dir(dc, rel, len)) {
		*leaf = slash ? slash + 1 : rel;
		return dc->fd;
	}
	bt_dircache_free(dc);
	dir = strndup(rel, len);
	if (!dir)
		return -ENOMEM;
	fd = bt_open_parent(dc->rootfd, rel, leaf);
	if (fd < 0) {
		free(dir);
		return fd;
	}
	dc->fd = fd;
	dc->dir = dir;
	return fd;
}
