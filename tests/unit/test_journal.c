/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btsoot/journal.h"

struct fixture {
	char dir[64];
	char path[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/btsoot-journal-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/journal.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

struct collected {
	struct bt_op_rec v[64];
	size_t n;
};

static int collect(const struct bt_op_rec *r, void *arg)
{
	struct collected *c = arg;
	struct bt_op_rec *d = &c->v[c->n++];

	*d = *r;
	d->path = strdup(r->path);
	d->path2 = r->path2 ? strdup(r->path2) : NULL;
	return 0;
}

static void collected_free(struct collected *c)
{
	for (size_t i = 0; i < c->n; i++)
		bt_op_rec_free(&c->v[i]);
	c->n = 0;
}

static int64_t append(struct bt_journal *j, int op, const char *path,
		      const char *path2, int64_t off, int64_t len)
{
	struct bt_op_rec r = { .op = op, .ino = 42, .path = (char *)path,
			       .path2 = (char *)path2, .off = off, .len = len };

	return bt_jw_append(j, &r);
}

static void missing_journal_is_enoent_unless_created(void **state)
{
	struct fixture *f = *state;
	struct bt_journal *j;
	struct stat st;

	assert_int_equal(bt_journal_open(f->path, 0, &j), -ENOENT);
	assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), 0);
	bt_journal_close(j);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(bt_journal_open(f->path, 0, &j), 0);
	bt_journal_close(j);
}

static void rows_come_back_in_seq_order_with_exact_bytes(void **state)
{
	struct fixture *f = *state;
	struct bt_journal *j;
	struct collected c = { .n = 0 };
	const char *weird = "sp ace/new\nline/\xff\xfe\x80";
	int64_t s1, s2, s3, max;

	assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), 0);
	assert_int_equal(bt_jw_start(j, 50), 0);
	s1 = append(j, BT_OP_CREATE, weird, NULL, 0, 0);
	s2 = append(j, BT_OP_RENAME, weird, "b", 0, 0);
	s3 = append(j, BT_OP_WRITE, "b", NULL, 4096, 100);
	assert_true(s1 > 0 && s2 == s1 + 1 && s3 == s2 + 1);
	assert_int_equal(bt_jw_flush(j), 0);
	assert_int_equal(bt_journal_max_seq(j, &max), 0);
	assert_int_equal(max, s3);
	assert_int_equal(bt_journal_read(j, 0, max, 0, collect, &c), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.v[0].path, weird);
	assert_null(c.v[0].path2);
	assert_int_equal(c.v[1].op, BT_OP_RENAME);
	assert_string_equal(c.v[1].path2, "b");
	assert_int_equal(c.v[2].off, 4096);
	assert_int_equal(c.v[2].len, 100);
	assert_int_equal(c.v[2].ino, 42);
	collected_free(&c);
	/* limit and range */
	assert_int_equal(bt_journal_read(j, s1, max, 1, collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.v[0].seq, s2);
	collected_free(&c);
	bt_journal_close(j);
}

static void stats_and_prune(void **state)
{
	struct fixture *f = *state;
	struct bt_journal *j;
	int64_t n, bytes, s;

	assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), 0);
	assert_int_equal(bt_jw_start(j, 50), 0);
	append(j, BT_OP_WRITE, "a", NULL, 0, 1000);
	s = append(j, BT_OP_WRITE, "a", NULL, 5000, 24);
	append(j, BT_OP_UNLINK, "c", NULL, 0, 0);
	assert_int_equal(bt_jw_flush(j), 0);
	assert_int_equal(bt_journal_stats(j, 0, &n, &bytes), 0);
	assert_int_equal(n, 3);
	assert_int_equal(bytes, 1024);
	assert_int_equal(bt_journal_prune(j, s), 0);
	assert_int_equal(bt_journal_stats(j, 0, &n, &bytes), 0);
	assert_int_equal(n, 1);
	assert_int_equal(bytes, 0);
	bt_journal_close(j);
}

static void new_seqs_stay_above_synced_after_prune(void **state)
{
	struct fixture *f = *state;
	struct bt_journal *j;
	int64_t last, next;

	assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), 0);
	assert_int_equal(bt_jw_start(j, 50), 0);
	for (int i = 0; i < 10; i++)
		last = append(j, BT_OP_MKDIR, "d", NULL, 0, 0);
	assert_int_equal(bt_jw_flush(j), 0);
	assert_int_equal(bt_journal_prune(j, last), 0);
	assert_int_equal(bt_meta_set_i64(j, BT_META_SYNCED_SEQ, last), 0);
	bt_journal_close(j);

	/* A new daemon on the pruned journal must not reuse old seqs. */
	assert_int_equal(bt_journal_open(f->path, 0, &j), 0);
	assert_int_equal(bt_jw_start(j, 50), 0);
	next = append(j, BT_OP_MKDIR, "e", NULL, 0, 0);
	assert_true(next > last);
	bt_journal_close(j);
}

static void meta_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct bt_journal *j;
	char buf[32];
	int64_t v;

	assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), 0);
	assert_int_equal(bt_meta_get(j, BT_META_STATE, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(bt_meta_set(j, BT_META_STATE, "mounted"), 0);
	assert_int_equal(bt_meta_get(j, BT_META_STATE, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "mounted");
	assert_int_equal(bt_meta_set_i64(j, BT_META_SYNCED_SEQ, 1234567890123LL), 0);
	assert_int_equal(bt_meta_get_i64(j, BT_META_SYNCED_SEQ, &v), 0);
	assert_int_equal(v, 1234567890123LL);
	assert_int_equal(bt_meta_get_i64(j, BT_META_STATE, &v), -EUCLEAN);
	bt_journal_close(j);
}

static void pending_replace_and_read(void **state)
{
	struct fixture *f = *state;
	struct bt_journal *j;
	struct collected c = { .n = 0 };
	struct bt_op_rec recs[2] = {
		{ .op = BT_OP_WRITE, .ino = 7, .path = "x/y", .off = 1, .len = 2 },
		{ .op = BT_OP_CREATE, .ino = 8, .path = "z" },
	};

	assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), 0);
	assert_int_equal(bt_journal_begin(j), 0);
	assert_int_equal(bt_pending_replace(j, recs, 2), 0);
	assert_int_equal(bt_journal_commit(j), 0);
	assert_int_equal(bt_pending_read(j, collect, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[0].path, "x/y");
	assert_int_equal(c.v[1].ino, 8);
	collected_free(&c);
	assert_int_equal(bt_pending_replace(j, NULL, 0), 0);
	assert_int_equal(bt_pending_read(j, collect, &c), 0);
	assert_int_equal(c.n, 0);
	bt_journal_close(j);
}

static void garbage_file_is_reported_corrupt_not_replaced(void **state)
{
	struct fixture *f = *state;
	struct bt_journal *j;
	struct stat st;
	int fd = open(f->path, O_WRONLY | O_CREAT, 0600);
	char junk[8192];

	memset(junk, 0x5a, sizeof(junk));
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), -EUCLEAN);
	/* The evidence is kept: same size, not recreated. */
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, sizeof(junk));
}

static void truncated_journal_is_corrupt(void **state)
{
	struct fixture *f = *state;
	struct bt_journal *j;
	char big[300];
	int rc;

	assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), 0);
	assert_int_equal(bt_jw_start(j, 50), 0);
	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 2000; i++)
		append(j, BT_OP_WRITE, big, NULL, i, 1);
	assert_int_equal(bt_jw_flush(j), 0);
	assert_int_equal(bt_journal_exec_checkpoint_for_tests(j), 0);
	bt_journal_close(j);
	assert_int_equal(truncate(f->path, 3 * 4096 + 100), 0);
	rc = bt_journal_open(f->path, 0, &j);
	assert_int_equal(rc, -EUCLEAN);
}

/* Bytes changed inside a row leave the pages valid; the row checksum
 * catches them, in ops and in pending. */
static void garbled_row_is_corrupt(void **state)
{
	struct fixture *f = *state;
	struct collected c = { 0 };
	struct bt_op_rec pend = { .op = BT_OP_WRITE, .ino = 7, .path = "p/q", .len = 3 };
	struct bt_journal *j;

	assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), 0);
	assert_int_equal(bt_jw_start(j, 50), 0);
	append(j, BT_OP_CREATE, "dir/file-one", NULL, 0, 0);
	append(j, BT_OP_RENAME, "dir/file-one", "dir/file-two", 0, 0);
	assert_int_equal(bt_jw_flush(j), 0);
	assert_int_equal(bt_pending_replace(j, &pend, 1), 0);
	assert_int_equal(bt_journal_read(j, 0, INT64_MAX, 0, collect, &c), 0);
	assert_int_equal(c.n, 2);
	collected_free(&c);
	assert_int_equal(bt_journal_exec_for_tests(j,
		"UPDATE ops SET path2 = CAST('dir/../../etc' AS BLOB) WHERE op = 6;"
		"UPDATE pending SET off = 4096;"), 0);
	assert_int_equal(bt_journal_read(j, 0, INT64_MAX, 0, collect, &c), -EUCLEAN);
	collected_free(&c);
	assert_int_equal(bt_pending_read(j, collect, &c), -EUCLEAN);
	collected_free(&c);
	bt_journal_close(j);
}

/* A version-1 journal (no crc column) is upgraded; its rows stay readable. */
static void version_1_journal_is_upgraded(void **state)
{
	struct fixture *f = *state;
	struct collected c = { 0 };
	struct bt_journal *j;
	char v[8];

	assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), 0);
	assert_int_equal(bt_journal_exec_for_tests(j,
		"DROP TABLE ops; DROP TABLE pending;"
		"CREATE TABLE ops(seq INTEGER PRIMARY KEY, op INTEGER NOT NULL,"
		" ino INTEGER NOT NULL DEFAULT 0, path BLOB NOT NULL, path2 BLOB,"
		" off INTEGER NOT NULL DEFAULT 0, len INTEGER NOT NULL DEFAULT 0,"
		" mode INTEGER NOT NULL DEFAULT 0);"
		"CREATE TABLE pending(id INTEGER PRIMARY KEY, op INTEGER NOT NULL,"
		" ino INTEGER NOT NULL DEFAULT 0, path BLOB NOT NULL, path2 BLOB,"
		" off INTEGER NOT NULL DEFAULT 0, len INTEGER NOT NULL DEFAULT 0,"
		" mode INTEGER NOT NULL DEFAULT 0);"
		"INSERT INTO ops(seq, op, path) VALUES(1, 1, CAST('old' AS BLOB));"
		"DROP TABLE meta;"
		"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
		"INSERT INTO meta VALUES('schema', '1');"), 0);
	bt_journal_close(j);
	assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), 0);
	assert_int_equal(bt_meta_get(j, BT_META_SCHEMA, v, sizeof(v)), 0);
	assert_string_equal(v, "3");
	assert_int_equal(bt_journal_check_meta(j), 0);
	assert_int_equal(bt_journal_read(j, 0, INT64_MAX, 0, collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0].path, "old");
	collected_free(&c);
	bt_journal_close(j);
}

/* Makes f->path a version-2 journal (meta without crc) holding values. */
static void make_version_2(const char *path)
{
	struct bt_journal *j;

	assert_int_equal(bt_journal_open(path, BT_J_CREATE, &j), 0);
	assert_int_equal(bt_journal_exec_for_tests(j,
		"DROP TABLE meta;"
		"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
		"INSERT INTO meta VALUES('schema', '2'), ('synced_seq', '17'),"
		" ('state', 'clean'), ('last_seq', 23);"), 0);
	bt_journal_close(j);
}

/* A version-2 journal reads as it is when opened read-only (btsoot status),
 * and a writer upgrades it: values kept, each row now with a checksum that
 * is checked. */
static void version_2_journal_keeps_values_and_gains_meta_crcs(void **state)
{
	struct fixture *f = *state;
	struct bt_journal *j;
	char v[16];
	int64_t n;

	make_version_2(f->path);
	assert_int_equal(bt_journal_open(f->path, BT_J_READONLY, &j), 0);
	assert_int_equal(bt_meta_get_i64(j, BT_META_SYNCED_SEQ, &n), 0);
	assert_int_equal(n, 17);
	assert_int_equal(bt_meta_get(j, BT_META_SCHEMA, v, sizeof(v)), 0);
	assert_string_equal(v, "2");
	bt_journal_close(j);

	assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), 0);
	assert_int_equal(bt_meta_get(j, BT_META_SCHEMA, v, sizeof(v)), 0);
	assert_string_equal(v, "3");
	assert_int_equal(bt_meta_get_i64(j, BT_META_SYNCED_SEQ, &n), 0);
	assert_int_equal(n, 17);
	assert_int_equal(bt_meta_get_i64(j, "last_seq", &n), 0);
	assert_int_equal(n, 23);
	assert_int_equal(bt_meta_get(j, BT_META_STATE, v, sizeof(v)), 0);
	assert_string_equal(v, "clean");
	assert_int_equal(bt_journal_check_meta(j), 0); /* a NULL crc would fail */
	/* The new checksums are real: a garble is now seen. */
	assert_int_equal(bt_journal_exec_for_tests(j,
		"UPDATE meta SET value = '97' WHERE key = 'synced_seq'"), 0);
	assert_int_equal(bt_meta_get_i64(j, BT_META_SYNCED_SEQ, &n), -EUCLEAN);
	bt_journal_close(j);
}

/* One garbled byte in a meta value passes quick_check; its checksum does
 * not: the getters, the check and every later open say -EUCLEAN (not
 * "unset"), and the journal can be set aside like any corrupt one. */
static void garbled_meta_value_is_corrupt(void **state)
{
	struct fixture *f = *state;
	struct bt_journal *j;
	char aside[256], v[16];
	int64_t n = -1;

	assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), 0);
	assert_int_equal(bt_meta_set_i64(j, BT_META_SYNCED_SEQ, 0), 0);
	assert_int_equal(bt_meta_set(j, BT_META_FIRST_SYNC, "1"), 0);
	assert_int_equal(bt_journal_check_meta(j), 0);
	assert_int_equal(bt_journal_exec_for_tests(j,
		"UPDATE meta SET value = '9' WHERE key = 'synced_seq'"), 0);
	assert_int_equal(bt_meta_get_i64(j, BT_META_SYNCED_SEQ, &n), -EUCLEAN);
	assert_int_equal(bt_meta_get_i64_or(j, BT_META_SYNCED_SEQ, &n, 0), -EUCLEAN);
	assert_int_equal(bt_meta_get(j, BT_META_SYNCED_SEQ, v, sizeof(v)), -EUCLEAN);
	assert_int_equal(n, -1); /* never handed out */
	assert_int_equal(bt_journal_check_meta(j), -EUCLEAN);
	/* Other rows still read; unset stays -ENOENT / the default. */
	assert_int_equal(bt_meta_get_i64(j, BT_META_FIRST_SYNC, &n), 0);
	assert_int_equal(bt_meta_get_i64_or(j, BT_META_LAST_SYNC, &n, 5), 0);
	assert_int_equal(n, 5);
	bt_journal_close(j);

	assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), -EUCLEAN);
	assert_int_equal(bt_journal_open(f->path, BT_J_READONLY, &j), -EUCLEAN);
	assert_int_equal(bt_journal_replace_corrupt(f->path, &j, aside, sizeof(aside)), 0);
	assert_int_equal(bt_meta_get_i64(j, BT_META_NEEDS_RESCAN, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(access(aside, F_OK), 0);
	bt_journal_close(j);
}

/* A garbled key or checksum is caught too, and so is the schema row. */
static void garbled_meta_key_or_crc_is_corrupt(void **state)
{
	static const char *const garbles[] = {
		"UPDATE meta SET key = 'synced_sez' WHERE key = 'synced_seq'",
		"UPDATE meta SET crc = crc + 1 WHERE key = 'state'",
		"UPDATE meta SET crc = NULL WHERE key = 'state'",
		"UPDATE meta SET value = '2' WHERE key = 'schema'",
	};
	struct fixture *f = *state;
	struct bt_journal *j;

	for (size_t i = 0; i < sizeof(garbles) / sizeof(garbles[0]); i++) {
		unlink(f->path);
		assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), 0);
		assert_int_equal(bt_meta_set_i64(j, BT_META_SYNCED_SEQ, 0), 0);
		assert_int_equal(bt_meta_set(j, BT_META_STATE, "clean"), 0);
		assert_int_equal(bt_journal_exec_for_tests(j, garbles[i]), 0);
		bt_journal_close(j);
		assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), -EUCLEAN);
	}
}

/* Replacing a corrupt journal keeps its bytes under a new name and asks
 * for a rescan; nothing is deleted. */
static void corrupt_journal_is_set_aside_not_deleted(void **state)
{
	struct fixture *f = *state;
	char junk[8192], aside[256], back[8192];
	struct bt_journal *j = NULL;
	int64_t v = 0;
	int fd = open(f->path, O_WRONLY | O_CREAT, 0600);

	memset(junk, 0x5a, sizeof(junk));
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), -EUCLEAN);
	assert_int_equal(bt_journal_replace_corrupt(f->path, &j, aside, sizeof(aside)), 0);
	assert_non_null(strstr(aside, "journal.db.corrupt-"));
	fd = open(aside, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, back, sizeof(back)), (ssize_t)sizeof(back));
	close(fd);
	assert_memory_equal(back, junk, sizeof(junk));
	assert_int_equal(bt_meta_get_i64(j, BT_META_NEEDS_RESCAN, &v), 0);
	assert_int_equal(v, 1);
	bt_journal_close(j);
}

struct writer_arg {
	struct bt_journal *j;
	int id;
};

static void *writer_thread(void *p)
{
	struct writer_arg *a = p;
	char path[32];

	for (int i = 0; i < 500; i++) {
		snprintf(path, sizeof(path), "t%d/%d", a->id, i);
		if (append(a->j, BT_OP_CREATE, path, NULL, i, 0) < 0)
			return (void *)1;
	}
	return NULL;
}

static int count_in_order(const struct bt_op_rec *r, void *arg)
{
	int64_t *prev = arg;

	if (r->seq != *prev + 1)
		return -EPROTO;
	*prev = r->seq;
	return 0;
}

static void concurrent_appends_lose_nothing_and_keep_order(void **state)
{
	struct fixture *f = *state;
	struct bt_journal *j;
	pthread_t t[4];
	struct writer_arg a[4];
	int64_t n, bytes, prev = 0;

	assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), 0);
	assert_int_equal(bt_jw_start(j, 5), 0);
	for (int i = 0; i < 4; i++) {
		a[i] = (struct writer_arg){ j, i };
		pthread_create(&t[i], NULL, writer_thread, &a[i]);
	}
	for (int i = 0; i < 4; i++) {
		void *ret;

		pthread_join(t[i], &ret);
		assert_null(ret);
	}
	assert_int_equal(bt_jw_stop(j), 0);
	assert_int_equal(bt_journal_stats(j, 0, &n, &bytes), 0);
	assert_int_equal(n, 2000);
	assert_int_equal(bt_journal_read(j, 0, INT64_MAX, 0, count_in_order, &prev), 0);
	assert_int_equal(prev, 2000);
	bt_journal_close(j);
}

/* Highest seq another connection (another process's view) finds. */
static int64_t seen_by_second_connection(const char *path)
{
	struct bt_journal *r;
	int64_t max = -1;

	assert_int_equal(bt_journal_open(path, BT_J_READONLY, &r), 0);
	assert_int_equal(bt_journal_max_seq(r, &max), 0);
	bt_journal_close(r);
	return max;
}

/* bt_jw_sync (what fsync through the mount waits for) commits the rows and
 * then fsyncs the WAL; bt_jw_flush only commits. Rows committed earlier
 * without an fsync are covered by the next bt_jw_sync; with nothing new it
 * does no fsync at all. */
static void sync_commits_and_fsyncs_the_wal(void **state)
{
	struct fixture *f = *state;
	struct bt_journal *j;
	int64_t s;

	assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), 0);
	/* A long timer: only the calls below commit. */
	assert_int_equal(bt_jw_start(j, 60000), 0);
	s = append(j, BT_OP_CREATE, "a", NULL, 0, 0);
	assert_int_equal(bt_jw_sync(j), 0);
	assert_int_equal(seen_by_second_connection(f->path), s);
	assert_int_equal(bt_jw_wal_syncs_for_tests(j), 1);

	s = append(j, BT_OP_WRITE, "a", NULL, 0, 10);
	assert_int_equal(bt_jw_flush(j), 0);
	assert_int_equal(seen_by_second_connection(f->path), s);
	assert_int_equal(bt_jw_wal_syncs_for_tests(j), 1); /* committed, not synced */
	assert_int_equal(bt_jw_sync(j), 0);
	assert_int_equal(bt_jw_wal_syncs_for_tests(j), 2); /* the earlier commit */
	assert_int_equal(bt_jw_sync(j), 0);
	assert_int_equal(bt_jw_wal_syncs_for_tests(j), 2); /* nothing new */
	bt_journal_close(j);
}

static void *syncer_thread(void *p)
{
	struct writer_arg *a = p;
	char path[32];

	for (int i = 0; i < 50; i++) {
		snprintf(path, sizeof(path), "s%d/%d", a->id, i);
		if (append(a->j, BT_OP_WRITE, path, NULL, 0, 1) < 0 || bt_jw_sync(a->j) < 0)
			return (void *)1;
	}
	return NULL;
}

/* Many threads each appending and syncing: every call returns with its row
 * committed, and fsyncs are shared, never more than the calls. */
static void concurrent_syncs_share_fsyncs(void **state)
{
	struct fixture *f = *state;
	struct bt_journal *j;
	pthread_t t[4];
	struct writer_arg a[4];
	int64_t n, bytes;
	uint64_t syncs;

	assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), 0);
	assert_int_equal(bt_jw_start(j, 60000), 0);
	for (int i = 0; i < 4; i++) {
		a[i] = (struct writer_arg){ j, i };
		pthread_create(&t[i], NULL, syncer_thread, &a[i]);
	}
	for (int i = 0; i < 4; i++) {
		void *ret;

		pthread_join(t[i], &ret);
		assert_null(ret);
	}
	assert_int_equal(bt_journal_stats(j, 0, &n, &bytes), 0);
	assert_int_equal(n, 200);
	syncs = bt_jw_wal_syncs_for_tests(j);
	print_message("200 syncs from 4 threads: %llu WAL fsyncs\n", (unsigned long long)syncs);
	assert_true(syncs >= 1 && syncs <= 200);
	bt_journal_close(j);
}

static void broken_journal_refuses_appends(void **state)
{
	struct fixture *f = *state;
	struct bt_journal *j;
	int64_t s;

	assert_int_equal(bt_journal_open(f->path, BT_J_CREATE, &j), 0);
	assert_int_equal(bt_jw_start(j, 20), 0);
	/* Make every commit fail: drop the table behind the writer's back. */
	assert_int_equal(bt_journal_exec_for_tests(j, "DROP TABLE ops"), 0);
	s = append(j, BT_OP_MKDIR, "d", NULL, 0, 0);
	assert_true(s > 0);
	assert_int_equal(bt_jw_flush(j), -EIO);
	assert_true(bt_jw_broken(j));
	assert_int_equal(append(j, BT_OP_MKDIR, "e", NULL, 0, 0), -EROFS);
	bt_journal_close(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(missing_journal_is_enoent_unless_created, setup, teardown),
		cmocka_unit_test_setup_teardown(rows_come_back_in_seq_order_with_exact_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(stats_and_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(new_seqs_stay_above_synced_after_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(meta_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(pending_replace_and_read, setup, teardown),
		cmocka_unit_test_setup_teardown(garbage_file_is_reported_corrupt_not_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(truncated_journal_is_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(garbled_row_is_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(version_1_journal_is_upgraded, setup, teardown),
		cmocka_unit_test_setup_teardown(version_2_journal_keeps_values_and_gains_meta_crcs, setup, teardown),
		cmocka_unit_test_setup_teardown(garbled_meta_value_is_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(garbled_meta_key_or_crc_is_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(corrupt_journal_is_set_aside_not_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_appends_lose_nothing_and_keep_order, setup, teardown),
		cmocka_unit_test_setup_teardown(broken_journal_refuses_appends, setup, teardown),
		cmocka_unit_test_setup_teardown(sync_commits_and_fsyncs_the_wal, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_syncs_share_fsyncs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
