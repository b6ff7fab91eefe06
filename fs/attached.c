/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Noticing that our mount left the namespace while we still run.
 *
 * `umount -l` of a mount with files open through it detaches it at once:
 * the bare source is visible at its path again and changes made there
 * bypass the journal, but the kernel keeps the connection (and us) alive
 * until the last of those files is closed, which may be days later. The
 * offline pass of the next sync looks at what changed since offline_since,
 * so that time must be no later than the moment of the detach, not the
 * moment we stop.
 *
 * A thread reads /proc/self/mountinfo once a second and soon after every
 * mount change in the namespace (mountinfo polls POLLPRI then), looking for
 * our superblock's device at the mount point. The coarse clock read before
 * each read that still finds it is the last moment we were verifiably
 * attached; once a read misses it, that time (less a margin) is written to
 * offline_since right away and again every second while we linger, so a
 * sync that finished meanwhile cannot move it past the detach. The state is
 * sticky: a mount that comes back (a bind of another attachment) does not
 * make the changes in between journaled. Nothing here is on the path of a
 * FUSE request, and nothing stats through the mount.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "btsoot/fsclock.h"
#include "btsoot/log.h"
#include "btsoot/mounts.h"
#include "fs.h"

/* File times may be truncated to the source filesystem's granularity (up
 * to 2 s on FAT): look that much further back. */
#define MARGIN_NS 2000000000LL

static int64_t coarse_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME_COARSE, &t);
	return bt_ts_ns(&t);
}

int bt_attach_find(struct bt_fs *fs, const char *mountpoint)
{
	int64_t before = coarse_now_ns();
	int rc;

	snprintf(fs->mntpath, sizeof(fs->mntpath), "%s", mountpoint);
	rc = bt_mount_dev_at(fs->mntpath, "fuse.btsootfs", &fs->mnt_dev);
	if (rc < 0) {
		fs->mnt_dev = 0;
		return rc;
	}
	__atomic_store_n(&fs->attached_ns, before, __ATOMIC_RELAXED);
	return 0;
}

int bt_attach_check(struct bt_fs *fs)
{
	int64_t before = coarse_now_ns();
	int rc;

	if (fs->mnt_dev == 0)
		return -ENODEV;
	if (__atomic_load_n(&fs->detached, __ATOMIC_RELAXED))
		return 0;
	rc = bt_mount_dev_is_at(fs->mntpath, fs->mnt_dev);
	if (rc == 1)
		__atomic_store_n(&fs->attached_ns, before, __ATOMIC_RELAXED);
	else if (rc == 0)
		__atomic_store_n(&fs->detached, true, __ATOMIC_RELAXED);
	return rc;
}

int64_t bt_attach_offline_since(struct bt_fs *fs, int64_t stopped_ns)
{
	int64_t seen = __atomic_load_n(&fs->attached_ns, __ATOMIC_RELAXED);

	if (fs->mnt_dev == 0 || seen - MARGIN_NS > stopped_ns)
		return stopped_ns;
	return seen - MARGIN_NS;
}

int bt_note_offline(struct bt_fs *fs, int64_t since)
{
	int64_t have = 0;
	int rc;

	if (fs->nojournal)
		return 0;
	/* Garbled (-EUCLEAN): not overwritten, so the next sync or mount sees
	 * the corruption and reconciles by rescan. */
	rc = bt_meta_get_i64_or(fs->j, BT_META_OFFLINE_SINCE, &have, 0);
	if (rc < 0)
		return rc;
	/* The earliest time is kept until a sync has looked. */
	if (have > 0 && have <= since)
		return 0;
	return bt_meta_set_i64(fs->j, BT_META_OFFLINE_SINCE, since);
}

/* Still serving a few seconds after the mount left: files are held open.
 * (After a plain umount the session ends at once, but on a loaded machine
 * the kernel's teardown can take a second or more: not a lingering mount.) */
static void say_lingering(struct bt_fs *fs)
{
	bt_notice("block '%s': %s left the mount namespace (umount -l?) while files are "
		  "open through it; btsootfs stops when they are closed, and the next sync "
		  "then looks for changes made there since", fs->block, fs->mntpath);
}

static void drain(int fd)
{
	char buf[16];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)n; /* the pipe only wakes us: its bytes mean nothing */
}

/* Up to a second, less on a mount change in the namespace; a burst of
 * those (a host starting containers) is read once per 0.1 s at most: one
 * read of mountinfo costs 40 us with 22 mounts, 1.7 ms with 1000. */
static void wait_for_change(struct bt_fs *fs, struct pollfd p[2])
{
	if (poll(p, 2, 1000) <= 0)
		return;
	if (p[0].revents & POLLIN) {
		drain(fs->watch_pipe[0]);
		return;
	}
	if (poll(p, 1, 100) > 0)
		drain(fs->watch_pipe[0]);
}

static void *watch_main(void *arg)
{
	struct bt_fs *fs = arg;
	struct pollfd p[2] = {
		{ .fd = fs->watch_pipe[0], .events = POLLIN },
		{ .fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC), .events = POLLPRI },
	};
	int gone = 0;

	while (!__atomic_load_n(&fs->watch_stop, __ATOMIC_RELAXED)) {
		if (bt_attach_check(fs) == 0) {
			/* Quietly: a journal that cannot take it now is told
			 * again every second, and at the stop, which logs. */
			bt_note_offline(fs, bt_attach_offline_since(fs, INT64_MAX));
			if (gone++ == 3 && !(fs->se && fuse_session_exited(fs->se)))
				say_lingering(fs);
			if (p[1].fd >= 0) /* sticky: no need to read it again */
				close(p[1].fd);
			p[1].fd = -1;
		}
		wait_for_change(fs, p);
	}
	if (p[1].fd >= 0)
		close(p[1].fd);
	return NULL;
}

int bt_attach_start(struct bt_fs *fs)
{
	int rc;

	if (fs->mnt_dev == 0)
		return 0;
	if (pipe2(fs->watch_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	rc = -pthread_create(&fs->watcher, NULL, watch_main, fs);
	if (rc < 0) {
		close(fs->watch_pipe[0]);
		close(fs->watch_pipe[1]);
		return rc;
	}
	fs->watching = true;
	return 0;
}

void bt_attach_stop(struct bt_fs *fs)
{
	if (!fs->watching)
		return;
	__atomic_store_n(&fs->watch_stop, true, __ATOMIC_RELAXED);
	if (write(fs->watch_pipe[1], "x", 1) < 0)
		bt_warn("cannot wake the mount watcher");
	pthread_join(fs->watcher, NULL);
	close(fs->watch_pipe[0]);
	close(fs->watch_pipe[1]);
	fs->watching = false;
}
