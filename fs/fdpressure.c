/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * btsootfs holds an O_PATH descriptor for every inode the kernel has looked
 * up (it follows renames, which is how the journal knows a file's current
 * name), and the kernel keeps looked-up inodes until its dentry cache is
 * shrunk. Where RLIMIT_NOFILE cannot be raised (no CAP_SYS_RESOURCE: a
 * container), a tree of more files than the limit would run the daemon
 * out of descriptors. Near the limit it asks the kernel to drop unused
 * dentries and inodes (vm.drop_caches = 2, at most every 100 ms: not the page cache); the kernel
 * then sends FORGET for them and their descriptors close. An operation
 * that still meets EMFILE waits for that and retries.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "btsoot/log.h"
#include "fs.h"

static int64_t last_reclaim; /* ms, atomic: one request per 100 ms at most */
static bool reclaiming;      /* atomic: one at a time (a big cache takes long) */

/* Opened at start: when it is needed, no descriptor may be left. */
static int drop_caches_fd = -1;

void bt_fd_pressure_init(void)
{
	drop_caches_fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (drop_caches_fd < 0)
		bt_debug("cannot open /proc/sys/vm/drop_caches: %s", strerror(errno));
}

static void *drop_dentries(void *arg)
{
	(void)arg;
	if (drop_caches_fd < 0 || pwrite(drop_caches_fd, "2", 1, 0) != 1)
		bt_debug("cannot shrink the dentry cache: %s", strerror(errno));
	__atomic_store_n(&reclaiming, false, __ATOMIC_RELEASE);
	return NULL;
}

void bt_fd_reclaim(void)
{
	int64_t before = __atomic_load_n(&last_reclaim, __ATOMIC_RELAXED), now;
	struct timespec ts;
	pthread_attr_t attr;
	pthread_t t;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (now - before < 100 || __atomic_load_n(&reclaiming, __ATOMIC_ACQUIRE) ||
	    !__atomic_compare_exchange_n(&last_reclaim, &before, now, false, __ATOMIC_RELAXED,
					 __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&reclaiming, true, __ATOMIC_RELEASE);
	/* In its own thread: a FUSE worker must not wait on a cache shrink
	 * whose FORGETs the workers themselves answer. */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, drop_dentries, NULL) != 0)
		drop_dentries(NULL);
	pthread_attr_destroy(&attr);
}

size_t bt_fd_soft_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return (size_t)-1;
	return (size_t)rl.rlim_cur / 4 * 3;
}

bool bt_fd_retry(int err, int *tries)
{
	static const struct timespec pause = { 0, 50 * 1000000L };

	if ((err != EMFILE && err != ENFILE) || ++*tries > 200)
		return false;
	bt_fd_reclaim();
	nanosleep(&pause, NULL);
	return true;
}
