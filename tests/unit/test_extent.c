/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>

#include "btsoot/extent.h"

static void expect_ranges(const struct bt_extents *s, const int64_t *pairs,
			  size_t n)
{
	assert_int_equal(s->n, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(s->v[i].off, pairs[2 * i]);
		assert_int_equal(s->v[i].end, pairs[2 * i + 1]);
	}
}

static void overlapping_writes_coalesce(void **state)
{
	struct bt_extents s;
	const int64_t want[] = { 0, 300 };

	bt_extents_init(&s);
	assert_int_equal(bt_extents_add(&s, 100, 200), 0);
	assert_int_equal(bt_extents_add(&s, 0, 150), 0);
	assert_int_equal(bt_extents_add(&s, 150, 300), 0);
	expect_ranges(&s, want, 1);
	bt_extents_free(&s);
}

static void touching_ranges_merge_and_gaps_stay(void **state)
{
	struct bt_extents s;
	const int64_t want[] = { 0, 20, 30, 40 };

	bt_extents_init(&s);
	bt_extents_add(&s, 30, 40);
	bt_extents_add(&s, 0, 10);
	bt_extents_add(&s, 10, 20); /* touches [0,10) */
	expect_ranges(&s, want, 2);
	bt_extents_free(&s);
}

static void one_write_spanning_many_swallows_them(void **state)
{
	struct bt_extents s;
	const int64_t want[] = { 0, 5, 8, 100, 200, 210 };

	bt_extents_init(&s);
	bt_extents_add(&s, 0, 5);
	for (int64_t i = 10; i < 90; i += 10)
		bt_extents_add(&s, i, i + 2);
	bt_extents_add(&s, 200, 210);
	bt_extents_add(&s, 8, 100);
	expect_ranges(&s, want, 3);
	bt_extents_free(&s);
}

static void a_range_written_a_thousand_times_is_one_range(void **state)
{
	struct bt_extents s;
	const int64_t want[] = { 4096, 8192 };

	bt_extents_init(&s);
	for (int i = 0; i < 1000; i++)
		bt_extents_add(&s, 4096, 8192);
	expect_ranges(&s, want, 1);
	assert_int_equal(bt_extents_bytes(&s), 4096);
	bt_extents_free(&s);
}

static void invalid_ranges_are_refused(void **state)
{
	struct bt_extents s;

	bt_extents_init(&s);
	assert_int_equal(bt_extents_add(&s, -1, 5), -EINVAL);
	assert_int_equal(bt_extents_add(&s, 5, 5), -EINVAL);
	assert_int_equal(s.n, 0);
	bt_extents_free(&s);
}

static void clip_trims_at_size_and_eof_ranges(void **state)
{
	struct bt_extents s;
	const int64_t want[] = { 0, 10, 50, 60 };

	bt_extents_init(&s);
	bt_extents_add(&s, 0, 10);
	bt_extents_add(&s, 50, BT_EXTENT_EOF);
	assert_int_equal(bt_extents_bytes(&s), INT64_MAX);
	bt_extents_clip(&s, 60);
	expect_ranges(&s, want, 2);
	bt_extents_clip(&s, 5);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].end, 5);
	bt_extents_clip(&s, 0);
	assert_int_equal(s.n, 0);
	bt_extents_free(&s);
}

static void coarsen_bounds_count_and_covers_every_byte(void **state)
{
	struct bt_extents s, orig;

	bt_extents_init(&s);
	bt_extents_init(&orig);
	/* Gaps of varying size so the smallest are the ones closed. */
	for (int64_t i = 0; i < 1000; i++) {
		int64_t off = i * 100;

		bt_extents_add(&s, off, off + 10 + (i % 7));
		bt_extents_add(&orig, off, off + 10 + (i % 7));
	}
	bt_extents_coarsen(&s, 64);
	assert_true(s.n <= 32);
	assert_true(s.n >= 1);
	for (size_t i = 0; i < orig.n; i++) {
		int covered = 0;

		for (size_t k = 0; k < s.n; k++)
			covered |= s.v[k].off <= orig.v[i].off &&
				   s.v[k].end >= orig.v[i].end;
		assert_true(covered);
	}
	for (size_t k = 1; k < s.n; k++)
		assert_true(s.v[k - 1].end < s.v[k].off);
	bt_extents_free(&s);
	bt_extents_free(&orig);
}

static void random_adds_match_a_bitmap(void **state)
{
	enum { SIZE = 4096 };
	unsigned char bitmap[SIZE] = { 0 };
	struct bt_extents s;
	uint64_t x = 88172645463325252ull;

	bt_extents_init(&s);
	for (int i = 0; i < 400; i++) {
		int64_t off, len;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		off = (int64_t)(x % SIZE);
		len = 1 + (int64_t)((x >> 20) % 64);
		if (off + len > SIZE)
			len = SIZE - off;
		assert_int_equal(bt_extents_add(&s, off, off + len), 0);
		for (int64_t b = off; b < off + len; b++)
			bitmap[b] = 1;
	}
	for (int64_t b = 0; b < SIZE; b++) {
		int in = 0;

		for (size_t k = 0; k < s.n; k++)
			in |= b >= s.v[k].off && b < s.v[k].end;
		assert_int_equal(in, bitmap[b]);
	}
	for (size_t k = 1; k < s.n; k++)
		assert_true(s.v[k - 1].end < s.v[k].off); /* merged, sorted */
	bt_extents_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(overlapping_writes_coalesce),
		cmocka_unit_test(touching_ranges_merge_and_gaps_stay),
		cmocka_unit_test(one_write_spanning_many_swallows_them),
		cmocka_unit_test(a_range_written_a_thousand_times_is_one_range),
		cmocka_unit_test(invalid_ranges_are_refused),
		cmocka_unit_test(clip_trims_at_size_and_eof_ranges),
		cmocka_unit_test(coarsen_bounds_count_and_covers_every_byte),
		cmocka_unit_test(random_adds_match_a_bitmap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
