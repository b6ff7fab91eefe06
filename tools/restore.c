/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * btsoot restore <block> [path] [--to DIR]: copy back from the remote into
 * a NEW directory; nothing is ever deleted. It runs the sync's own rescan
 * with the roles swapped: the remote is read, the target is written, both
 * reached only beneath their root descriptors.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "btsoot/config.h"
#include "btsoot/exitcodes.h"
#include "btsoot/log.h"
#include "btsoot/pathsafe.h"
#include "btsoot/remote.h"
#include "rescan.h"

static int mkdirs(int base, const char *rel)
{
	char *copy = strdup(rel), *save = NULL, *c;
	int fd = dup(base);

	for (c = strtok_r(copy, "/", &save); c && fd >= 0; c = strtok_r(NULL, "/", &save)) {
		int next;

		if (mkdirat(fd, c, 0700) < 0 && errno != EEXIST) {
			close(fd);
			fd = -errno;
			break;
		}
		next = bt_open_beneath(fd, c, O_PATH | O_DIRECTORY, 0);
		close(fd);
		fd = next;
	}
	free(copy);
	return fd;
}

/* A bt_remote writing into dir (with a scratch area under it). */
static int open_target(struct bt_remote *t, const char *dir, const char *sub)
{
	int top;

	memset(t, 0, sizeof(*t));
	t->trashfd = -1;
	t->is_root = geteuid() == 0;
	snprintf(t->run, sizeof(t->run), "restore");
	top = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return -errno;
	if (mkdirat(top, BT_REMOTE_AREA, 0700) < 0 && errno != EEXIST)
		goto fail;
	t->areafd = bt_open_beneath(top, BT_REMOTE_AREA, O_PATH | O_DIRECTORY, 0);
	if (t->areafd < 0 || (mkdirat(t->areafd, "tmp", 0700) < 0 && errno != EEXIST))
		goto fail;
	t->tmpfd = bt_open_beneath(t->areafd, "tmp", O_PATH | O_DIRECTORY, 0);
	t->rootfd = mkdirs(top, sub);
	close(top);
	return t->tmpfd < 0 ? t->tmpfd : t->rootfd < 0 ? t->rootfd : 0;
fail:
	close(top);
	return -errno;
}

static void close_target(struct bt_remote *t, const char *dir)
{
	char p[PATH_MAX + 32];

	bt_remote_close(t);
	snprintf(p, sizeof(p), "%s/%s/tmp", dir, BT_REMOTE_AREA);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/%s", dir, BT_REMOTE_AREA);
	rmdir(p); /* stays only if something had to be set aside */
}

static int pick_target(const struct bt_block *b, const char *to, char *out, size_t len)
{
	time_t now = time(NULL);
	char stamp[32];

	if (to) {
		snprintf(out, len, "%s", to);
	} else {
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
		snprintf(out, len, "%s.restored-%s", b->source, stamp);
	}
	if (mkdir(out, 0700) == 0)
		return 0;
	if (errno == EEXIST && rmdir(out) == 0 && mkdir(out, 0700) == 0)
		return 0; /* it existed but was empty */
	bt_err("restore target %s must be a new or empty directory (%s)", out,
	       errno == EEXIST || errno == ENOTEMPTY ? "it is not empty" : strerror(errno));
	return BT_EXIT_USAGE;
}

static int restore_path(struct bt_remote *src, struct bt_remote *t, const char *path,
			struct bt_rescan_stats *st)
{
	struct bt_rescan_opts o = { .mode = BT_CMP_QUICK, .repair = true, .progress = isatty(2) };
	int fd = bt_open_beneath(src->rootfd, path, O_PATH, 0), rc;
	struct stat s;

	if (fd < 0)
		return fd;
	if (fstat(fd, &s) < 0) {
		rc = -errno;
	} else if (S_ISDIR(s.st_mode)) {
		rc = bt_rescan(t, fd, &o, st);
	} else if (S_ISREG(s.st_mode)) {
		int rfd = bt_open_beneath(src->rootfd, path, O_RDONLY, 0);
		const char *slash = strrchr(path, '/');

		rc = rfd < 0 ? rfd : bt_remote_copy_whole(t, rfd, &s, slash ? slash + 1 : path);
		if (rfd >= 0)
			close(rfd);
		st->entries = 1;
	} else {
		rc = -EINVAL;
	}
	close(fd);
	return rc;
}

int bt_cmd_restore(const struct bt_dirs *d, int argc, char **argv)
{
	const char *path = "", *to = NULL;
	char err[PATH_MAX + 256], target[PATH_MAX];
	struct bt_remote src, t;
	struct bt_rescan_stats st = { 0 };
	struct bt_block b;
	char *sub;
	int rc;

	if (argc < 2) {
		bt_err("usage: btsoot restore <block> [path] [--to DIR]");
		return BT_EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--to") && i + 1 < argc)
			to = argv[++i];
		else if (!strcmp(argv[i], "--in-place")) {
			bt_err("restore --in-place is not supported yet: restore --to a new "
			       "directory and move files yourself");
			return BT_EXIT_USAGE;
		} else
			path = argv[i];
	}
	if (!bt_path_valid(path)) {
		bt_err("invalid path '%s': give it relative to the block root, without '..'", path);
		return BT_EXIT_USAGE;
	}
	if (bt_block_load(d, argv[1], &b, err, sizeof(err)) < 0) {
		bt_err("%s", err);
		return BT_EXIT_USAGE;
	}
	if (bt_remote_open(&src, &b, 0, err, sizeof(err)) < 0) {
		bt_err("%s", err);
		return BT_EXIT_REMOTE;
	}
	rc = pick_target(&b, to, target, sizeof(target));
	if (rc) {
		bt_remote_close(&src);
		return rc;
	}
	/* A file lands in its directory; a directory at its own path. */
	sub = bt_path_dirname(*path ? path : "x");
	rc = open_target(&t, target, path);
	if (rc == 0) {
		struct stat s;
		int fd = bt_open_beneath(src.rootfd, path, O_PATH, 0);

		if (fd >= 0 && fstat(fd, &s) == 0 && !S_ISDIR(s.st_mode)) {
			/* reopen the target at the file's directory */
			close(t.rootfd);
			rmdir(target); /* no-op if not empty */
			t.rootfd = -1;
			close_target(&t, target);
			mkdir(target, 0700);
			rc = open_target(&t, target, sub);
		}
		if (fd >= 0)
			close(fd);
	}
	free(sub);
	if (rc == 0)
		rc = restore_path(&src, &t, path, &st);
	close_target(&t, target);
	bt_remote_close(&src);
	if (rc < 0) {
		bt_err("restore of '%s' from %s into %s failed: %s", *path ? path : ".",
		       b.remote, target, strerror(-rc));
		return rc == -ENOENT ? BT_EXIT_USAGE : BT_EXIT_IO;
	}
	printf("restored %" PRId64 " entries (%" PRId64 " bytes) into %s\n", st.entries,
	       st.bytes, target);
	return 0;
}
