/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "btsoot/words.h"

static void plural_is_singular_for_one_only(void **state)
{
	(void)state;
	assert_string_equal(bt_plural(1, "file", "files"), "file");
	assert_string_equal(bt_plural(0, "file", "files"), "files");
	assert_string_equal(bt_plural(2, "entry", "entries"), "entries");
}

static void bytes_get_binary_units(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(bt_fmt_bytes(0, b, sizeof(b)), "0 B");
	assert_string_equal(bt_fmt_bytes(1023, b, sizeof(b)), "1023 B");
	assert_string_equal(bt_fmt_bytes(1024, b, sizeof(b)), "1.0 KiB");
	assert_string_equal(bt_fmt_bytes(260676403, b, sizeof(b)), "248.6 MiB");
	assert_string_equal(bt_fmt_bytes(3435973837LL, b, sizeof(b)), "3.2 GiB");
	assert_string_equal(bt_fmt_bytes(INT64_MAX, b, sizeof(b)), "8.0 EiB");
	assert_string_equal(bt_fmt_bytes(1024, b, 4), "1.0");
}

static void ages_read_like_a_person_says_them(void **state)
{
	char b[64];
	time_t now = 1800000000;

	(void)state;
	assert_string_equal(bt_fmt_age(now, now, b, sizeof(b)), "just now");
	assert_string_equal(bt_fmt_age(now - 42, now, b, sizeof(b)), "42 s ago");
	assert_string_equal(bt_fmt_age(now - 300, now, b, sizeof(b)), "5 min ago");
	assert_string_equal(bt_fmt_age(now - 3 * 3600 - 5, now, b, sizeof(b)), "3 h ago");
	assert_string_equal(bt_fmt_age(now - 5 * 86400, now, b, sizeof(b)), "5 days ago");
	assert_non_null(strstr(bt_fmt_age(now + 60, now, b, sizeof(b)), "future"));
}

static void local_times_are_dates_not_epoch_numbers(void **state)
{
	char b[64];

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_string_equal(bt_fmt_local(1714557600, b, sizeof(b)), "2024-05-01 10:00:00 UTC");
	assert_string_equal(bt_fmt_local_ns(1714557600, 123456789, b, sizeof(b)),
			    "2024-05-01 10:00:00.123456789 +0000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plural_is_singular_for_one_only),
		cmocka_unit_test(bytes_get_binary_units),
		cmocka_unit_test(ages_read_like_a_person_says_them),
		cmocka_unit_test(local_times_are_dates_not_epoch_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
