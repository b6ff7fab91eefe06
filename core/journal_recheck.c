/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The recheck table: names the sync must compare with the live source
 * instead of replaying rows onto them (contract in btsoot/journal.h).
 * Every entry carries a checksum of its path and flags, like the rows.
 */
#include <errno.h>
#include <string.h>

#include <xxhash.h>

#include "journal_impl.h"

static int64_t entry_crc(const char *path, unsigned flags)
{
	/* The seed keeps a recheck entry's checksum apart from a row's. */
	uint64_t seed = 0x7265636865636bULL ^ flags;

	return (int64_t)(XXH3_64bits_withSeed(path, strlen(path), seed) >> 1);
}

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return bt_journal_errno(rc == SQLITE_DONE ? SQLITE_OK : rc);
}

/* The stored flags of path: >= 0, or -ENOENT. */
static int stored_flags(struct bt_journal *j, const char *path)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db, "SELECT flags FROM recheck WHERE path = ?", -1, &st,
				    NULL);

	if (rc != SQLITE_OK)
		return bt_journal_errno(rc);
	sqlite3_bind_blob(st, 1, path, (int)strlen(path), SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_ROW ? sqlite3_column_int(st, 0)
			      : rc == SQLITE_DONE ? -ENOENT : bt_journal_errno(rc);
	sqlite3_finalize(st);
	return rc;
}

int bt_recheck_add(struct bt_journal *j, const char *path, unsigned flags)
{
	sqlite3_stmt *st = NULL;
	int old, rc = bt_journal_exec(j, BT_RECHECK_TABLE_SQL);

	if (rc < 0)
		return rc;
	old = stored_flags(j, path);
	if (old < 0 && old != -ENOENT)
		return old;
	if (old >= 0 && ((unsigned)old | flags) == (unsigned)old)
		return 0;
	flags |= old > 0 ? (unsigned)old : 0;
	rc = sqlite3_prepare_v2(j->db,
				"INSERT OR REPLACE INTO recheck(path, flags, crc) VALUES(?, ?, ?)",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return bt_journal_errno(rc);
	sqlite3_bind_blob(st, 1, path, (int)strlen(path), SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)flags);
	sqlite3_bind_int64(st, 3, entry_crc(path, flags));
	return step_done(st);
}

int bt_recheck_read(struct bt_journal *j,
		    int (*cb)(const char *path, unsigned flags, void *arg), void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db, "SELECT path, flags, crc FROM recheck ORDER BY path",
				    -1, &st, NULL);

	if (rc != SQLITE_OK) /* no table yet: nothing to recheck */
		return strstr(sqlite3_errmsg(j->db), "no such table") ? 0 : bt_journal_errno(rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int n = sqlite3_column_bytes(st, 0);
		const void *blob = sqlite3_column_blob(st, 0);
		unsigned flags = (unsigned)sqlite3_column_int(st, 1);
		char path[n + 1];
		int err;

		memcpy(path, blob ? blob : "", (size_t)n);
		path[n] = '\0';
		if (strlen(path) != (size_t)n ||
		    sqlite3_column_int64(st, 2) != entry_crc(path, flags))
			err = -EUCLEAN;
		else
			err = cb(path, flags, arg);
		if (err < 0) {
			sqlite3_finalize(st);
			return err;
		}
	}
	sqlite3_finalize(st);
	return bt_journal_errno(rc == SQLITE_DONE ? SQLITE_OK : rc);
}

int bt_recheck_remove(struct bt_journal *j, const char *path)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db, "DELETE FROM recheck WHERE path = ?", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return strstr(sqlite3_errmsg(j->db), "no such table") ? 0 : bt_journal_errno(rc);
	sqlite3_bind_blob(st, 1, path, (int)strlen(path), SQLITE_STATIC);
	return step_done(st);
}

int bt_recheck_clear(struct bt_journal *j)
{
	int rc = bt_journal_exec(j, BT_RECHECK_TABLE_SQL);

	return rc ? rc : bt_journal_exec(j, "DELETE FROM recheck");
}
