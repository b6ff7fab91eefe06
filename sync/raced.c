/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "raced.h"

#define RACED_MAX 100000 /* rows; past it, every name counts as touched */

static int collect(const struct bt_op_rec *rec, void *arg)
{
	struct bt_raced *r = arg;
	int rc = rec->path ? bt_strv_push(&r->names, rec->path) : 0;

	r->rows++;
	/* path2 is a second name for these; a symlink's is its target text. */
	if (rc == 0 && rec->path2 && (rec->op == BT_OP_RENAME || rec->op == BT_OP_LINK))
		rc = bt_strv_push(&r->names, rec->path2);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int bt_raced_load(struct bt_raced *r, struct bt_journal *j, int64_t after)
{
	int rc;

	*r = (struct bt_raced){ 0 };
	rc = bt_journal_read(j, after, INT64_MAX, RACED_MAX + 1, collect, r);
	if (rc < 0)
		return rc;
	if (r->rows > RACED_MAX)
		r->all = true;
	qsort(r->names.v, r->names.n, sizeof(*r->names.v), by_name);
	return 0;
}

/* The first index whose name is >= key. */
static size_t lower_bound(const struct bt_raced *r, const char *key)
{
	size_t lo = 0, hi = r->names.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(r->names.v[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool named(const struct bt_raced *r, const char *key)
{
	size_t i = lower_bound(r, key);

	return i < r->names.n && !strcmp(r->names.v[i], key);
}

bool bt_raced_touches(void *raced, const char *rel)
{
	const struct bt_raced *r = raced;
	size_t len = strlen(rel), i;
	char *key;
	bool hit = false;

	if (r->all)
		return true;
	if (r->names.n == 0)
		return false;
	key = malloc(len + 2);
	if (!key)
		return true; /* when in doubt, leave it to the journal */
	memcpy(key, rel, len + 1);
	/* rel, then each directory above it. */
	for (;;) {
		char *slash;

		if ((hit = named(r, key)) || !(slash = strrchr(key, '/')))
			break;
		*slash = '\0';
	}
	/* Anything below rel: names starting with "rel/" sort together. */
	if (!hit) {
		memcpy(key, rel, len);
		memcpy(key + len, "/", 2);
		i = lower_bound(r, key);
		hit = i < r->names.n && !strncmp(r->names.v[i], key, len + 1);
	}
	free(key);
	return hit;
}

void bt_raced_free(struct bt_raced *r)
{
	bt_strv_free(&r->names);
	*r = (struct bt_raced){ 0 };
}
