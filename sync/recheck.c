/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "btsoot/pathsafe.h"
#include "recheck.h"

static int by_name(const void *a, const void *b)
{
	const struct bt_recheck_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

void bt_recheck_set_sort(struct bt_recheck_set *s)
{
	size_t out = 0;

	if (!s->unsorted || s->n == 0)
		return;
	qsort(s->v, s->n, sizeof(*s->v), by_name);
	/* Merge duplicates appended since the last sort. */
	for (size_t i = 0; i < s->n; i++) {
		if (out && !strcmp(s->v[out - 1].name, s->v[i].name)) {
			s->v[out - 1].flags |= s->v[i].flags;
			free(s->v[i].name);
			continue;
		}
		s->v[out++] = s->v[i];
	}
	s->n = out;
	s->unsorted = false;
}

/* The first index whose name is >= key. */
static size_t lower_bound(struct bt_recheck_set *s, const char *key)
{
	size_t lo = 0, hi;

	bt_recheck_set_sort(s);
	hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(s->v[mid].name, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct bt_recheck_entry *find(struct bt_recheck_set *s, const char *key)
{
	size_t i = lower_bound(s, key);

	return i < s->n && !strcmp(s->v[i].name, key) ? &s->v[i] : NULL;
}

int bt_recheck_set_add(struct bt_recheck_set *s, const char *rel, unsigned flags)
{
	char *copy;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct bt_recheck_entry *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	if (!(copy = strdup(rel)))
		return -ENOMEM;
	s->v[s->n++] = (struct bt_recheck_entry){ copy, flags };
	s->unsorted = true;
	return 0;
}

static int load_one(const char *path, unsigned flags, void *arg)
{
	return bt_recheck_set_add(arg, path, flags);
}

int bt_recheck_set_load(struct bt_recheck_set *s, struct bt_journal *j)
{
	bt_recheck_set_free(s);
	return bt_recheck_read(j, load_one, s);
}

unsigned bt_recheck_flags(struct bt_recheck_set *s, const char *rel)
{
	struct bt_recheck_entry *e = find(s, rel);

	return e ? e->flags : 0;
}

bool bt_recheck_covers(struct bt_recheck_set *s, const char *rel)
{
	size_t len = strlen(rel);
	char key[len + 1];
	bool child = true; /* the next ancestor is rel's own parent */

	if (s->n == 0)
		return false;
	if (find(s, rel))
		return true;
	memcpy(key, rel, len + 1);
	while (bt_path_up(key)) {
		struct bt_recheck_entry *e = find(s, key);

		if (e && (child || (e->flags & BT_RECHECK_DEEP)))
			return true;
		child = false;
	}
	return false;
}

bool bt_recheck_below(struct bt_recheck_set *s, const char *rel)
{
	size_t len = strlen(rel), i;
	char key[len + 2];

	if (s->n == 0)
		return false;
	if (!*rel) { /* everything but the root itself is below the root */
		bt_recheck_set_sort(s);
		return s->n > 1 || *s->v[0].name;
	}
	memcpy(key, rel, len);
	memcpy(key + len, "/", 2);
	i = lower_bound(s, key);
	return i < s->n && !strncmp(s->v[i].name, key, len + 1);
}

int bt_recheck_set_rename(struct bt_recheck_set *s, const char *from, const char *to,
			  size_t *moved)
{
	*moved = 0;
	for (size_t i = 0; i < s->n; i++) {
		bool hit;
		char *now;

		if (!strcmp(s->v[i].name, from))
			continue; /* the entry itself: the caller's concern */
		now = bt_path_rename(s->v[i].name, from, to, &hit);
		if (!now && hit)
			return -ENOMEM;
		if (!now)
			continue;
		free(s->v[i].name);
		s->v[i].name = now;
		s->unsorted = true;
		(*moved)++;
	}
	return 0;
}

void bt_recheck_set_free(struct bt_recheck_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].name);
	free(s->v);
	*s = (struct bt_recheck_set){ 0 };
}
