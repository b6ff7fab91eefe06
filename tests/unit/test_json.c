/* SPDX-License-Identifier: BSD-3-Clause */
/* The JSON writer: exact output, escaping of every kind of byte, misuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btsoot/json.h"

struct out {
	char *text;
	size_t len;
	FILE *f;
	struct bt_json w;
};

static void start(struct out *o)
{
	o->f = open_memstream(&o->text, &o->len);
	assert_non_null(o->f);
	bt_json_init(&o->w, o->f);
}

/* Ends the document; returns bt_json_end's result, the text in o->text. */
static int stop(struct out *o)
{
	int rc = bt_json_end(&o->w);

	fclose(o->f);
	return rc;
}

/* The quoted form of s[0..n) as bt_json_quote writes it. */
static const char *quoted(const char *s, size_t n)
{
	static char buf[256];

	bt_json_quote(s, n, buf, sizeof(buf));
	return buf;
}
#define Q(lit) quoted(lit, sizeof(lit) - 1)

static void nested_document_is_exact(void **state)
{
	struct out o;

	(void)state;
	start(&o);
	bt_json_obj_begin(&o.w);
	bt_json_kstr(&o.w, "name", "media");
	bt_json_ki64(&o.w, "rows", -42);
	bt_json_kbool(&o.w, "mounted", true);
	bt_json_knull(&o.w, "pid");
	bt_json_key(&o.w, "list");
	bt_json_arr_begin(&o.w);
	bt_json_i64(&o.w, INT64_MAX);
	bt_json_str(&o.w, NULL);
	bt_json_obj_begin(&o.w);
	bt_json_obj_end(&o.w);
	bt_json_arr_end(&o.w);
	bt_json_key(&o.w, "empty");
	bt_json_arr_begin(&o.w);
	bt_json_arr_end(&o.w);
	bt_json_obj_end(&o.w);
	assert_int_equal(stop(&o), 0);
	assert_string_equal(o.text, "{\n"
				    "  \"name\": \"media\",\n"
				    "  \"rows\": -42,\n"
				    "  \"mounted\": true,\n"
				    "  \"pid\": null,\n"
				    "  \"list\": [\n"
				    "    9223372036854775807,\n"
				    "    null,\n"
				    "    {}\n"
				    "  ],\n"
				    "  \"empty\": []\n"
				    "}\n");
	free(o.text);
}

static void specials_and_control_chars_are_escaped(void **state)
{
	(void)state;
	assert_string_equal(Q("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
	assert_string_equal(Q("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
	assert_string_equal(Q("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"");
	/* an embedded NUL is a character like any other */
	assert_string_equal(Q("a\0b"), "\"a\\u0000b\"");
	assert_string_equal(Q(""), "\"\"");
}

static void valid_utf8_is_kept_as_is(void **state)
{
	(void)state;
	/* 2, 3 and 4 byte sequences, the edges of each range */
	assert_string_equal(Q("\xc3\xa9t\xc3\xa9"), "\"\xc3\xa9t\xc3\xa9\"");
	assert_string_equal(Q("\xe2\x82\xac \xef\xbf\xbf \xed\x9f\xbf"),
			    "\"\xe2\x82\xac \xef\xbf\xbf \xed\x9f\xbf\"");
	assert_string_equal(Q("\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"),
			    "\"\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"");
	assert_string_equal(Q("\xc2\x80"), "\"\xc2\x80\"");
}

static void invalid_utf8_becomes_replacement_chars(void **state)
{
	(void)state;
	/* a lone continuation byte, a lone lead byte, a truncated sequence */
	assert_string_equal(Q("a\x80z"), "\"a\\ufffdz\"");
	assert_string_equal(Q("\xff\xfe"), "\"\\ufffd\\ufffd\"");
	assert_string_equal(Q("\xe2\x82"), "\"\\ufffd\\ufffd\"");
	/* overlong forms, a UTF-16 surrogate, past U+10FFFF */
	assert_string_equal(Q("\xc0\xaf"), "\"\\ufffd\\ufffd\"");
	assert_string_equal(Q("\xe0\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(Q("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(Q("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(Q("\xf5\x80"), "\"\\ufffd\\ufffd\"");
	/* the byte after a broken sequence starts afresh */
	assert_string_equal(Q("\xc3(\xc3\xa9"), "\"\\ufffd(\xc3\xa9\"");
}

static void quote_truncates_at_a_boundary_and_says_what_it_needs(void **state)
{
	char buf[7];
	size_t need;

	(void)state;
	need = bt_json_quote("ab\n\xc3\xa9", 5, buf, sizeof(buf));
	assert_int_equal(need, strlen("\"ab\\n\xc3\xa9\""));
	/* "\"ab\\n" (5 bytes) fits in 7 with the NUL; the 2-byte character does not */
	assert_string_equal(buf, "\"ab\\n");
	need = bt_json_quote("\x01", 1, buf, 4);
	assert_string_equal(buf, "\"");
	assert_int_equal(need, 8);
}

static void key_and_string_escape_the_same_way(void **state)
{
	struct out o;

	(void)state;
	start(&o);
	bt_json_obj_begin(&o.w);
	bt_json_kstr(&o.w, "k\"\n", "v\xff");
	bt_json_key(&o.w, "n");
	bt_json_strn(&o.w, "x\0y", 3);
	bt_json_obj_end(&o.w);
	assert_int_equal(stop(&o), 0);
	assert_string_equal(o.text, "{\n  \"k\\\"\\n\": \"v\\ufffd\",\n  \"n\": \"x\\u0000y\"\n}\n");
	free(o.text);
}

static void misuse_is_reported_at_the_end(void **state)
{
	struct out o;

	(void)state;
	start(&o); /* a value without its key */
	bt_json_obj_begin(&o.w);
	bt_json_i64(&o.w, 1);
	bt_json_obj_end(&o.w);
	assert_int_equal(stop(&o), -EINVAL);
	free(o.text);

	start(&o); /* a key in an array */
	bt_json_arr_begin(&o.w);
	bt_json_key(&o.w, "k");
	bt_json_arr_end(&o.w);
	assert_int_equal(stop(&o), -EINVAL);
	free(o.text);

	start(&o); /* unbalanced */
	bt_json_obj_begin(&o.w);
	assert_int_equal(stop(&o), -EINVAL);
	free(o.text);

	start(&o); /* the wrong end */
	bt_json_arr_begin(&o.w);
	bt_json_obj_end(&o.w);
	assert_int_equal(stop(&o), -EINVAL);
	free(o.text);

	start(&o); /* a key whose value never came */
	bt_json_obj_begin(&o.w);
	bt_json_key(&o.w, "k");
	bt_json_obj_end(&o.w);
	assert_int_equal(stop(&o), -EINVAL);
	free(o.text);

	start(&o); /* two documents */
	bt_json_i64(&o.w, 1);
	bt_json_i64(&o.w, 2);
	assert_int_equal(stop(&o), -EINVAL);
	free(o.text);

	start(&o); /* nothing at all */
	assert_int_equal(stop(&o), -EINVAL);
	free(o.text);
}

static void nesting_past_the_limit_is_refused(void **state)
{
	struct out o;

	(void)state;
	start(&o);
	for (int i = 0; i <= BT_JSON_DEPTH; i++)
		bt_json_arr_begin(&o.w);
	assert_int_equal(stop(&o), -EINVAL);
	free(o.text);
}

static void write_error_is_reported(void **state)
{
	struct bt_json w;
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	if (!f)
		skip();
	setvbuf(f, NULL, _IONBF, 0);
	bt_json_init(&w, f);
	bt_json_obj_begin(&w);
	bt_json_kstr(&w, "k", "v");
	bt_json_obj_end(&w);
	assert_int_equal(bt_json_end(&w), -EIO);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nested_document_is_exact),
		cmocka_unit_test(specials_and_control_chars_are_escaped),
		cmocka_unit_test(valid_utf8_is_kept_as_is),
		cmocka_unit_test(invalid_utf8_becomes_replacement_chars),
		cmocka_unit_test(quote_truncates_at_a_boundary_and_says_what_it_needs),
		cmocka_unit_test(key_and_string_escape_the_same_way),
		cmocka_unit_test(misuse_is_reported_at_the_end),
		cmocka_unit_test(nesting_past_the_limit_is_refused),
		cmocka_unit_test(write_error_is_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
