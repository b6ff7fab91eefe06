/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The trash: what a sync deletes or overwrites is renamed into
 * .btsoot/trash/<run>/<rel>, on the remote's own filesystem, so an
 * accidental rm -rf on the source never destroys the mirror.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btsoot/log.h"
#include "btsoot/pathsafe.h"
#include "remote_priv.h"

static int open_run_dir(struct bt_remote *r)
{
	int tfd;

	if (r->trashfd >= 0)
		return 0;
	if (mkdirat(r->areafd, "trash", 0700) < 0 && errno != EEXIST)
		return -errno;
	tfd = bt_open_beneath(r->areafd, "trash", O_PATH | O_DIRECTORY, 0);
	if (tfd < 0)
		return tfd;
	if (mkdirat(tfd, r->run, 0700) < 0 && errno != EEXIST) {
		int rc = -errno;

		close(tfd);
		return rc;
	}
	r->trashfd = bt_open_beneath(tfd, r->run, O_PATH | O_DIRECTORY, 0);
	close(tfd);
	return r->trashfd < 0 ? r->trashfd : 0;
}

/* mkdir -p of dir beneath base; returns an fd of the deepest directory. */
static int mkdirs_beneath(int base, const char *dir)
{
	char *copy = strdup(dir), *save = NULL, *comp;
	int fd = dup(base), rc = 0;

	if (!copy || fd < 0) {
		free(copy);
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	for (comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		int next;

		if (mkdirat(fd, comp, 0700) < 0 && errno != EEXIST) {
			rc = -errno;
			break;
		}
		next = bt_open_beneath(fd, comp, O_PATH | O_DIRECTORY, 0);
		close(fd);
		fd = next;
		if (fd < 0) {
			rc = fd;
			break;
		}
	}
	free(copy);
	if (rc < 0) {
		if (fd >= 0)
			close(fd);
		return rc;
	}
	return fd;
}

int bt_trash_slot(struct bt_remote *r, const char *rel, char *name, size_t len)
{
	const char *slash = strrchr(rel, '/');
	const char *leaf = slash ? slash + 1 : rel;
	char *dir = slash ? strndup(rel, (size_t)(slash - rel)) : strdup("");
	struct stat st;
	int rc, dfd;

	if (!dir)
		return -ENOMEM;
	rc = open_run_dir(r);
	dfd = rc < 0 ? rc : mkdirs_beneath(r->trashfd, dir);
	free(dir);
	if (dfd < 0)
		return dfd;
	snprintf(name, len, "%s", leaf);
	/* The same name retired twice in one run: keep both. */
	for (int i = 1; fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0; i++)
		snprintf(name, len, "%.240s~%d", leaf, i);
	return dfd;
}

int bt_retire_at(struct bt_remote *r, int pfd, const char *leaf, const char *rel)
{
	char name[NAME_MAX + 1];
	struct stat st;
	int dfd, rc = 0;

	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	dfd = bt_trash_slot(r, rel, name, sizeof(name));
	if (dfd < 0)
		return dfd;
	bt_remote_tick(r);
	if (renameat(pfd, leaf, dfd, name) < 0)
		rc = -errno;
	else
		r->st.retired++;
	close(dfd);
	return rc;
}

int bt_remote_retire(struct bt_remote *r, const char *rel)
{
	const char *leaf;
	int pfd = bt_open_parent(r->rootfd, rel, &leaf), rc;

	if (pfd == -ENOENT)
		return 0; /* its directory is gone already */
	if (pfd < 0)
		return pfd;
	rc = bt_retire_at(r, pfd, leaf, rel);
	close(pfd);
	return rc;
}

int bt_remote_remove(struct bt_remote *r, const char *rel)
{
	return bt_remote_retire(r, rel);
}
