/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btsoot/pathsafe.h"
#include "dirty.h"

void bt_dirty_init(struct bt_dirty_set *d)
{
	memset(d, 0, sizeof(*d));
}

void bt_dirty_free(struct bt_dirty_set *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].path);
		bt_extents_free(&d->v[i].ext);
	}
	free(d->v);
	free(d->index);
	bt_dirty_init(d);
}

static size_t slot_of(const struct bt_dirty_set *d, uint64_t ino)
{
	return (size_t)(ino * 0x9E3779B97F4A7C15ull >> 17) & (d->nindex - 1);
}

static int reindex(struct bt_dirty_set *d)
{
	size_t n = d->nindex ? d->nindex * 2 : 1024;
	size_t *idx = calloc(n, sizeof(*idx));

	if (!idx)
		return -ENOMEM;
	free(d->index);
	d->index = idx;
	d->nindex = n;
	for (size_t i = 0; i < d->n; i++) {
		size_t s;

		if (!d->v[i].ino)
			continue;
		for (s = slot_of(d, d->v[i].ino); d->index[s]; s = (s + 1) & (n - 1))
			;
		d->index[s] = i + 1;
	}
	return 0;
}

static struct bt_dirty *push(struct bt_dirty_set *d, uint64_t ino, const char *path)
{
	struct bt_dirty *e;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 256;
		struct bt_dirty *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		d->v = v;
		d->cap = cap;
	}
	e = &d->v[d->n];
	memset(e, 0, sizeof(*e));
	e->ino = ino;
	e->path = strdup(path);
	if (!e->path)
		return NULL;
	bt_extents_init(&e->ext);
	d->n++;
	if (ino && (d->n * 2 > d->nindex) && reindex(d) < 0)
		return NULL;
	if (ino && d->nindex) {
		size_t s;

		for (s = slot_of(d, ino); d->index[s]; s = (s + 1) & (d->nindex - 1))
			;
		d->index[s] = d->n;
	}
	return e;
}

/* The entry for ino, created if needed; its path becomes `path` (the row's
 * path is valid at the row's seq, so it is the newest we know). */
static struct bt_dirty *by_ino(struct bt_dirty_set *d, uint64_t ino, const char *path)
{
	if (d->nindex) {
		for (size_t s = slot_of(d, ino); d->index[s]; s = (s + 1) & (d->nindex - 1)) {
			struct bt_dirty *e = &d->v[d->index[s] - 1];
			char *p;

			if (e->ino != ino)
				continue;
			if (!e->path || strcmp(e->path, path)) {
				p = strdup(path);
				if (!p)
					return NULL;
				free(e->path);
				e->path = p;
				e->flags &= ~BT_DIRTY_LOST; /* found under a name again */
			}
			return e;
		}
	}
	return push(d, ino, path);
}

int bt_dirty_touch_parent(struct bt_dirty_set *d, const char *path)
{
	char *dir = bt_path_dirname(path);
	struct bt_dirty *e;

	if (!dir)
		return -ENOMEM;
	/* Cheap dedup: the same directory is usually touched in a row. */
	for (size_t i = d->n; i-- > 0 && i + 8 >= d->n;)
		if (!d->v[i].ino && d->v[i].path && !strcmp(d->v[i].path, dir)) {
			free(dir);
			return 0;
		}
	e = push(d, 0, dir);
	free(dir);
	if (!e)
		return -ENOMEM;
	e->flags |= BT_DIRTY_DIR | BT_DIRTY_META;
	return 0;
}

/* Does e hold changes the remote has not received yet? (Metadata counts:
 * it is applied last.) */
static bool unapplied(const struct bt_dirty *e)
{
	return e->ext.n || (e->flags & (BT_DIRTY_META | BT_DIRTY_XATTR | BT_DIRTY_CARRY));
}

/* Applies rename(from, to) (or an exchange) to every tracked path. */
static int rename_paths(struct bt_dirty_set *d, const char *from, const char *to,
			bool exchange, bool target_lives)
{
	for (size_t i = 0; i < d->n; i++) {
		struct bt_dirty *e = &d->v[i];
		bool moved;
		char *np;

		if (!e->path)
			continue;
		np = bt_path_rename(e->path, from, to, &moved);
		if (!moved && exchange)
			np = bt_path_rename(e->path, to, from, &moved);
		else if (!moved && bt_path_is_under(e->path, to)) {
			/* Whatever was at the target was replaced; a file with
			 * other names lives on where we cannot see it, unless a
			 * later row names it. */
			if (target_lives && unapplied(e))
				e->flags |= BT_DIRTY_LOST;
			free(e->path);
			e->path = NULL;
			continue;
		}
		if (moved && !np)
			return -ENOMEM;
		if (moved) {
			free(e->path);
			e->path = np;
		}
	}
	return 0;
}

static void forget_under(struct bt_dirty_set *d, const char *path, uint64_t links_left,
			 uint64_t ino)
{
	for (size_t i = 0; i < d->n; i++) {
		struct bt_dirty *e = &d->v[i];

		if (!e->path || !bt_path_is_under(e->path, path))
			continue;
		/* Another name of this file lives on, with changes not yet
		 * applied, and we cannot follow it (unless a later row names
		 * it). Metadata counts too: it is applied last. */
		if (links_left > 0 && e->ino == ino && unapplied(e))
			e->flags |= BT_DIRTY_LOST;
		else
			bt_extents_clear(&e->ext); /* gone with its last name */
		free(e->path);
		e->path = NULL;
	}
}

static int add_range(struct bt_dirty *e, int64_t off, int64_t end)
{
	if (end <= off)
		return 0;
	return bt_extents_add(&e->ext, off, end);
}

int bt_dirty_apply(struct bt_dirty_set *d, const struct bt_op_rec *r)
{
	struct bt_dirty *e = NULL;
	int rc = 0;

	switch (r->op) {
	case BT_OP_CREATE:
	case BT_OP_MKNOD:
	case BT_OP_MKDIR:
	case BT_OP_SYMLINK:
		if (!(e = by_ino(d, r->ino, r->path)))
			return -ENOMEM;
		/* A new object: an entry under this inode number was an older,
		 * removed one (numbers are reused); none of its state applies. */
		bt_extents_clear(&e->ext);
		e->tries = 0;
		e->flags = BT_DIRTY_NEW | BT_DIRTY_META | BT_DIRTY_XATTR;
		if (r->op == BT_OP_CREATE)
			rc = add_range(e, 0, BT_EXTENT_EOF);
		return rc ? rc : bt_dirty_touch_parent(d, r->path);
	case BT_OP_LINK:
		return bt_dirty_touch_parent(d, r->path2);
	case BT_OP_RENAME:
		rc = rename_paths(d, r->path, r->path2, r->len & RENAME_EXCHANGE, r->mode > 0);
		rc = rc ? rc : bt_dirty_touch_parent(d, r->path);
		return rc ? rc : bt_dirty_touch_parent(d, r->path2);
	case BT_OP_TOUCH:
		return bt_dirty_touch_parent(d, r->path);
	case BT_OP_UNLINK:
	case BT_OP_RMDIR:
		forget_under(d, r->path, r->op == BT_OP_UNLINK ? (uint64_t)r->len : 0, r->ino);
		return bt_dirty_touch_parent(d, r->path);
	case BT_OP_WRITE:
		if (!(e = by_ino(d, r->ino, r->path)))
			return -ENOMEM;
		e->flags |= BT_DIRTY_META;
		return add_range(e, r->off, r->len > BT_EXTENT_EOF - r->off
					       ? BT_EXTENT_EOF : r->off + r->len);
	case BT_OP_TRUNCATE:
		if (!(e = by_ino(d, r->ino, r->path)))
			return -ENOMEM;
		e->flags |= BT_DIRTY_META;
		return add_range(e, r->off, BT_EXTENT_EOF);
	case BT_OP_META:
	case BT_OP_XATTR:
		if (!(e = by_ino(d, r->ino, r->path)))
			return -ENOMEM;
		e->flags |= BT_DIRTY_META | (r->op == BT_OP_XATTR ? BT_DIRTY_XATTR : 0);
		return 0;
	default:
		return 0;
	}
}
