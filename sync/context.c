/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "btsoot/exitcodes.h"
#include "btsoot/log.h"
#include "btsoot/mounts.h"
#include "btsoot/lockfile.h"
#include "context.h"

static int open_lock(struct bt_ctx *c)
{
	char path[PATH_MAX + 16];

	if (bt_block_make_state_dir(&c->block) < 0) {
		snprintf(c->err, sizeof(c->err), "cannot create state dir %s: %s",
			 c->block.state, strerror(errno));
		return BT_EXIT_JOURNAL;
	}
	snprintf(path, sizeof(path), "%s/sync.lock", c->block.state);
	c->lockfd = bt_lock_try(path, true);
	if (c->lockfd == -EWOULDBLOCK) {
		snprintf(c->err, sizeof(c->err),
			 "another sync or verify of block '%s' is running (pid %d); try later",
			 c->block.name, (int)bt_lock_holder(path));
		return BT_EXIT_BUSY;
	}
	if (c->lockfd < 0) {
		snprintf(c->err, sizeof(c->err), "cannot lock %s: %s", path,
			 strerror(-c->lockfd));
		return BT_EXIT_JOURNAL;
	}
	return 0;
}

static int open_journal(struct bt_ctx *c, int flags)
{
	int rc = bt_journal_open(c->block.journal, BT_J_CREATE, &c->j);

	/* Corrupt: kept aside, and a new journal asks for a full rescan. Not
	 * under a running daemon, which holds the file open. */
	if (rc == -EUCLEAN && (flags & BT_CTX_RECOVER) && bt_ctx_daemon_pid(c) == 0)
		rc = bt_journal_replace_corrupt(c->block.journal, &c->j, c->aside,
						sizeof(c->aside));
	if (rc == 0)
		return 0;
	if (rc == -EUCLEAN)
		snprintf(c->err, sizeof(c->err),
			 "journal %s is corrupt; it is kept as is: unmount block '%s' and run "
			 "btsoot-sync, which sets it aside and reconciles by rescan",
			 c->block.journal, c->block.name);
	else if (rc == -EPROTO)
		snprintf(c->err, sizeof(c->err), "journal %s was written by a newer btsoot; "
			 "upgrade btsoot", c->block.journal);
	else if (rc == -EBUSY)
		snprintf(c->err, sizeof(c->err), "journal %s is locked; try again later",
			 c->block.journal);
	else
		snprintf(c->err, sizeof(c->err), "journal %s: %s", c->block.journal,
			 strerror(-rc));
	return BT_EXIT_JOURNAL;
}

/* A btsootfs killed with -9 leaves its mount behind, dead: every access
 * fails with ENOTCONN. Opening the root for reading asks the daemon (an
 * O_PATH open or a cached stat may not), so it finds that out at once. */
static int source_alive(int srcfd)
{
	int fd = openat(srcfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

void bt_ctx_source_dead(struct bt_ctx *c)
{
	snprintf(c->err, sizeof(c->err),
		 "the btsootfs mount of block '%s' at %s is dead (its daemon was killed: "
		 "Transport endpoint is not connected): detach it with `umount -l %s` (or "
		 "`fusermount3 -uz %s`), mount the block again, then sync (it reconciles "
		 "by rescan)", c->block.name, c->block.source, c->block.source,
		 c->block.source);
}

int bt_ctx_check_alive(struct bt_ctx *c)
{
	if (c->srcfd < 0 || source_alive(c->srcfd) != -ENOTCONN)
		return BT_EXIT_OK;
	bt_ctx_source_dead(c);
	return BT_EXIT_SOURCE;
}

/* The source directory under a running btsootfs, borrowed from the daemon
 * (it opened the directory before mounting over it): reading there costs
 * what it costs on the bare directory, not a FUSE round trip per lookup,
 * stat and xattr. It holds what the mount shows: every change through the
 * mount is made there by the daemon before it answers (no writeback cache
 * by default; with it, data not yet written back has no row yet either).
 * -1 when there is no daemon or nothing fits. */
static int underlying_source(struct bt_ctx *c, int daemon_pid)
{
	char dir[64], link[80], target[PATH_MAX];
	struct stat mounted, st;
	struct dirent *e;
	DIR *d;
	int fd = -1;

	if (daemon_pid <= 0 || fstat(c->srcfd, &mounted) < 0)
		return -1;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", daemon_pid);
	if (!(d = opendir(dir)))
		return -1;
	while (fd < 0 && (e = readdir(d))) {
		ssize_t n;

		snprintf(link, sizeof(link), "%s/%.16s", dir, e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, c->block.source))
			continue;
		fd = open(link, O_PATH | O_DIRECTORY | O_CLOEXEC);
		/* The daemon never opens its own mount: still, only a directory
		 * on another device than the mounted one is the real source. */
		if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_dev == mounted.st_dev)) {
			close(fd);
			fd = -1;
		}
	}
	closedir(d);
	return fd;
}

static int open_source(struct bt_ctx *c)
{
	int rc;

	c->srcfd = open(c->block.source, O_PATH | O_DIRECTORY | O_CLOEXEC);
	rc = c->srcfd < 0 ? -errno : source_alive(c->srcfd);
	if (rc == 0) {
		c->readfd = underlying_source(c, bt_ctx_daemon_pid(c));
		if (c->readfd < 0)
			c->readfd = fcntl(c->srcfd, F_DUPFD_CLOEXEC, 0);
		if (c->readfd >= 0)
			return 0;
		rc = -errno;
	}
	if (rc == -ENOTCONN)
		bt_ctx_source_dead(c);
	else
		snprintf(c->err, sizeof(c->err), "source %s of block '%s': %s", c->block.source,
			 c->block.name, strerror(-rc));
	return BT_EXIT_SOURCE;
}

int bt_ctx_open(struct bt_ctx *c, const struct bt_dirs *d, const char *block,
		int flags)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->srcfd = c->readfd = c->lockfd = -1;
	c->remote.rootfd = c->remote.areafd = c->remote.tmpfd = c->remote.trashfd = -1;
	c->dirs = *d;
	rc = bt_block_load(d, block, &c->block, c->err, sizeof(c->err));
	if (rc < 0)
		return BT_EXIT_USAGE;
	if ((flags & BT_CTX_LOCK) && (rc = open_lock(c)))
		goto fail;
	if ((flags & BT_CTX_JOURNAL) && (rc = open_journal(c, flags)))
		goto fail;
	if ((flags & BT_CTX_SOURCE) && (rc = open_source(c)))
		goto fail;
	if ((flags & BT_CTX_REMOTE) && c->block.remote_is_mount && !bt_is_mount_point(c->block.remote)) {
		snprintf(c->err, sizeof(c->err),
			 "remote %s is not mounted (it was a mount point when block '%s' was "
			 "added); mount it and retry", c->block.remote, c->block.name);
		rc = BT_EXIT_REMOTE;
		goto fail;
	}
	if (flags & BT_CTX_REMOTE) {
		rc = bt_remote_open(&c->remote, &c->block, 0, c->err, sizeof(c->err));
		if (rc < 0) {
			rc = BT_EXIT_REMOTE;
			goto fail;
		}
	}
	return BT_EXIT_OK;
fail:
	{
		char keep[sizeof(c->err)];

		memcpy(keep, c->err, sizeof(keep));
		bt_ctx_close(c);
		memcpy(c->err, keep, sizeof(keep));
	}
	return rc;
}

void bt_ctx_close(struct bt_ctx *c)
{
	bt_remote_close(&c->remote);
	if (c->j)
		bt_journal_close(c->j);
	c->j = NULL;
	if (c->srcfd >= 0)
		close(c->srcfd);
	if (c->readfd >= 0)
		close(c->readfd);
	c->srcfd = c->readfd = -1;
	bt_lock_release(c->lockfd);
	c->lockfd = -1;
}

int bt_ctx_replace_journal(struct bt_ctx *c)
{
	int rc;

	if (bt_ctx_daemon_pid(c) != 0) {
		snprintf(c->err, sizeof(c->err),
			 "journal %s is corrupt; unmount block '%s' and run btsoot-sync, "
			 "which sets the journal aside and reconciles by rescan",
			 c->block.journal, c->block.name);
		return BT_EXIT_JOURNAL;
	}
	bt_journal_close(c->j);
	c->j = NULL;
	c->journal_corrupt = false;
	rc = bt_journal_replace_corrupt(c->block.journal, &c->j, c->aside, sizeof(c->aside));
	if (rc < 0) {
		snprintf(c->err, sizeof(c->err), "journal %s is corrupt and could not be set "
			 "aside: %s", c->block.journal, strerror(-rc));
		return BT_EXIT_JOURNAL;
	}
	return BT_EXIT_OK;
}

int bt_ctx_meta_corrupt(struct bt_ctx *c, const char *key)
{
	c->journal_corrupt = true;
	snprintf(c->err, sizeof(c->err), "journal %s: meta '%s' is garbled", c->block.journal,
		 key);
	return BT_EXIT_JOURNAL;
}

int bt_ctx_check_meta(struct bt_ctx *c)
{
	int rc = bt_journal_check_meta(c->j);

	if (rc == -EUCLEAN)
		return bt_ctx_meta_corrupt(c, "(a row)");
	if (rc < 0) {
		snprintf(c->err, sizeof(c->err), "journal %s: %s", c->block.journal,
			 strerror(-rc));
		return BT_EXIT_JOURNAL;
	}
	return BT_EXIT_OK;
}

int bt_ctx_daemon_pid(const struct bt_ctx *c)
{
	char path[PATH_MAX + 16];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/daemon.lock", c->block.state);
	pid = bt_lock_holder(path);
	return pid > 0 ? (int)pid : (pid == -EAGAIN ? -1 : 0);
}

int bt_ctx_flush_daemon(struct bt_ctx *c, int timeout_ms)
{
	int pid = bt_ctx_daemon_pid(c);
	int64_t before = 0, now = 0;
	struct timespec pause = { 0, 20 * 1000000L };

	if (pid <= 0)
		return -ESRCH;
	bt_meta_get_i64(c->j, BT_META_FLUSH_GEN, &before);
	if (kill(pid, SIGUSR1) < 0)
		return -errno;
	for (int waited = 0; waited < timeout_ms; waited += 20) {
		nanosleep(&pause, NULL);
		if (bt_meta_get_i64(c->j, BT_META_FLUSH_GEN, &now) == 0 && now != before)
			return 0;
		if (bt_ctx_daemon_pid(c) != pid)
			return -ECONNRESET; /* it died: its journal says so (unclean) */
	}
	return -ETIMEDOUT;
}

int bt_exit_for_errno(int neg_errno)
{
	switch (-neg_errno) {
	case ENOENT:
	case ENOTDIR:
	case ENODATA:
	case EPERM:
	case ELOOP:
		return BT_EXIT_REMOTE;
	case ENOMEM:
		return BT_EXIT_INTERNAL;
	default:
		return BT_EXIT_IO;
	}
}

void bt_ctx_say_remote_limits(struct bt_ctx *c)
{
	char now[512], said[512] = "";

	if (!c->j || c->remote.rootfd < 0)
		return;
	bt_remote_limits(&c->remote, now, sizeof(now));
	if (bt_meta_get(c->j, BT_META_REMOTE_LIMITS, said, sizeof(said)) == 0 &&
	    !strcmp(said, now))
		return;
	if (bt_meta_set(c->j, BT_META_REMOTE_LIMITS, now) < 0)
		return; /* said next run instead */
	if (now[0])
		bt_warn("block '%s': the remote filesystem %s: compared no finer than that (a "
			"known limitation of this remote, not a difference; said once, `btsoot "
			"status %s` shows it)", c->block.name, now, c->block.name);
}
