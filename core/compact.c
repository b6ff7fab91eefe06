/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compaction: drop objects born and dead inside one batch. For every
 * UNLINK/RMDIR we walk back (a bounded window) to the last row that touches
 * the same path; if that row created the path and everything in between that
 * touched it was data or metadata of that object, none of it needs to reach
 * the remote.
 */
#include <errno.h>
#include <string.h>

#include "btsoot/compact.h"
#include "btsoot/pathsafe.h"

/* How far back an UNLINK looks for its CREATE; bounds the cost per row. */
#define COMPACT_WINDOW 2048

static bool is_strictly_under(const char *path, const char *dir)
{
	return strcmp(path, dir) != 0 && bt_path_is_under(path, dir);
}

static bool creates(const struct bt_op_rec *r, const char *p, bool dir)
{
	if (dir)
		return r->op == BT_OP_MKDIR && !strcmp(r->path, p);
	switch (r->op) {
	case BT_OP_CREATE:
	case BT_OP_MKNOD:
	case BT_OP_SYMLINK:
		return !strcmp(r->path, p);
	case BT_OP_LINK:
		return r->path2 && !strcmp(r->path2, p);
	default:
		return false;
	}
}

static bool is_object_data(const struct bt_op_rec *r, const char *p)
{
	switch (r->op) {
	case BT_OP_WRITE:
	case BT_OP_TRUNCATE:
	case BT_OP_META:
	case BT_OP_XATTR:
		return !strcmp(r->path, p);
	default:
		return false;
	}
}

/* Does r involve p: the same name, a rename of a directory above it, or
 * (for a directory) anything below it? path2 of SYMLINK is a target, not a
 * name. */
static bool touches(const struct bt_op_rec *r, const char *p, bool dir)
{
	bool names2 = r->op == BT_OP_RENAME || r->op == BT_OP_LINK;

	if (bt_path_is_under(r->path, p) && (dir || !strcmp(r->path, p)))
		return true;
	if (names2 && r->path2 && bt_path_is_under(r->path2, p) &&
	    (dir || !strcmp(r->path2, p)))
		return true;
	if (r->op == BT_OP_RENAME &&
	    (is_strictly_under(p, r->path) || (r->path2 && is_strictly_under(p, r->path2))))
		return true;
	return false;
}

static bool try_drop(struct bt_op_rec *ops, size_t j, int64_t applied)
{
	const char *p = ops[j].path;
	bool dir = ops[j].op == BT_OP_RMDIR;
	size_t lo = j > COMPACT_WINDOW ? j - COMPACT_WINDOW : 0;

	for (size_t i = j; i-- > lo;) {
		/* An earlier dropped life of p, or of something below it. */
		if (ops[i].op == BT_OP_NONE || ops[i].op == BT_OP_TOUCH ||
		    !touches(&ops[i], p, dir))
			continue;
		if (creates(&ops[i], p, dir)) {
			if (ops[i].seq <= applied)
				return false; /* on the remote already */
			for (size_t k = i; k < j; k++)
				if (ops[k].op != BT_OP_NONE && touches(&ops[k], p, dir))
					ops[k].op = BT_OP_NONE;
			/* The parent directory's times still changed. */
			ops[j].op = BT_OP_TOUCH;
			return true;
		}
		if (dir || !is_object_data(&ops[i], p))
			return false;
	}
	return false;
}

long bt_compact(struct bt_op_rec *ops, size_t n, int64_t applied)
{
	long dropped = 0;

	for (size_t j = 0; j < n; j++) {
		if (ops[j].op != BT_OP_UNLINK && ops[j].op != BT_OP_RMDIR)
			continue;
		if (try_drop(ops, j, applied))
			dropped++;
	}
	return dropped;
}
