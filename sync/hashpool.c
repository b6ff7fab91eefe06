/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btsoot/pathsafe.h"
#include "hashpool.h"

struct pool {
	struct bt_hash_job *jobs;
	size_t n;
	size_t next; /* atomic */
};

static void run_job(struct bt_hasher *h, struct bt_hash_job *j)
{
	struct stat st;
	int fd = j->no_devices ? bt_open_file_beneath_fast(j->dirfd, j->name, &st)
			       : bt_open_file_beneath_stat(j->dirfd, j->name, &st);
	int64_t n;

	if (fd < 0) {
		j->err = fd;
		return;
	}
	n = h->buf ? bt_hasher_fd(h, fd, st.st_size, &j->out) : -ENOMEM;
	j->err = n < 0 ? (int)n : 0;
	j->bytes = n < 0 ? 0 : n;
	close(fd);
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	struct bt_hasher h = { 0 };

	bt_hasher_init(&h); /* on failure each job says ENOMEM */
	for (;;) {
		size_t i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);

		if (i >= p->n)
			break;
		run_job(&h, &p->jobs[i]);
	}
	bt_hasher_free(&h);
	return NULL;
}

void bt_hash_many(struct bt_hash_job *jobs, size_t n, int threads)
{
	struct pool p = { jobs, n, 0 };
	pthread_t t[64];
	int started = 0;

	if (threads <= 0)
		threads = (int)sysconf(_SC_NPROCESSORS_ONLN); /* more only contend */
	if (threads > 64)
		threads = 64;
	if ((size_t)threads > n)
		threads = (int)n;
	for (int i = 1; i < threads; i++)
		if (pthread_create(&t[started], NULL, worker, &p) == 0)
			started++;
	worker(&p); /* this thread works too */
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
}
