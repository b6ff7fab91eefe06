/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The descriptor limit as the inode table sees it: where to start asking
 * for entries to be forgotten, how to ask (a byte to the reclaimer's pipe,
 * fdpressure.c), and when an open that met EMFILE is worth retrying.
 *
 * A few descriptors are kept in reserve (open on /dev/null). An open that
 * meets EMFILE closes one and tries again at once instead of waiting: the
 * lookup that made the open holds its directory's lock, which the kernel
 * needs before it can drop any entry of that directory for the reclaimer,
 * so waiting there would wait for itself. The reclaimer refills the
 * reserve whenever descriptors are free again.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "btsoot/log.h"
#include "fs.h"

#define RESERVE 128

static int waker = -1; /* atomic: the reclaimer's pipe, -1 when none runs */
static pthread_mutex_t reserve_mu = PTHREAD_MUTEX_INITIALIZER;
static int reserve[RESERVE], nreserve;

void bt_fd_reserve_fill(void)
{
	pthread_mutex_lock(&reserve_mu);
	while (nreserve < RESERVE) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			break;
		reserve[nreserve++] = fd;
	}
	pthread_mutex_unlock(&reserve_mu);
}

/* Gives one reserved descriptor back to the process: true if there was one. */
static bool reserve_take(void)
{
	int fd = -1;

	pthread_mutex_lock(&reserve_mu);
	if (nreserve)
		fd = reserve[--nreserve];
	pthread_mutex_unlock(&reserve_mu);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

void bt_fd_set_waker(int fd)
{
	__atomic_store_n(&waker, fd, __ATOMIC_RELEASE);
}

void bt_fd_reclaim(void)
{
	int fd = __atomic_load_n(&waker, __ATOMIC_ACQUIRE);

	/* Nonblocking: a full pipe already says "reclaim". */
	if (fd >= 0 && write(fd, "r", 1) < 0 && errno != EAGAIN)
		bt_debug("cannot wake the reclaimer: %s", strerror(errno));
}

/* Half the limit: the other half is headroom for the lookups that run
 * while the reclaimer waits. It must wait for each directory's lock (the
 * kernel takes it to drop an entry), and a lookup in that directory holds
 * it while it retries an open that met EMFILE: with no headroom left the
 * two would wait for each other until the retries give up. */
size_t bt_fd_soft_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return (size_t)-1;
	return (size_t)rl.rlim_cur / 2;
}

bool bt_fd_retry(int err, int *tries)
{
	static const struct timespec pause = { 0, 50 * 1000000L };

	if ((err != EMFILE && err != ENFILE) || ++*tries > 200)
		return false;
	bt_fd_reclaim();
	if (err == EMFILE && reserve_take())
		return true;
	nanosleep(&pause, NULL);
	return true;
}
