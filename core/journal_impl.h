/* SPDX-License-Identifier: BSD-3-Clause */
/* Private to journal.c and journal_writer.c. */
#ifndef BTSOOT_JOURNAL_IMPL_H
#define BTSOOT_JOURNAL_IMPL_H

#include <pthread.h>
#include <sqlite3.h>

#include "btsoot/journal.h"

struct jw_queue {
	struct bt_op_rec *v;
	size_t n;
	size_t cap;
};

struct bt_journal {
	sqlite3 *db;
	/* Serialises use of db between the writer thread and meta calls, so a
	 * meta write never lands inside (or is rolled back with) a batch. */
	pthread_mutex_t dbmu;
	bool meta_crc; /* meta rows carry a crc (schema 3 on): bt_meta_get checks it */

	/* writer state, all under mu */
	pthread_mutex_t mu;
	pthread_cond_t work;  /* queue grew, flush asked, or stop */
	pthread_cond_t done;  /* a batch was committed (or failed) */
	struct jw_queue q;
	int64_t next_seq;      /* last seq handed out */
	int64_t committed_seq; /* every seq <= this is committed */
	int64_t durable_seq;   /* ... and <= this also fsynced (WAL on disk) */
	unsigned flush_ms;
	int flush_waiters;
	int durable_waiters;   /* bt_jw_sync callers: fsync the WAL after commit */
	uint64_t wal_syncs;    /* fsyncs of the WAL done for them (test hook) */
	bool running;
	bool stop;
	bool broken;
	pthread_t thread;
	void (*on_broken)(void *arg, const char *why);
	void *on_broken_arg;
	char broken_why[256]; /* the failed commit's own message */
};

int bt_journal_exec(struct bt_journal *j, const char *sql);
/* The recheck table (journal_recheck.c); created with the schema, and by
 * the sync on a journal an older daemon created. */
#define BT_RECHECK_TABLE_SQL \
	"CREATE TABLE IF NOT EXISTS recheck(path BLOB PRIMARY KEY," \
	" flags INTEGER NOT NULL, crc INTEGER NOT NULL) WITHOUT ROWID;"
/* Writes a meta row with its crc; the caller holds dbmu. An SQLite code. */
int bt_journal_meta_put(struct bt_journal *j, const char *key, const char *value);
int bt_journal_errno(int sqlite_rc);
int64_t bt_journal_start_seq(struct bt_journal *j);
void bt_journal_bind_rec(sqlite3_stmt *st, int first, const struct bt_op_rec *r);

#endif
