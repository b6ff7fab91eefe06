/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Opening the journal, its meta table, and the sync side's reads and
 * pruning. The daemon's queued appends are in journal_writer.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "btsoot/lockfile.h"
#include "btsoot/log.h"
#include "journal_impl.h"

static int meta_read(struct bt_journal *j, const char *key, char *buf, size_t len,
		     bool check);
static int meta_check_rows(struct bt_journal *j);

#define SCHEMA_VERSION "3"

/* Why the last bt_journal_open failed (bt_journal_open_why). */
static __thread char open_why[256];

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT, crc INTEGER)"
	" WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS ops(seq INTEGER PRIMARY KEY, op INTEGER NOT NULL,"
	" ino INTEGER NOT NULL DEFAULT 0, path BLOB NOT NULL, path2 BLOB,"
	" off INTEGER NOT NULL DEFAULT 0, len INTEGER NOT NULL DEFAULT 0,"
	" mode INTEGER NOT NULL DEFAULT 0, crc INTEGER);"
	"CREATE TABLE IF NOT EXISTS pending(id INTEGER PRIMARY KEY, op INTEGER NOT NULL,"
	" ino INTEGER NOT NULL DEFAULT 0, path BLOB NOT NULL, path2 BLOB,"
	" off INTEGER NOT NULL DEFAULT 0, len INTEGER NOT NULL DEFAULT 0,"
	" mode INTEGER NOT NULL DEFAULT 0, crc INTEGER);"
	BT_RECHECK_TABLE_SQL
	"INSERT OR IGNORE INTO meta(key, value, crc) VALUES('schema', '" SCHEMA_VERSION "',"
	" bt_meta_crc('schema', '" SCHEMA_VERSION "'));";

/* Version 1 had no row checksums; its rows stay readable, unchecked. */
static const char upgrade_1_sql[] =
	"ALTER TABLE ops ADD COLUMN crc INTEGER;"
	"ALTER TABLE pending ADD COLUMN crc INTEGER;";

/* Versions 1 and 2 had no checksum on meta: the values as they are now get
 * one (run before schema_sql, which writes the crc column). */
static const char upgrade_meta_crc_sql[] =
	"ALTER TABLE meta ADD COLUMN crc INTEGER;"
	"UPDATE meta SET crc = bt_meta_crc(key, value);";

/* Last step of every upgrade. */
static const char set_version_sql[] =
	"UPDATE meta SET value = '" SCHEMA_VERSION "',"
	" crc = bt_meta_crc('schema', '" SCHEMA_VERSION "') WHERE key = 'schema';";

static const char *const op_names[] = {
	[BT_OP_NONE] = "none",	   [BT_OP_CREATE] = "create",
	[BT_OP_MKNOD] = "mknod",   [BT_OP_MKDIR] = "mkdir",
	[BT_OP_SYMLINK] = "symlink", [BT_OP_LINK] = "link",
	[BT_OP_RENAME] = "rename", [BT_OP_UNLINK] = "unlink",
	[BT_OP_RMDIR] = "rmdir",   [BT_OP_WRITE] = "write",
	[BT_OP_TRUNCATE] = "truncate", [BT_OP_META] = "meta",
	[BT_OP_XATTR] = "xattr",   [BT_OP_TOUCH] = "touch",
};

const char *bt_op_name(int op)
{
	if (op < 0 || op > BT_OP_TOUCH)
		return "unknown";
	return op_names[op];
}

void bt_op_rec_free(struct bt_op_rec *r)
{
	free(r->path);
	free(r->path2);
	r->path = NULL;
	r->path2 = NULL;
}

int bt_journal_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_SCHEMA:
	case SQLITE_FORMAT:
		return -EUCLEAN;
	default:
		return -EIO;
	}
}

int bt_journal_exec(struct bt_journal *j, const char *sql)
{
	int rc;

	pthread_mutex_lock(&j->dbmu);
	rc = sqlite3_exec(j->db, sql, NULL, NULL, NULL);
	pthread_mutex_unlock(&j->dbmu);
	return bt_journal_errno(rc);
}

static int journal_prepare_file(const char *path, int flags)
{
	struct stat st;
	int fd;

	if (stat(path, &st) == 0)
		return S_ISREG(st.st_mode) ? 0 : -EUCLEAN;
	if (errno != ENOENT)
		return -errno;
	if (!(flags & BT_J_CREATE))
		return -ENOENT;
	/* Create it ourselves so it is 0600 whatever the umask; SQLite gives
	 * the -wal and -shm files the same mode. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? 0 : -errno;
	close(fd);
	return 0;
}

static int journal_quick_check(struct bt_journal *j)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db, "PRAGMA quick_check", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return bt_journal_errno(rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
		snprintf(open_why, sizeof(open_why), "PRAGMA quick_check: %s",
			 (const char *)sqlite3_column_text(st, 0));
		rc = SQLITE_CORRUPT;
	} else if (rc != SQLITE_ROW) {
		snprintf(open_why, sizeof(open_why), "PRAGMA quick_check: %s",
			 sqlite3_errmsg(j->db));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : bt_journal_errno(rc);
}

/* Whether the meta table exists and has its crc column (version 3 on). */
static int meta_columns(struct bt_journal *j, bool *exists, bool *has_crc)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db, "SELECT count(*), coalesce(sum(name = 'crc'), 0)"
				    " FROM pragma_table_info('meta')", -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*exists = sqlite3_column_int(st, 0) > 0;
		*has_crc = sqlite3_column_int(st, 1) > 0;
	}
	sqlite3_finalize(st);
	return bt_journal_errno(rc);
}

static void sql_meta_crc(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *key = (const char *)sqlite3_value_text(argv[0]);

	(void)argc;
	sqlite3_result_int64(ctx, bt_meta_crc(key ? key : "",
					      (const char *)sqlite3_value_text(argv[1])));
}

/* Every meta row checked once at open, before anyone acts on a value: a
 * garbled byte passes quick_check. A newer btsoot's journal is left to the
 * version check. */
static int meta_verify_at_open(struct bt_journal *j)
{
	char schema[16];
	bool exists = false, has_crc = false;
	int rc = meta_columns(j, &exists, &has_crc);

	if (rc < 0 || !has_crc)
		return rc;
	if (meta_read(j, BT_META_SCHEMA, schema, sizeof(schema), false) == 0 &&
	    atoi(schema) > atoi(SCHEMA_VERSION))
		return 0;
	return meta_check_rows(j);
}

/* Creates the schema, or brings a version 1 or 2 journal to SCHEMA_VERSION,
 * inside the caller's transaction. */
static int journal_upgrade(struct bt_journal *j)
{
	char schema[16] = "";
	bool exists = false, has_crc = false, old;
	int rc = meta_columns(j, &exists, &has_crc);

	if (rc == 0 && exists)
		rc = meta_read(j, BT_META_SCHEMA, schema, sizeof(schema), false);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	old = !strcmp(schema, "1") || !strcmp(schema, "2");
	if (exists && !has_crc && !old)
		return -EUCLEAN; /* some other SQLite file's meta table */
	rc = exists && !has_crc ? bt_journal_exec(j, upgrade_meta_crc_sql) : 0;
	rc = rc ? rc : bt_journal_exec(j, schema_sql);
	if (rc == 0 && !strcmp(schema, "1"))
		rc = bt_journal_exec(j, upgrade_1_sql);
	if (rc == 0 && old)
		rc = bt_journal_exec(j, set_version_sql);
	return rc;
}

static int journal_setup(struct bt_journal *j, int flags)
{
	char schema[16];
	bool exists = false;
	int rc;

	sqlite3_busy_timeout(j->db, 10000);
	if (!(flags & BT_J_READONLY)) {
		rc = bt_journal_exec(j, "PRAGMA journal_mode=WAL;"
					"PRAGMA synchronous=NORMAL;");
		if (rc < 0)
			return rc;
	}
	rc = journal_quick_check(j);
	if (rc == 0)
		rc = bt_journal_errno(sqlite3_create_function_v2(j->db, "bt_meta_crc", 2,
			SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_meta_crc, NULL, NULL, NULL));
	rc = rc ? rc : meta_verify_at_open(j);
	if (rc < 0)
		return rc;
	if (flags & BT_J_CREATE) {
		rc = bt_journal_exec(j, "BEGIN IMMEDIATE;");
		if (rc == 0) {
			rc = journal_upgrade(j);
			rc = rc ? rc : bt_journal_exec(j, "COMMIT;");
			if (rc)
				bt_journal_exec(j, "ROLLBACK;");
		}
		if (rc < 0)
			return rc;
	}
	rc = meta_columns(j, &exists, &j->meta_crc);
	rc = rc ? rc : meta_read(j, BT_META_SCHEMA, schema, sizeof(schema), false);
	if (rc == 0 && atoi(schema) > atoi(SCHEMA_VERSION)) {
		snprintf(open_why, sizeof(open_why), "schema version %s is newer than this "
			 "btsoot's (" SCHEMA_VERSION ")", schema);
		return -EPROTO; /* a newer btsoot's: not ours to set aside */
	}
	if (rc == 0 && (flags & BT_J_READONLY) && (!strcmp(schema, "1") || !strcmp(schema, "2")))
		return 0; /* readable as it is, meta unchecked: a writer upgrades it */
	if (rc == -ENOENT || (rc == 0 && (strcmp(schema, SCHEMA_VERSION) != 0 || !j->meta_crc))) {
		snprintf(open_why, sizeof(open_why), "not a btsoot journal (no schema version "
			 SCHEMA_VERSION " in its meta table)");
		return -EUCLEAN; /* some other SQLite file */
	}
	return rc;
}

/* path as a URI with immutable=1: every byte but unreserved ones and '/'
 * percent-encoded (a '?' or '#' in a path must not end it). */
static int open_snapshot(const char *path, sqlite3 **db)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(path), k = 0;
	char *uri = malloc(n * 3 + 32);
	int rc;

	if (!uri)
		return SQLITE_NOMEM;
	k += (size_t)sprintf(uri, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (isalnum(*p) || strchr("/-._~", *p)) {
			uri[k++] = (char)*p;
		} else {
			uri[k++] = '%';
			uri[k++] = hex[*p >> 4];
			uri[k++] = hex[*p & 15];
		}
	}
	snprintf(uri + k, 32, "?immutable=1");
	rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
			     SQLITE_OPEN_FULLMUTEX, NULL);
	free(uri);
	return rc;
}

const char *bt_journal_open_why(void)
{
	return open_why;
}

bool bt_journal_quiet(const char *path, const char *state_dir)
{
	char p[PATH_MAX + 32];
	struct stat st;

	snprintf(p, sizeof(p), "%s/daemon.lock", state_dir);
	if (bt_lock_holder(p) != 0)
		return false;
	snprintf(p, sizeof(p), "%s/sync.lock", state_dir);
	if (bt_lock_holder(p) != 0)
		return false;
	snprintf(p, sizeof(p), "%s-wal", path);
	if (stat(p, &st) == 0)
		return st.st_size == 0;
	return errno == ENOENT;
}

int bt_journal_open(const char *path, int flags, struct bt_journal **out)
{
	struct bt_journal *j;
	int oflags, rc;

	*out = NULL;
	open_why[0] = '\0';
	rc = journal_prepare_file(path, flags);
	if (rc < 0)
		return rc;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	pthread_mutex_init(&j->dbmu, NULL);
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->work, NULL);
	pthread_cond_init(&j->done, NULL);
	oflags = (flags & BT_J_READONLY) ? SQLITE_OPEN_READONLY
					 : SQLITE_OPEN_READWRITE;
	if ((flags & BT_J_READONLY) && (flags & BT_J_SNAPSHOT))
		rc = open_snapshot(path, &j->db);
	else
		rc = sqlite3_open_v2(path, &j->db, oflags | SQLITE_OPEN_FULLMUTEX, NULL);
	rc = rc == SQLITE_OK ? journal_setup(j, flags) : bt_journal_errno(rc);
	if (rc < 0) {
		if (j->db && !open_why[0])
			snprintf(open_why, sizeof(open_why), "%s", sqlite3_errmsg(j->db));
		if (j->db)
			bt_debug("journal %s: %s", path, sqlite3_errmsg(j->db));
		bt_journal_close(j);
		return rc;
	}
	*out = j;
	return 0;
}

void bt_journal_close(struct bt_journal *j)
{
	if (!j)
		return;
	if (j->running)
		bt_jw_stop(j);
	sqlite3_close(j->db);
	for (size_t i = 0; i < j->q.n; i++)
		bt_op_rec_free(&j->q.v[i]);
	free(j->q.v);
	pthread_cond_destroy(&j->work);
	pthread_cond_destroy(&j->done);
	pthread_mutex_destroy(&j->mu);
	pthread_mutex_destroy(&j->dbmu);
	free(j);
}

struct sqlite3 *bt_journal_db(struct bt_journal *j)
{
	return j->db;
}

const char *bt_journal_errmsg(struct bt_journal *j)
{
	return sqlite3_errmsg(j->db);
}

/* ---- meta ---- */

/* A checksum of a meta row, so that a garbled value (which SQLite's page
 * checks cannot see) is never acted on. NULL and "" are the same value. */
int64_t bt_meta_crc(const char *key, const char *value)
{
	const char *v = value ? value : "";
	XXH64_hash_t h = XXH3_64bits(key, strlen(key) + 1);

	return (int64_t)XXH3_64bits_withSeed(v, strlen(v) + 1, h);
}

static bool meta_row_ok(sqlite3_stmt *st, const char *key, int vcol)
{
	return sqlite3_column_type(st, vcol + 1) == SQLITE_INTEGER &&
	       sqlite3_column_int64(st, vcol + 1) ==
		       bt_meta_crc(key, (const char *)sqlite3_column_text(st, vcol));
}

static void meta_report_bad(struct bt_journal *j, const char *key)
{
	snprintf(open_why, sizeof(open_why), "meta '%s' does not match its checksum "
		 "(garbled)", key);
	bt_warn("journal %s: meta '%s' does not match its checksum (garbled)",
		sqlite3_db_filename(j->db, "main"), key);
}

static int meta_read(struct bt_journal *j, const char *key, char *buf, size_t len,
		     bool check)
{
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&j->dbmu);
	rc = sqlite3_prepare_v2(j->db, check ? "SELECT value, crc FROM meta WHERE key = ?"
					     : "SELECT value, NULL FROM meta WHERE key = ?",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW && check && !meta_row_ok(st, key, 0)) {
		meta_report_bad(j, key);
		rc = SQLITE_CORRUPT;
	} else if (rc == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);

		snprintf(buf, len, "%s", v ? (const char *)v : "");
		rc = SQLITE_OK;
	}
	rc = rc == SQLITE_DONE ? -ENOENT : bt_journal_errno(rc);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->dbmu);
	return rc;
}

static int meta_check_rows(struct bt_journal *j)
{
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&j->dbmu);
	rc = sqlite3_prepare_v2(j->db, "SELECT key, value, crc FROM meta", -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(st, 0);

		rc = SQLITE_OK;
		if (!key || !meta_row_ok(st, key, 1)) {
			meta_report_bad(j, key ? key : "(null)");
			rc = SQLITE_CORRUPT;
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->dbmu);
	return bt_journal_errno(rc);
}

int bt_journal_check_meta(struct bt_journal *j)
{
	return j->meta_crc ? meta_check_rows(j) : 0;
}

int bt_meta_get(struct bt_journal *j, const char *key, char *buf, size_t len)
{
	return meta_read(j, key, buf, len, j->meta_crc);
}

int bt_meta_get_i64(struct bt_journal *j, const char *key, int64_t *v)
{
	char buf[32], *end;
	int rc = bt_meta_get(j, key, buf, sizeof(buf));

	if (rc < 0)
		return rc;
	*v = strtoll(buf, &end, 10);
	return *end == '\0' && end != buf ? 0 : -EUCLEAN;
}

int bt_meta_get_i64_or(struct bt_journal *j, const char *key, int64_t *v, int64_t dflt)
{
	int rc = bt_meta_get_i64(j, key, v);

	if (rc == -ENOENT) {
		*v = dflt;
		rc = 0;
	}
	return rc;
}

int bt_journal_meta_put(struct bt_journal *j, const char *key, const char *value)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db,
				    "INSERT OR REPLACE INTO meta(key, value, crc) VALUES(?, ?, ?)",
				    -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, bt_meta_crc(key, value));
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int bt_meta_set(struct bt_journal *j, const char *key, const char *value)
{
	int rc;

	pthread_mutex_lock(&j->dbmu);
	rc = bt_journal_meta_put(j, key, value);
	pthread_mutex_unlock(&j->dbmu);
	return bt_journal_errno(rc);
}

int bt_meta_set_i64(struct bt_journal *j, const char *key, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return bt_meta_set(j, key, buf);
}

int bt_journal_lost_from(struct bt_journal *j, int64_t ns)
{
	int64_t lost = 0;
	int rc = bt_meta_get_i64_or(j, BT_META_LOST_SINCE, &lost, 0);

	if (rc < 0)
		return rc;
	if (ns > 0 && lost > 0 && lost < ns)
		ns = lost; /* the earliest loss not yet covered */
	rc = bt_meta_set_i64(j, BT_META_LOST_SINCE, ns > 0 ? ns : 0);
	/* Open until the next mount says when it journals again. */
	return rc ? rc : bt_meta_set_i64(j, BT_META_LOST_UNTIL, 0);
}

int bt_journal_lost_window(struct bt_journal *j, int64_t *since, int64_t *until)
{
	int rc = bt_meta_get_i64_or(j, BT_META_LOST_SINCE, since, 0);

	rc = rc ? rc : bt_meta_get_i64_or(j, BT_META_LOST_UNTIL, until, 0);
	if (rc == 0 && *until <= 0)
		*until = INT64_MAX;
	return rc;
}

int bt_journal_note_lost(struct bt_journal *j)
{
	int64_t at = 0;
	int rc = bt_meta_get_i64_or(j, BT_META_COMMITTED_AT, &at, 0);

	if (rc < 0 || at <= 0)
		return rc;
	return bt_journal_lost_from(j, at > BT_LOST_MARGIN_NS ? at - BT_LOST_MARGIN_NS : 1);
}

/* ---- sync side ---- */

static int query_i64(struct bt_journal *j, const char *sql, int64_t arg,
		     int64_t *a, int64_t *b)
{
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&j->dbmu);
	rc = sqlite3_prepare_v2(j->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		if (sqlite3_bind_parameter_count(st) > 0)
			sqlite3_bind_int64(st, 1, arg);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		*a = sqlite3_column_int64(st, 0);
		if (b)
			*b = sqlite3_column_int64(st, 1);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->dbmu);
	return bt_journal_errno(rc);
}

int bt_journal_max_seq(struct bt_journal *j, int64_t *seq)
{
	return query_i64(j, "SELECT coalesce(max(seq), 0) FROM ops", 0, seq, NULL);
}

int bt_journal_stats(struct bt_journal *j, int64_t after, int64_t *n_ops,
		     int64_t *n_write_bytes)
{
	return query_i64(j,
			 /* appends run to "EOF" (len near INT64_MAX): their size is
			  * unknown here, and summing them would overflow */
			 "SELECT count(*), coalesce(sum(CASE WHEN op = 9 AND len < 1099511627776"
			 " THEN len ELSE 0 END), 0) FROM ops WHERE seq > ?",
			 after, n_ops, n_write_bytes);
}

static char *column_path(sqlite3_stmt *st, int col)
{
	const void *blob = sqlite3_column_blob(st, col);
	int len = sqlite3_column_bytes(st, col);
	char *s;

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	s = malloc((size_t)len + 1);
	if (!s)
		return NULL;
	if (len)
		memcpy(s, blob, (size_t)len);
	s[len] = '\0';
	return s;
}

/* A checksum of everything a row says, so that bytes garbled inside a row
 * (which SQLite's page checks cannot see) are not replayed as a path. */
int64_t bt_op_rec_crc(const struct bt_op_rec *r)
{
	int64_t fields[5] = { r->op, (int64_t)r->ino, r->off, r->len, (int64_t)r->mode };
	const char *p = r->path ? r->path : "";
	XXH64_hash_t h = XXH3_64bits(fields, sizeof(fields));

	h = XXH3_64bits_withSeed(p, strlen(p) + 1, h);
	if (r->path2)
		h = XXH3_64bits_withSeed(r->path2, strlen(r->path2) + 1, h);
	return (int64_t)h;
}

/* Fills rec from a row of (seq, op, ino, path, path2, off, len, mode, crc). */
static int row_to_rec(sqlite3_stmt *st, struct bt_op_rec *rec)
{
	rec->seq = sqlite3_column_int64(st, 0);
	rec->op = sqlite3_column_int(st, 1);
	rec->ino = (uint64_t)sqlite3_column_int64(st, 2);
	rec->path = column_path(st, 3);
	rec->path2 = column_path(st, 4);
	rec->off = sqlite3_column_int64(st, 5);
	rec->len = sqlite3_column_int64(st, 6);
	rec->mode = (uint32_t)sqlite3_column_int64(st, 7);
	if (!rec->path || (sqlite3_column_type(st, 4) != SQLITE_NULL && !rec->path2)) {
		bt_op_rec_free(rec);
		return -ENOMEM;
	}
	/* A NUL inside a stored path would silently shorten it: refuse. So
	 * does a checksum that does not match (NULL: a version-1 row). */
	if (strlen(rec->path) != (size_t)sqlite3_column_bytes(st, 3) ||
	    (rec->path2 && strlen(rec->path2) != (size_t)sqlite3_column_bytes(st, 4)) ||
	    (sqlite3_column_type(st, 8) != SQLITE_NULL &&
	     sqlite3_column_int64(st, 8) != bt_op_rec_crc(rec))) {
		bt_op_rec_free(rec);
		return -EUCLEAN;
	}
	return 0;
}

static int read_rows(struct bt_journal *j, sqlite3_stmt *st,
		     int (*cb)(const struct bt_op_rec *, void *), void *arg)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct bt_op_rec rec;
		int err = row_to_rec(st, &rec);

		if (err == 0) {
			err = cb(&rec, arg);
			bt_op_rec_free(&rec);
		}
		if (err < 0)
			return err;
	}
	return bt_journal_errno(rc);
}

int bt_journal_read(struct bt_journal *j, int64_t after, int64_t upto,
		    size_t limit,
		    int (*cb)(const struct bt_op_rec *rec, void *arg), void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(j->db,
				"SELECT seq, op, ino, path, path2, off, len, mode, crc FROM ops"
				" WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return bt_journal_errno(rc);
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, upto);
	sqlite3_bind_int64(st, 3, limit ? (int64_t)limit : -1);
	/* One statement is one read transaction: a consistent snapshot. */
	rc = read_rows(j, st, cb, arg);
	sqlite3_finalize(st);
	return rc;
}

int bt_journal_prune(struct bt_journal *j, int64_t upto)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db, "DELETE FROM ops WHERE seq <= ?", -1,
				    &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, upto);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return bt_journal_errno(rc);
}

int bt_journal_begin(struct bt_journal *j)
{
	return bt_journal_exec(j, "BEGIN IMMEDIATE");
}

int bt_journal_commit(struct bt_journal *j)
{
	return bt_journal_exec(j, "COMMIT");
}

void bt_journal_rollback(struct bt_journal *j)
{
	if (!sqlite3_get_autocommit(j->db))
		bt_journal_exec(j, "ROLLBACK");
}

int bt_pending_read(struct bt_journal *j,
		    int (*cb)(const struct bt_op_rec *rec, void *arg), void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db,
				    "SELECT 0, op, ino, path, path2, off, len, mode, crc"
				    " FROM pending ORDER BY id", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return bt_journal_errno(rc);
	rc = read_rows(j, st, cb, arg);
	sqlite3_finalize(st);
	return rc;
}

static void bind_path(sqlite3_stmt *st, int col, const char *path)
{
	if (path)
		sqlite3_bind_blob(st, col, path, (int)strlen(path), SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

/* Binds rec's fields and checksum to 8 columns (op, ino, path, path2, off,
 * len, mode, crc) starting at first (the seq column is left to the caller). */
void bt_journal_bind_rec(sqlite3_stmt *st, int first, const struct bt_op_rec *r)
{
	sqlite3_bind_int(st, first, r->op);
	sqlite3_bind_int64(st, first + 1, (int64_t)r->ino);
	bind_path(st, first + 2, r->path ? r->path : "");
	bind_path(st, first + 3, r->path2);
	sqlite3_bind_int64(st, first + 4, r->off);
	sqlite3_bind_int64(st, first + 5, r->len);
	sqlite3_bind_int64(st, first + 6, r->mode);
	sqlite3_bind_int64(st, first + 7, bt_op_rec_crc(r));
}

int bt_pending_replace(struct bt_journal *j, const struct bt_op_rec *recs,
		       size_t n)
{
	sqlite3_stmt *st = NULL;
	int rc = bt_journal_exec(j, "DELETE FROM pending");

	if (rc < 0 || n == 0)
		return rc;
	rc = sqlite3_prepare_v2(j->db,
				"INSERT INTO pending(op, ino, path, path2, off, len, mode, crc)"
				" VALUES(?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
		bt_journal_bind_rec(st, 1, &recs[i]);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return bt_journal_errno(rc);
}

int64_t bt_journal_start_seq(struct bt_journal *j)
{
	int64_t max = 0, v;

	bt_journal_max_seq(j, &max);
	/* Pruned rows leave no trace in ops; the sync's marks must stay below
	 * every new seq or new rows would look replayed already. */
	if (bt_meta_get_i64(j, BT_META_SYNCED_SEQ, &v) == 0 && v > max)
		max = v;
	if (bt_meta_get_i64(j, BT_META_NS_DONE_SEQ, &v) == 0 && v > max)
		max = v;
	if (bt_meta_get_i64(j, "last_seq", &v) == 0 && v > max)
		max = v;
	return max;
}

int bt_journal_exec_for_tests(struct bt_journal *j, const char *sql)
{
	return bt_journal_exec(j, sql);
}

int bt_journal_exec_checkpoint_for_tests(struct bt_journal *j)
{
	return bt_journal_exec(j, "PRAGMA wal_checkpoint(TRUNCATE)");
}
