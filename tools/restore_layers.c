/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The layers of a restore (see restore.h): the trash run folders dated
 * after the requested date, oldest first, then the remote root.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btsoot/pathsafe.h"
#include "listing.h"
#include "restore.h"

static int add_layer(struct bt_restore *rs, int fd)
{
	int *v = realloc(rs->layers, (rs->nlayers + 1) * sizeof(*v));

	if (!v) {
		close(fd);
		return -ENOMEM;
	}
	rs->layers = v;
	rs->layers[rs->nlayers++] = fd;
	return 0;
}

/* Run folders newer than as_of, in name order, which is date order. */
static int add_trash_runs(struct bt_restore *rs, struct bt_remote *src, time_t as_of,
			  time_t *oldest)
{
	struct bt_listing l;
	int tfd, rc;

	tfd = bt_open_beneath(src->areafd, "trash", O_PATH | O_DIRECTORY, 0);
	if (tfd == -ENOENT)
		return 0; /* nothing was ever deleted or overwritten */
	if (tfd < 0)
		return tfd;
	rc = bt_listing_read(src->areafd, "trash", &l);
	if (rc < 0) {
		close(tfd);
		return rc;
	}
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		time_t when;
		int fd;

		if (!bt_trash_run_time(l.names[i], &when))
			continue; /* not a run folder: not ours */
		if (!*oldest)
			*oldest = when;
		if (when <= as_of)
			continue;
		fd = bt_open_beneath(tfd, l.names[i], O_PATH | O_DIRECTORY, 0);
		if (fd == -ELOOP || fd == -ENOTDIR || fd == -ENOENT)
			continue; /* planted or pruned meanwhile: hold nothing */
		rc = fd < 0 ? fd : add_layer(rs, fd);
	}
	bt_listing_free(&l);
	close(tfd);
	return rc;
}

int bt_restore_layers(struct bt_restore *rs, struct bt_remote *src, bool has_date,
		      time_t as_of, time_t *oldest)
{
	int rc = 0, fd;

	*oldest = 0;
	if (has_date)
		rc = add_trash_runs(rs, src, as_of, oldest);
	if (rc < 0)
		return rc;
	fd = bt_open_beneath(src->rootfd, "", O_PATH | O_DIRECTORY, 0);
	return fd < 0 ? fd : add_layer(rs, fd);
}

void bt_restore_free(struct bt_restore *rs)
{
	for (size_t i = 0; i < rs->nlayers; i++)
		close(rs->layers[i]);
	free(rs->layers);
	rs->layers = NULL;
	rs->nlayers = 0;
}
