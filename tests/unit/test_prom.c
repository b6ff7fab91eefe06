/* SPDX-License-Identifier: BSD-3-Clause */
/* Prometheus exposition escaping of label values and HELP text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "btsoot/prom.h"

static void label_values_escape_backslash_quote_newline(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(bt_prom_label_value("media", buf, sizeof(buf)), "media");
	assert_string_equal(bt_prom_label_value("a\\b\"c\nd", buf, sizeof(buf)),
			    "a\\\\b\\\"c\\nd");
	/* other bytes, tabs and valid UTF-8 included, are kept */
	assert_string_equal(bt_prom_label_value("t\t\xc3\xa9", buf, sizeof(buf)), "t\t\xc3\xa9");
}

static void help_text_keeps_quotes(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(bt_prom_help_text("say \"x\"\\\n", buf, sizeof(buf)),
			    "say \"x\"\\\\\\n");
}

static void invalid_utf8_becomes_the_replacement_char(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(bt_prom_label_value("a\xff", buf, sizeof(buf)), "a\xef\xbf\xbd");
}

static void truncation_never_splits_an_escape(void **state)
{
	char buf[4];

	(void)state;
	/* "ab" fits, "\\\"" would need 2 more bytes than the 1 left */
	assert_string_equal(bt_prom_label_value("ab\"", buf, sizeof(buf)), "ab");
	assert_string_equal(bt_prom_label_value("x", buf, 1), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(label_values_escape_backslash_quote_newline),
		cmocka_unit_test(help_text_keeps_quotes),
		cmocka_unit_test(invalid_utf8_becomes_the_replacement_char),
		cmocka_unit_test(truncation_never_splits_an_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
