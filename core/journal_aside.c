/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A corrupt journal is never repaired by deleting it: it is renamed to
 * journal.db.corrupt-<UTC time> (with its -wal and -shm files) for whoever
 * wants to look at it, and a new journal takes its place that tells the
 * next sync to reconcile the whole tree by rescanning.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "btsoot/journal.h"
#include "btsoot/log.h"

/* Renames path+suffix to aside+suffix; a missing source is fine. */
static int move_one(const char *path, const char *aside, const char *suffix)
{
	char from[PATH_MAX], to[PATH_MAX];

	if (snprintf(from, sizeof(from), "%s%s", path, suffix) >= (int)sizeof(from) ||
	    snprintf(to, sizeof(to), "%s%s", aside, suffix) >= (int)sizeof(to))
		return -ENAMETOOLONG;
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0 || errno == ENOENT)
		return 0;
	return -errno;
}

int bt_journal_set_aside(const char *path, char *aside, size_t len)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc = -EEXIST;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	/* A second corruption within the same second gets a counter. */
	for (int n = 0; rc == -EEXIST && n < 100; n++) {
		int w = n ? snprintf(aside, len, "%s.corrupt-%s-%d", path, stamp, n)
			  : snprintf(aside, len, "%s.corrupt-%s", path, stamp);

		if (w < 0 || (size_t)w >= len)
			return -ENAMETOOLONG;
		rc = move_one(path, aside, "");
	}
	if (rc < 0)
		return rc;
	/* The WAL holds committed rows: it travels with its database. */
	rc = move_one(path, aside, "-wal");
	if (rc == 0)
		rc = move_one(path, aside, "-shm");
	return rc;
}

int bt_journal_replace_corrupt(const char *path, struct bt_journal **out, char *aside,
			       size_t len)
{
	int rc = bt_journal_set_aside(path, aside, len);

	if (rc < 0)
		return rc;
	bt_warn("journal %s is corrupt: kept as %s; a new journal asks the next sync "
		"to reconcile by full rescan", path, aside);
	rc = bt_journal_open(path, BT_J_CREATE, out);
	rc = rc ? rc : bt_meta_set(*out, BT_META_FIRST_SYNC, "1");
	rc = rc ? rc : bt_meta_set(*out, BT_META_NEEDS_RESCAN, "1");
	rc = rc ? rc : bt_meta_set(*out, BT_META_SET_ASIDE, aside);
	if (rc < 0 && *out) {
		bt_journal_close(*out);
		*out = NULL;
	}
	return rc;
}
