/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's side of the journal: appends go to an in-memory queue (no
 * I/O on the caller's path), and one writer thread commits the queue in
 * batches. A batch is one transaction: WAL + synchronous=NORMAL means the
 * commit is a write() into the WAL, no fsync. So a committed batch survives
 * the daemon being killed (the kernel has the bytes) but not a power loss.
 *
 * bt_jw_sync is fsync()'s half: it waits until the rows appended before the
 * call are committed and then fsyncs the WAL (one fsync serves every waiter
 * of the moment, and rows committed earlier without one are covered too).
 * Only then is a row durable against power loss.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "btsoot/log.h"
#include "journal_impl.h"

/* Commit early when this many rows wait, to bound memory and latency. */
#define JW_BATCH_ROWS 4096

static int queue_push(struct jw_queue *q, struct bt_op_rec *rec)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 256;
		struct bt_op_rec *v = realloc(q->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		q->v = v;
		q->cap = cap;
	}
	q->v[q->n++] = *rec;
	return 0;
}

static int copy_rec(struct bt_op_rec *dst, const struct bt_op_rec *src)
{
	*dst = *src;
	dst->path = strdup(src->path ? src->path : "");
	dst->path2 = src->path2 ? strdup(src->path2) : NULL;
	if (!dst->path || (src->path2 && !dst->path2)) {
		bt_op_rec_free(dst);
		return -ENOMEM;
	}
	return 0;
}

int64_t bt_jw_append(struct bt_journal *j, struct bt_op_rec *rec)
{
	struct bt_op_rec copy;
	int64_t seq;

	/* Allocate before taking the lock: the lock only orders. */
	if (copy_rec(&copy, rec) < 0)
		return -ENOMEM;
	pthread_mutex_lock(&j->mu);
	if (j->broken) {
		pthread_mutex_unlock(&j->mu);
		bt_op_rec_free(&copy);
		return -EROFS;
	}
	seq = ++j->next_seq;
	copy.seq = seq;
	if (queue_push(&j->q, &copy) < 0) {
		/* The change is applied but cannot be recorded: the journal
		 * is now incomplete, which is exactly "broken". */
		j->next_seq--;
		j->broken = true;
		pthread_mutex_unlock(&j->mu);
		bt_op_rec_free(&copy);
		if (j->on_broken)
			j->on_broken(j->on_broken_arg, "out of memory queueing a journal row");
		return -ENOMEM;
	}
	if (j->q.n >= JW_BATCH_ROWS)
		pthread_cond_signal(&j->work);
	pthread_mutex_unlock(&j->mu);
	rec->seq = seq;
	return seq;
}

/* Commits b, taken from the queue at taken_ns (CLOCK_REALTIME). */
static int commit_batch(struct bt_journal *j, struct jw_queue *b, int64_t taken_ns)
{
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&j->dbmu);
	rc = sqlite3_exec(j->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(j->db,
					"INSERT INTO ops(seq, op, ino, path, path2, off, len, mode, crc)"
					" VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < b->n; i++) {
		sqlite3_bind_int64(st, 1, b->v[i].seq);
		bt_journal_bind_rec(st, 2, &b->v[i]);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK && b->n > 0) {
		char last[32]; /* the highest seq in ops: seqs only grow */

		snprintf(last, sizeof(last), "%" PRId64, b->v[b->n - 1].seq);
		rc = bt_journal_meta_put(j, "last_seq", last);
		snprintf(last, sizeof(last), "%" PRId64, taken_ns);
		if (rc == SQLITE_OK)
			rc = bt_journal_meta_put(j, BT_META_COMMITTED_AT, last);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		/* Keep the cause: ROLLBACK below replaces the message. */
		snprintf(j->broken_why, sizeof(j->broken_why), "journal commit failed: %s",
			 sqlite3_errmsg(j->db));
		bt_err("journal commit of %zu rows failed: %s", b->n,
		       sqlite3_errmsg(j->db));
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
	}
	pthread_mutex_unlock(&j->dbmu);
	return bt_journal_errno(rc);
}

static void free_batch(struct jw_queue *b)
{
	for (size_t i = 0; i < b->n; i++)
		bt_op_rec_free(&b->v[i]);
	b->n = 0;
}

/* A bt_jw_sync caller waits for rows committed but not yet fsynced. */
static bool sync_wanted(const struct bt_journal *j)
{
	return j->durable_waiters > 0 && j->durable_seq < j->committed_seq && !j->broken;
}

/* Through SQLite's own WAL handle, which also fsyncs the WAL's directory
 * entry the first time. 1 when no WAL is open (nothing committed through
 * this connection yet), 0 when synced, or -errno. */
static int wal_fsync(struct bt_journal *j)
{
	sqlite3_file *f = NULL;
	int rc;

	pthread_mutex_lock(&j->dbmu);
	rc = sqlite3_file_control(j->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f);
	if (rc == SQLITE_OK && f && f->pMethods)
		rc = bt_journal_errno(f->pMethods->xSync(f, SQLITE_SYNC_NORMAL));
	else
		rc = rc == SQLITE_OK ? 1 : bt_journal_errno(rc);
	pthread_mutex_unlock(&j->dbmu);
	return rc;
}

int bt_journal_sync(struct bt_journal *j)
{
	int rc = wal_fsync(j);

	return rc > 0 ? 0 : rc;
}

/* Called and returns with mu held. A failed fsync may have lost committed
 * rows from the page cache: the journal is broken (next sync rescans). */
static void make_durable(struct bt_journal *j)
{
	int64_t upto = j->committed_seq;
	int rc;

	pthread_mutex_unlock(&j->mu);
	rc = wal_fsync(j);
	pthread_mutex_lock(&j->mu);
	if (rc >= 0) {
		j->wal_syncs += rc == 0;
		if (upto > j->durable_seq)
			j->durable_seq = upto;
	} else if (!j->broken) {
		snprintf(j->broken_why, sizeof(j->broken_why), "journal fsync failed: %s",
			 strerror(-rc));
		bt_err("%s", j->broken_why);
		j->broken = true;
		if (j->on_broken)
			j->on_broken(j->on_broken_arg, j->broken_why);
	}
	pthread_cond_broadcast(&j->done);
}

static void wait_for_work(struct bt_journal *j)
{
	struct timespec until;

	/* Nothing queued means everything handed out is committed; a flush
	 * waiter then has its answer and must get the lock to see it. */
	if (j->q.n == 0 && j->committed_seq < j->next_seq) {
		j->committed_seq = j->next_seq;
		pthread_cond_broadcast(&j->done);
	}
	if (j->stop || j->q.n >= JW_BATCH_ROWS || (j->flush_waiters && j->q.n) ||
	    sync_wanted(j))
		return;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += j->flush_ms / 1000;
	until.tv_nsec += (long)(j->flush_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&j->work, &j->mu, &until);
}

static void *writer_main(void *arg)
{
	struct bt_journal *j = arg;
	struct jw_queue batch = { 0 };

	pthread_mutex_lock(&j->mu);
	for (;;) {
		struct jw_queue tmp;
		struct timespec taken;
		int64_t last;
		int rc;

		wait_for_work(j);
		if (j->q.n == 0 && sync_wanted(j)) {
			make_durable(j);
			continue;
		}
		if (j->q.n == 0) {
			if (j->stop)
				break;
			continue;
		}
		/* Swap the queue out so appends go on while we commit; every
		 * row queued before `taken` is in this batch. */
		clock_gettime(CLOCK_REALTIME, &taken);
		tmp = j->q;
		j->q = batch;
		batch = tmp;
		last = batch.v[batch.n - 1].seq;
		pthread_mutex_unlock(&j->mu);

		rc = commit_batch(j, &batch, taken.tv_sec * 1000000000LL + taken.tv_nsec);
		free_batch(&batch);

		pthread_mutex_lock(&j->mu);
		if (rc < 0 && !j->broken) {
			j->broken = true;
			if (j->on_broken)
				j->on_broken(j->on_broken_arg, j->broken_why);
		}
		if (rc == 0 && last > j->committed_seq)
			j->committed_seq = last;
		if (sync_wanted(j))
			make_durable(j);
		pthread_cond_broadcast(&j->done);
	}
	pthread_mutex_unlock(&j->mu);
	free(batch.v);
	return NULL;
}

int bt_jw_start(struct bt_journal *j, unsigned flush_ms)
{
	int rc;

	j->next_seq = bt_journal_start_seq(j);
	j->committed_seq = j->next_seq;
	j->durable_seq = j->next_seq;
	j->flush_ms = flush_ms ? flush_ms : 1000;
	j->stop = false;
	rc = pthread_create(&j->thread, NULL, writer_main, j);
	if (rc)
		return -rc;
	j->running = true;
	return 0;
}

int bt_jw_flush(struct bt_journal *j)
{
	int64_t target;
	int rc;

	pthread_mutex_lock(&j->mu);
	target = j->next_seq;
	j->flush_waiters++;
	pthread_cond_signal(&j->work);
	while (j->committed_seq < target && !j->broken && j->running)
		pthread_cond_wait(&j->done, &j->mu);
	j->flush_waiters--;
	rc = j->broken ? -EIO : 0;
	pthread_mutex_unlock(&j->mu);
	return rc;
}

int bt_jw_sync(struct bt_journal *j)
{
	int64_t target;
	int rc;

	pthread_mutex_lock(&j->mu);
	target = j->next_seq;
	j->flush_waiters++;
	j->durable_waiters++;
	pthread_cond_signal(&j->work);
	while (j->durable_seq < target && !j->broken && j->running)
		pthread_cond_wait(&j->done, &j->mu);
	j->durable_waiters--;
	j->flush_waiters--;
	rc = j->broken ? -EIO : 0;
	pthread_mutex_unlock(&j->mu);
	return rc;
}

uint64_t bt_jw_wal_syncs_for_tests(struct bt_journal *j)
{
	uint64_t n;

	pthread_mutex_lock(&j->mu);
	n = j->wal_syncs;
	pthread_mutex_unlock(&j->mu);
	return n;
}

bool bt_jw_broken(const struct bt_journal *j)
{
	/* A racy read is fine: broken only ever goes false -> true. */
	return __atomic_load_n(&j->broken, __ATOMIC_RELAXED);
}

int bt_jw_stop(struct bt_journal *j)
{
	if (!j->running)
		return j->broken ? -EIO : 0;
	pthread_mutex_lock(&j->mu);
	j->stop = true;
	pthread_cond_signal(&j->work);
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->thread, NULL);
	j->running = false;
	return j->broken ? -EIO : 0;
}

void bt_jw_on_broken(struct bt_journal *j, void (*cb)(void *arg, const char *why),
		     void *arg)
{
	pthread_mutex_lock(&j->mu);
	j->on_broken = cb;
	j->on_broken_arg = arg;
	pthread_mutex_unlock(&j->mu);
}
