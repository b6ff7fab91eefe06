/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "raced.h"

#define RACED_MAX 100000 /* rows; past it, every name counts as touched */

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int collect(const struct bt_op_rec *rec, void *arg)
{
	struct bt_raced *r = arg;
	int rc;

	if (r->ns_only && (rec->op < BT_OP_CREATE || rec->op > BT_OP_RMDIR))
		return 0;
	rc = rec->path ? bt_strv_push(&r->names, rec->path) : 0;
	r->rows++;
	/* path2 is a second name for these; a symlink's is its target text. */
	if (rc == 0 && rec->path2 && (rec->op == BT_OP_RENAME || rec->op == BT_OP_LINK))
		rc = bt_strv_push(&r->names, rec->path2);
	return rc;
}

int bt_raced_of(struct bt_raced *r, char *const *names, size_t n)
{
	*r = (struct bt_raced){ 0 };
	for (size_t i = 0; i < n; i++)
		if (bt_strv_push(&r->names, names[i]) < 0)
			return -ENOMEM;
	if (r->names.n > 1) /* an empty vector has no array to sort */
		qsort(r->names.v, r->names.n, sizeof(*r->names.v), by_name);
	return 0;
}

int bt_raced_load(struct bt_raced *r, struct bt_journal *j, int64_t after, bool ns_only)
{
	int rc;

	*r = (struct bt_raced){ .ns_only = ns_only };
	rc = bt_journal_read(j, after, INT64_MAX, RACED_MAX + 1, collect, r);
	if (rc < 0)
		return rc;
	if (r->rows > RACED_MAX)
		r->all = true;
	if (r->names.n > 1) /* an empty vector has no array to sort */
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

bool bt_raced_named(const struct bt_raced *r, const char *key)
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

		if ((hit = bt_raced_named(r, key)) || !(slash = strrchr(key, '/')))
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

int bt_raced_each_below(const struct bt_raced *r, const char *rel,
			int (*cb)(const char *name, void *arg), void *arg)
{
	size_t len = strlen(rel);
	char key[len + 2];
	int rc = 0;

	memcpy(key, rel, len);
	memcpy(key + len, "/", 2);
	for (size_t i = *rel ? lower_bound(r, key) : 0; rc == 0 && i < r->names.n; i++) {
		if (*rel && strncmp(r->names.v[i], key, len + 1))
			break;
		if (*r->names.v[i])
			rc = cb(r->names.v[i], arg);
	}
	return rc;
}

void bt_raced_free(struct bt_raced *r)
{
	bt_strv_free(&r->names);
	*r = (struct bt_raced){ 0 };
}
