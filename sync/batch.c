/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"

int bt_batch_collect(const struct bt_op_rec *r, void *arg)
{
	struct bt_batch *b = arg;
	struct bt_op_rec *d;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		struct bt_op_rec *v = realloc(b->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		b->v = v;
		b->cap = cap;
	}
	d = &b->v[b->n];
	*d = *r;
	d->path = strdup(r->path);
	d->path2 = r->path2 ? strdup(r->path2) : NULL;
	if (!d->path || (r->path2 && !d->path2)) {
		bt_op_rec_free(d);
		return -ENOMEM;
	}
	b->n++;
	return 0;
}

void bt_batch_free(struct bt_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		bt_op_rec_free(&b->v[i]);
	free(b->v);
	b->v = NULL;
	b->n = b->cap = 0;
}
