/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * btsootfs holds an O_PATH descriptor for every inode the kernel has looked
 * up (it follows renames, which is how the journal knows a file's current
 * name), and the kernel keeps looked-up inodes until its dentry cache is
 * shrunk. Where RLIMIT_NOFILE cannot be raised (no CAP_SYS_RESOURCE: a
 * container), a tree of more files than the limit would run the daemon out
 * of descriptors.
 *
 * Near the limit a reclaimer thread asks the kernel to forget btsootfs's
 * own entries, the least recently used first (a clock sweep over the
 * inode table: an entry looked up since the last sweep gets a second
 * chance), with fuse_lowlevel_notify_inval_entry. The kernel then sends
 * FORGET for the inodes no dentry holds any more, and their descriptors
 * close. Nothing outside this mount is touched: no vm.drop_caches, which
 * would empty every filesystem's caches on the machine. An operation that
 * still meets EMFILE wakes the reclaimer, waits a moment and retries.
 *
 * A directory that is a mount point is never invalidated: the kernel would
 * detach what is mounted there.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btsoot/log.h"
#include "fs.h"

#define SWEEP_MAX 4096 /* entries asked for per round */

static struct {
	struct bt_fs *fs;
	struct fuse_session *se;
	int wake[2]; /* bt_fd_reclaim (fdlimit.c) writes to wake[1] */
	pthread_t thread;
	bool running, stop;
	uint64_t asked; /* entries invalidated, for the debug log */
} rec = { .wake = { -1, -1 } };

/* Whether the absolute path p is a mount point (mountinfo's 5th field). */
static bool is_mount_point(const char *p)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[PATH_MAX + 512], mp[PATH_MAX];
	bool found = false;

	if (!f)
		return true; /* cannot tell: leave it */
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && !strcmp(mp, p);
	fclose(f);
	return found;
}

/* Asks the kernel to drop the dentry of in (pinned by the caller): its
 * parent is found from the name the descriptor has now. No descriptor is
 * opened here (the table may be full): the parent is stat'ed beneath the
 * source's own root, never through the mount. */
static void invalidate(struct bt_fs *fs, struct bt_inode *in)
{
	char proc[64], path[PATH_MAX];
	struct bt_inode *parent = NULL;
	fuse_ino_t pino = FUSE_ROOT_ID;
	struct stat st;
	char *slash;
	ssize_t n;

	bt_inode_procpath(in, proc);
	n = readlink(proc, path, sizeof(path) - 1);
	if (n <= (ssize_t)fs->rootlen + 1 || strncmp(path, fs->rootpath, fs->rootlen) ||
	    path[fs->rootlen] != '/')
		return; /* deleted, or outside the source: nothing to name */
	path[n] = '\0';
	if (in->type == S_IFDIR && is_mount_point(path))
		return;
	slash = strrchr(path, '/');
	*slash = '\0';
	if ((size_t)(slash - path) > fs->rootlen) {
		if (fstatat(fs->rootfd, path + fs->rootlen + 1, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !(parent = bt_inode_find(fs, st.st_ino, st.st_dev)))
			return; /* the kernel does not know the parent: nor the entry */
		pino = (fuse_ino_t)(uintptr_t)parent;
	}
	if (fuse_lowlevel_notify_inval_entry(rec.se, pino, slash + 1, strlen(slash + 1)) == 0)
		rec.asked++;
	if (parent)
		jrec_forget(fs, parent, 1);
}

/* One round: up to the number of inodes over the target, oldest first. */
static void sweep(struct bt_fs *fs)
{
	size_t target = fs->fd_soft / 2, want, n; /* a quarter of the limit */
	struct bt_inode **v;

	pthread_mutex_lock(&fs->table_mu);
	want = fs->ninodes > target ? fs->ninodes - target : 0;
	pthread_mutex_unlock(&fs->table_mu);
	if (want == 0)
		return;
	if (want > SWEEP_MAX)
		want = SWEEP_MAX;
	v = bt_inodes_pin_unused(fs, want, &n);
	for (size_t i = 0; v && i < n; i++) {
		invalidate(fs, v[i]);
		jrec_forget(fs, v[i], 1); /* unpin: may be the last reference */
	}
	free(v);
	bt_debug("reclaim: asked the kernel to forget %zu entries (%llu so far)", n,
		 (unsigned long long)rec.asked);
}

static void *reclaimer(void *arg)
{
	struct bt_fs *fs = arg;
	char buf[64];

	while (!__atomic_load_n(&rec.stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p = { .fd = rec.wake[0], .events = POLLIN };

		if (poll(&p, 1, 1000) > 0)
			while (read(rec.wake[0], buf, sizeof(buf)) > 0)
				;
		if (!__atomic_load_n(&rec.stop, __ATOMIC_ACQUIRE) && fs->ninodes > fs->fd_soft)
			sweep(fs);
		/* Whatever the forgets freed: an open that meets EMFILE next
		 * takes one of these at once instead of waiting. */
		bt_fd_reserve_fill();
	}
	return NULL;
}

int bt_fd_pressure_start(struct bt_fs *fs, struct fuse_session *se)
{
	int rc;

	if (fs->fd_soft == (size_t)-1)
		return 0; /* no limit: nothing to do */
	if (pipe2(rec.wake, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	bt_fd_reserve_fill();
	rec.fs = fs;
	rec.se = se;
	rec.stop = false;
	rc = pthread_create(&rec.thread, NULL, reclaimer, fs);
	if (rc == 0)
		bt_fd_set_waker(rec.wake[1]);
	if (rc) {
		close(rec.wake[0]);
		close(rec.wake[1]);
		rec.wake[0] = rec.wake[1] = -1;
		return -rc;
	}
	rec.running = true;
	return 0;
}

void bt_fd_pressure_stop(void)
{
	if (!rec.running)
		return;
	__atomic_store_n(&rec.stop, true, __ATOMIC_RELEASE);
	bt_fd_reclaim();
	bt_fd_set_waker(-1);
	pthread_join(rec.thread, NULL);
	rec.running = false;
	close(rec.wake[0]);
	close(rec.wake[1]);
	rec.wake[0] = rec.wake[1] = -1;
}
