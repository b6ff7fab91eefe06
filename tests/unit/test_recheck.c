/* SPDX-License-Identifier: BSD-3-Clause */
/* The recheck set: the journal table (checksummed entries) and the
 * in-memory questions the replay asks of it (sync/recheck.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btsoot/journal.h"
#include "recheck.h"

static void add_all(struct bt_recheck_set *s, const char *const *names, unsigned flags)
{
	for (; *names; names++)
		assert_int_equal(bt_recheck_set_add(s, *names, flags), 0);
}

static void deep_entry_covers_everything_below_it(void **state)
{
	struct bt_recheck_set s = { 0 };

	add_all(&s, (const char *[]){ "a/b", NULL }, BT_RECHECK_DEEP);
	assert_true(bt_recheck_covers(&s, "a/b"));
	assert_true(bt_recheck_covers(&s, "a/b/c"));
	assert_true(bt_recheck_covers(&s, "a/b/c/d"));
	assert_false(bt_recheck_covers(&s, "a"));
	assert_false(bt_recheck_covers(&s, "a/bc"));
	assert_false(bt_recheck_covers(&s, "a/b-c/d"));
	bt_recheck_set_free(&s);
}

static void shallow_entry_covers_only_its_direct_entries(void **state)
{
	struct bt_recheck_set s = { 0 };

	add_all(&s, (const char *[]){ "d", "", NULL }, 0);
	assert_true(bt_recheck_covers(&s, "d"));
	assert_true(bt_recheck_covers(&s, "d/x"));
	assert_false(bt_recheck_covers(&s, "d/x/y"));
	assert_true(bt_recheck_covers(&s, "top")); /* a direct entry of "" */
	assert_false(bt_recheck_covers(&s, "other/x"));
	bt_recheck_set_free(&s);
}

static void below_finds_entries_under_a_directory(void **state)
{
	struct bt_recheck_set s = { 0 };

	add_all(&s, (const char *[]){ "photos/2019/x.jpg", NULL }, BT_RECHECK_DEEP);
	assert_true(bt_recheck_below(&s, "photos"));
	assert_true(bt_recheck_below(&s, "photos/2019"));
	assert_true(bt_recheck_below(&s, ""));
	assert_false(bt_recheck_below(&s, "photos/2019/x.jpg"));
	assert_false(bt_recheck_below(&s, "photo"));
	assert_false(bt_recheck_below(&s, "photos/2019/x"));
	bt_recheck_set_free(&s);
}

static void root_entry_alone_has_nothing_below(void **state)
{
	struct bt_recheck_set s = { 0 };

	add_all(&s, (const char *[]){ "", NULL }, BT_RECHECK_DEEP);
	assert_false(bt_recheck_below(&s, ""));
	assert_true(bt_recheck_covers(&s, "any/thing"));
	bt_recheck_set_free(&s);
}

static void names_follow_a_rename_of_a_directory_above(void **state)
{
	struct bt_recheck_set s = { 0 };
	size_t moved = 0;

	add_all(&s, (const char *[]){ "photos/2019/x.jpg", "photos/a", "photosx/b", NULL },
		BT_RECHECK_DEEP);
	assert_int_equal(bt_recheck_set_rename(&s, "photos", "pics", &moved), 0);
	assert_int_equal(moved, 2);
	assert_true(bt_recheck_covers(&s, "pics/2019/x.jpg"));
	assert_true(bt_recheck_covers(&s, "pics/a"));
	assert_false(bt_recheck_covers(&s, "photos/a"));
	assert_true(bt_recheck_covers(&s, "photosx/b"));
	bt_recheck_set_free(&s);
}

static void duplicate_names_merge_their_flags(void **state)
{
	struct bt_recheck_set s = { 0 };

	add_all(&s, (const char *[]){ "f", NULL }, BT_RECHECK_DEEP);
	add_all(&s, (const char *[]){ "f", NULL }, BT_RECHECK_CONTENT);
	assert_int_equal(bt_recheck_flags(&s, "f"), BT_RECHECK_DEEP | BT_RECHECK_CONTENT);
	assert_int_equal(s.n, 1);
	assert_int_equal(bt_recheck_flags(&s, "g"), 0);
	bt_recheck_set_free(&s);
}

static char path[64];

static struct bt_journal *fresh_journal(void)
{
	struct bt_journal *j;

	snprintf(path, sizeof(path), "/tmp/test_recheck.%d.db", getpid());
	unlink(path);
	assert_int_equal(bt_journal_open(path, BT_J_CREATE, &j), 0);
	return j;
}

static void drop_journal(struct bt_journal *j)
{
	char p[80];

	bt_journal_close(j);
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static void journal_keeps_entries_with_merged_flags(void **state)
{
	struct bt_journal *j = fresh_journal();
	struct bt_recheck_set s = { 0 };

	assert_int_equal(bt_recheck_add(j, "a\nb", BT_RECHECK_DEEP), 0);
	assert_int_equal(bt_recheck_add(j, "a\nb", BT_RECHECK_CONTENT), 0);
	assert_int_equal(bt_recheck_add(j, "", 0), 0);
	assert_int_equal(bt_recheck_set_load(&s, j), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(bt_recheck_flags(&s, "a\nb"), BT_RECHECK_DEEP | BT_RECHECK_CONTENT);
	assert_int_equal(bt_recheck_remove(j, "a\nb"), 0);
	assert_int_equal(bt_recheck_set_load(&s, j), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(bt_recheck_clear(j), 0);
	assert_int_equal(bt_recheck_set_load(&s, j), 0);
	assert_int_equal(s.n, 0);
	bt_recheck_set_free(&s);
	drop_journal(j);
}

static void garbled_entry_reads_as_corrupt(void **state)
{
	struct bt_journal *j = fresh_journal();
	struct bt_recheck_set s = { 0 };

	assert_int_equal(bt_recheck_add(j, "photos", BT_RECHECK_DEEP), 0);
	assert_int_equal(bt_journal_exec_for_tests(j, "UPDATE recheck SET path = X'70686f746f73"
						      "31'"), 0);
	assert_int_equal(bt_recheck_set_load(&s, j), -EUCLEAN);
	assert_int_equal(bt_journal_exec_for_tests(j, "UPDATE recheck SET path = 'photos',"
						      " flags = 2"), 0);
	assert_int_equal(bt_recheck_set_load(&s, j), -EUCLEAN);
	bt_recheck_set_free(&s);
	drop_journal(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deep_entry_covers_everything_below_it),
		cmocka_unit_test(shallow_entry_covers_only_its_direct_entries),
		cmocka_unit_test(below_finds_entries_under_a_directory),
		cmocka_unit_test(root_entry_alone_has_nothing_below),
		cmocka_unit_test(names_follow_a_rename_of_a_directory_above),
		cmocka_unit_test(duplicate_names_merge_their_flags),
		cmocka_unit_test(journal_keeps_entries_with_merged_flags),
		cmocka_unit_test(garbled_entry_reads_as_corrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
