/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "btsoot/compact.h"
#include "batch.h"
#include "plan.h"

#define PLAN_BATCH 100000 /* rows per read, as in the replay */

/* Inode numbers created inside the range: their removal deletes nothing
 * the remote holds today. Open addressing; 0 marks a free slot. */
struct ino_set {
	uint64_t *v;
	size_t cap, n;
};

static size_t slot(const struct ino_set *s, uint64_t ino)
{
	size_t i = (size_t)(ino * 0x9E3779B97F4A7C15ull) & (s->cap - 1);

	while (s->v[i] && s->v[i] != ino)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int set_add(struct ino_set *s, uint64_t ino)
{
	if (!ino)
		return 0;
	if ((s->n + 1) * 2 > s->cap) {
		struct ino_set g = { calloc(s->cap ? s->cap * 2 : 1024, sizeof(uint64_t)),
				     s->cap ? s->cap * 2 : 1024, 0 };

		if (!g.v)
			return -ENOMEM;
		for (size_t i = 0; i < s->cap; i++)
			if (s->v[i])
				g.v[slot(&g, s->v[i])] = s->v[i], g.n++;
		free(s->v);
		*s = g;
	}
	if (!s->v[slot(s, ino)]) {
		s->v[slot(s, ino)] = ino;
		s->n++;
	}
	return 0;
}

static bool set_has(const struct ino_set *s, uint64_t ino)
{
	return ino && s->cap && s->v[slot(s, ino)] == ino;
}

static int count_row(struct bt_plan *p, struct ino_set *born, const struct bt_op_rec *r,
		     bt_plan_each each, void *arg)
{
	bool removes_existing = false;

	switch (r->op) {
	case BT_OP_CREATE:
	case BT_OP_MKNOD:
	case BT_OP_MKDIR:
	case BT_OP_SYMLINK:
		p->created++;
		if (set_add(born, r->ino) < 0)
			return -ENOMEM;
		break;
	case BT_OP_LINK:
		p->created++;
		break;
	case BT_OP_RENAME:
		p->renamed++;
		break;
	case BT_OP_UNLINK:
	case BT_OP_RMDIR:
		removes_existing = !set_has(born, r->ino);
		p->deleted += removes_existing;
		p->died_young += !removes_existing;
		break;
	case BT_OP_WRITE:
	case BT_OP_TRUNCATE:
		p->data_rows++;
		break;
	case BT_OP_META:
	case BT_OP_XATTR:
		p->meta_rows++;
		break;
	default:
		return 0; /* dropped, or only a parent's times */
	}
	if (each)
		each(arg, r, removes_existing);
	return 0;
}

int bt_plan_build(struct bt_journal *j, int64_t after, int64_t upto, struct bt_plan *p,
		  bt_plan_each each, void *arg)
{
	struct ino_set born = { 0 };
	int rc = 0;

	memset(p, 0, sizeof(*p));
	while (rc == 0 && after < upto) {
		struct bt_batch b = { 0 };

		rc = bt_journal_read(j, after, upto, PLAN_BATCH, bt_batch_collect, &b);
		if (rc == 0 && b.n == 0)
			after = upto;
		if (rc == 0 && b.n) {
			/* applied = after: rows up to there are on the remote */
			p->dropped += bt_compact(b.v, b.n, after);
			p->rows += (int64_t)b.n;
			after = b.n == PLAN_BATCH ? b.v[b.n - 1].seq : upto;
		}
		for (size_t i = 0; rc == 0 && i < b.n; i++)
			rc = count_row(p, &born, &b.v[i], each, arg);
		bt_batch_free(&b);
	}
	free(born.v);
	return rc;
}
