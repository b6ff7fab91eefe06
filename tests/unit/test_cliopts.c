/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "btsoot/cliopts.h"

static const struct option opts[] = {
	{ "force", no_argument, NULL, 'F' },
	{ "config-dir", required_argument, NULL, 'C' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "jobs", required_argument, NULL, 'j' },
	{ 0 }
};

#define ARGV(...) ((char *const[]){ "prog", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "prog", __VA_ARGS__ }) / sizeof(char *)))
#define EXACT(bad, ...) bt_cli_exact(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), "j:qvn", opts, bad)

static void exact_names_pass(void **state)
{
	int bad = -1;

	(void)state;
	assert_int_equal(EXACT(&bad, "--force", "--config-dir", "/x", "--jobs=4", "b"), 0);
	assert_int_equal(EXACT(&bad, "-qv", "--dry-run", "block"), 0);
	assert_int_equal(bad, -1);
}

static void abbreviation_is_refused_with_its_index(void **state)
{
	int bad = -1;

	(void)state;
	assert_int_equal(EXACT(&bad, "-q", "--f", "block"), -EINVAL);
	assert_int_equal(bad, 2);
	assert_int_equal(EXACT(&bad, "--config", "/x", "b"), -EINVAL);
	assert_int_equal(bad, 1);
	assert_int_equal(EXACT(&bad, "--forced"), -EINVAL);
	assert_int_equal(EXACT(&bad, "--jobs4"), -EINVAL);
}

static void option_arguments_are_not_checked_as_options(void **state)
{
	int bad = -1;

	(void)state;
	/* the value of --config-dir and of -j may start with "--" */
	assert_int_equal(EXACT(&bad, "--config-dir", "--odd", "-j", "--x", "b"), 0);
	/* "-j4" carries its value: the next entry is checked again */
	assert_int_equal(EXACT(&bad, "-j4", "--fo"), -EINVAL);
	assert_int_equal(bad, 2);
	/* after "--" nothing is an option */
	assert_int_equal(EXACT(&bad, "--", "--f"), 0);
}

static void plus_stops_at_the_first_operand(void **state)
{
	int bad = -1;

	(void)state;
	assert_int_equal(bt_cli_exact(3, ARGV("--force", "cmd", "--anything"), "+h", opts, &bad),
			 0);
	assert_int_equal(bt_cli_exact(3, ARGV("--forc", "cmd", "--anything"), "+h", opts, &bad),
			 -EINVAL);
}

static void completion_names_the_one_meant(void **state)
{
	(void)state;
	assert_string_equal(bt_cli_completion("--f", opts), "force");
	assert_string_equal(bt_cli_completion("--config=/x", opts), "config-dir");
	assert_null(bt_cli_completion("--x", opts));
	assert_null(bt_cli_completion("--", opts));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exact_names_pass),
		cmocka_unit_test(abbreviation_is_refused_with_its_index),
		cmocka_unit_test(option_arguments_are_not_checked_as_options),
		cmocka_unit_test(plus_stops_at_the_first_operand),
		cmocka_unit_test(completion_names_the_one_meant),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
