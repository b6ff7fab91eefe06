/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "progress.h"

#define MIB (1024 * 1024LL)

static void eta_reads_as_seconds_minutes_hours(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(bt_progress_eta(0, b, sizeof(b)), "0 s");
	assert_string_equal(bt_progress_eta(42.4, b, sizeof(b)), "42 s");
	assert_string_equal(bt_progress_eta(245, b, sizeof(b)), "4 min 05 s");
	assert_string_equal(bt_progress_eta(3720, b, sizeof(b)), "1 h 02 min");
	assert_string_equal(bt_progress_eta(-5, b, sizeof(b)), "0 s");
}

static void known_totals_give_bytes_percent_rate_and_time_left(void **state)
{
	struct bt_progress_view v = { 300, 60 * MIB, 3000, 600 * MIB, 5, false };
	char b[256];

	(void)state;
	assert_string_equal(bt_progress_format(&v, b, sizeof(b)),
			    "300/3000 files, 60.0 MiB of 600.0 MiB (10%), 12.0 MiB/s, 45 s left");
}

static void unknown_totals_give_counts_and_rate_only(void **state)
{
	struct bt_progress_view v = { 1, 2048, -1, -1, 2, false };
	char b[256];

	(void)state;
	assert_string_equal(bt_progress_format(&v, b, sizeof(b)), "1 file, 2.0 KiB, 1.0 KiB/s");
	assert_null(strchr(b, '%'));
	v.entries = true;
	v.files = 7;
	assert_string_equal(bt_progress_format(&v, b, sizeof(b)), "7 entries, 2.0 KiB, 1.0 KiB/s");
}

static void percent_is_clamped_when_more_is_done_than_expected(void **state)
{
	struct bt_progress_view v = { 12, 20 * MIB, 10, 10 * MIB, 2, false };
	char b[256];

	(void)state;
	assert_string_equal(bt_progress_format(&v, b, sizeof(b)),
			    "12/10 files, 20.0 MiB of 10.0 MiB (100%), 10.0 MiB/s");
	v.bytes = -5;
	bt_progress_format(&v, b, sizeof(b));
	assert_non_null(strstr(b, "(0%)"));
}

static void empty_files_count_percent_by_files(void **state)
{
	struct bt_progress_view v = { 5, 0, 20, 0, 1, false };
	char b[256];

	(void)state;
	assert_string_equal(bt_progress_format(&v, b, sizeof(b)),
			    "5/20 files, 0 B of 0 B (25%), 0 B/s, 3 s left");
}

static void no_time_yet_means_no_rate(void **state)
{
	struct bt_progress_view v = { 0, 0, 3, 3 * MIB, 0, false };
	char b[256];

	(void)state;
	assert_string_equal(bt_progress_format(&v, b, sizeof(b)),
			    "0/3 files, 0 B of 3.0 MiB (0%)");
}

static void short_buffer_is_truncated_not_overflowed(void **state)
{
	struct bt_progress_view v = { 300, 60 * MIB, 3000, 600 * MIB, 5, false };
	char b[12];

	(void)state;
	bt_progress_format(&v, b, sizeof(b));
	assert_int_equal(strlen(b), sizeof(b) - 1);
}

static void nothing_happens_when_off_or_null(void **state)
{
	struct bt_progress p;

	(void)state;
	bt_progress_init(&p, "t", false);
	bt_progress_set(&p, 1, 1);
	assert_false(p.drawn);
	bt_progress_set(NULL, 1, 1);
	bt_progress_end(NULL);
	bt_progress_end(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(eta_reads_as_seconds_minutes_hours),
		cmocka_unit_test(known_totals_give_bytes_percent_rate_and_time_left),
		cmocka_unit_test(unknown_totals_give_counts_and_rate_only),
		cmocka_unit_test(percent_is_clamped_when_more_is_done_than_expected),
		cmocka_unit_test(empty_files_count_percent_by_files),
		cmocka_unit_test(no_time_yet_means_no_rate),
		cmocka_unit_test(short_buffer_is_truncated_not_overflowed),
		cmocka_unit_test(nothing_happens_when_off_or_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
