/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sorted, coalesced byte-range sets. Sizes are small (the daemon coarsens
 * at a few thousand ranges per file), so a sorted array with memmove beats
 * a tree in both code and speed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "btsoot/extent.h"

void bt_extents_init(struct bt_extents *s)
{
	s->v = NULL;
	s->n = 0;
	s->cap = 0;
}

void bt_extents_free(struct bt_extents *s)
{
	free(s->v);
	bt_extents_init(s);
}

void bt_extents_clear(struct bt_extents *s)
{
	s->n = 0;
}

static int extents_reserve(struct bt_extents *s, size_t want)
{
	size_t cap;
	struct bt_extent *v;

	if (want <= s->cap)
		return 0;
	cap = s->cap ? s->cap * 2 : 8;
	while (cap < want)
		cap *= 2;
	v = realloc(s->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	s->cap = cap;
	return 0;
}

/* Index of the first range whose end >= off (touching counts as overlap). */
static size_t extents_lower(const struct bt_extents *s, int64_t off)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].end < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bt_extents_add(struct bt_extents *s, int64_t off, int64_t end)
{
	size_t first, last;

	if (off < 0 || end <= off)
		return -EINVAL;
	first = extents_lower(s, off);
	last = first;
	/* Swallow every range that starts at or before our end. */
	while (last < s->n && s->v[last].off <= end) {
		if (s->v[last].off < off)
			off = s->v[last].off;
		if (s->v[last].end > end)
			end = s->v[last].end;
		last++;
	}
	if (first == last) {
		if (extents_reserve(s, s->n + 1) < 0)
			return -ENOMEM;
		memmove(&s->v[first + 1], &s->v[first],
			(s->n - first) * sizeof(s->v[0]));
		s->n++;
	} else if (last - first > 1) {
		memmove(&s->v[first + 1], &s->v[last],
			(s->n - last) * sizeof(s->v[0]));
		s->n -= last - first - 1;
	}
	s->v[first].off = off;
	s->v[first].end = end;
	return 0;
}

int bt_extents_merge(struct bt_extents *dst, const struct bt_extents *src)
{
	for (size_t i = 0; i < src->n; i++) {
		int rc = bt_extents_add(dst, src->v[i].off, src->v[i].end);

		if (rc < 0)
			return rc;
	}
	return 0;
}

void bt_extents_clip(struct bt_extents *s, int64_t size)
{
	size_t keep = 0;

	while (keep < s->n && s->v[keep].off < size)
		keep++;
	s->n = keep;
	if (keep > 0 && s->v[keep - 1].end > size)
		s->v[keep - 1].end = size;
}

static int cmp_gap_desc(const void *a, const void *b)
{
	int64_t ga = *(const int64_t *)a, gb = *(const int64_t *)b;

	return (ga < gb) - (ga > gb);
}

void bt_extents_coarsen(struct bt_extents *s, size_t max_ranges)
{
	int64_t *gaps, threshold;
	size_t out, want;

	if (max_ranges < 2)
		max_ranges = 2;
	if (s->n <= max_ranges)
		return;
	/* Go down to half the limit so the next few adds do not coarsen again. */
	want = max_ranges / 2;
	gaps = malloc((s->n - 1) * sizeof(*gaps));
	if (!gaps) {
		/* Cannot sort: merge everything, which is still a superset. */
		s->v[0].end = s->v[s->n - 1].end;
		s->n = 1;
		return;
	}
	for (size_t i = 0; i + 1 < s->n; i++)
		gaps[i] = s->v[i + 1].off - s->v[i].end;
	qsort(gaps, s->n - 1, sizeof(*gaps), cmp_gap_desc);
	/* Fewer than `want` gaps are larger than the want-th largest one:
	 * keeping only those leaves at most `want` ranges. */
	threshold = gaps[want - 1];
	free(gaps);
	out = 0;
	for (size_t i = 1; i < s->n; i++) {
		if (s->v[i].off - s->v[out].end <= threshold)
			s->v[out].end = s->v[i].end;
		else
			s->v[++out] = s->v[i];
	}
	s->n = out + 1;
}

int64_t bt_extents_bytes(const struct bt_extents *s)
{
	int64_t sum = 0;

	for (size_t i = 0; i < s->n; i++) {
		int64_t len = s->v[i].end - s->v[i].off;

		if (s->v[i].end == BT_EXTENT_EOF || sum > INT64_MAX - len)
			return INT64_MAX;
		sum += len;
	}
	return sum;
}
