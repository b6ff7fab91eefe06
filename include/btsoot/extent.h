/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A set of byte ranges [off, end), kept sorted, with overlapping and touching
 * ranges merged. The daemon keeps one per file being written; the sync builds
 * one per dirty file from the journal's WRITE/TRUNCATE rows.
 *
 * BT_EXTENT_EOF as an end means "to the end of the file, whatever its size";
 * a truncate to L is recorded as [L, BT_EXTENT_EOF).
 */
#ifndef BTSOOT_EXTENT_H
#define BTSOOT_EXTENT_H

#include <stddef.h>
#include <stdint.h>

#define BT_EXTENT_EOF INT64_MAX

struct bt_extent {
	int64_t off;
	int64_t end; /* exclusive; > off */
};

struct bt_extents {
	struct bt_extent *v;
	size_t n;
	size_t cap;
};

void bt_extents_init(struct bt_extents *s);
void bt_extents_free(struct bt_extents *s);
void bt_extents_clear(struct bt_extents *s);
/* Adds [off, end); merges with overlapping or adjacent ranges. 0 or -ENOMEM;
 * -EINVAL if off < 0 or end <= off. */
int bt_extents_add(struct bt_extents *s, int64_t off, int64_t end);
/* Adds every range of src to dst. */
int bt_extents_merge(struct bt_extents *dst, const struct bt_extents *src);
/* Drops everything at or beyond size and trims the range that crosses it. */
void bt_extents_clip(struct bt_extents *s, int64_t size);
/* Bounds memory: merges the ranges separated by the smallest gaps until at
 * most max_ranges remain (the result covers a superset of the bytes). */
void bt_extents_coarsen(struct bt_extents *s, size_t max_ranges);
/* Sum of the lengths; BT_EXTENT_EOF ends count as INT64_MAX (saturating). */
int64_t bt_extents_bytes(const struct bt_extents *s);

#endif
