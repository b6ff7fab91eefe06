/* SPDX-License-Identifier: BSD-3-Clause */
/* The NEEDS_RESCAN note: a sync removes only the note it saw. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btsoot/rescan_note.h"

static int make_dir(void **state)
{
	char *d = strdup("/tmp/btsoot-note.XXXXXX");

	if (!d || !mkdtemp(d))
		return -1;
	*state = d;
	return 0;
}

static int remove_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	free(*state);
	return system(cmd) == 0 ? 0 : -1;
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static void set_says_whether_it_is_new(void **state)
{
	const char *dir = *state;
	ino_t a = 0;

	assert_int_equal(bt_rescan_note_get(dir, &a), 0);
	assert_int_equal(bt_rescan_note_set(dir, "one"), 1);
	assert_int_equal(bt_rescan_note_get(dir, &a), 1);
	assert_int_equal(bt_rescan_note_set(dir, "two"), 0);
	assert_int_equal(entries(dir), 1); /* no temporary file left */
}

static void a_note_written_since_survives_the_clear(void **state)
{
	const char *dir = *state;
	ino_t seen = 0, now = 0;

	assert_int_equal(bt_rescan_note_set(dir, "before the pass"), 1);
	assert_int_equal(bt_rescan_note_get(dir, &seen), 1);
	/* btsootfs notes again while the pass runs */
	assert_int_equal(bt_rescan_note_set(dir, "during the pass"), 0);
	assert_int_equal(bt_rescan_note_get(dir, &now), 1);
	assert_true(now != seen);
	bt_rescan_note_clear(dir, seen);
	assert_int_equal(bt_rescan_note_get(dir, &now), 1);
	assert_int_equal(entries(dir), 1);
}

static void the_note_seen_is_removed(void **state)
{
	const char *dir = *state;
	ino_t seen = 0;

	assert_int_equal(bt_rescan_note_set(dir, "x"), 1);
	assert_int_equal(bt_rescan_note_get(dir, &seen), 1);
	bt_rescan_note_clear(dir, seen);
	assert_int_equal(bt_rescan_note_get(dir, &seen), 0);
	assert_int_equal(entries(dir), 0);
	bt_rescan_note_clear(dir, seen); /* none: nothing to do */
	assert_int_equal(entries(dir), 0);
}

static void an_unwritable_state_dir_is_an_error(void **state)
{
	(void)state;
	assert_true(bt_rescan_note_set("/nonexistent/btsoot-state", "x") < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(set_says_whether_it_is_new, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(a_note_written_since_survives_the_clear, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(the_note_seen_is_removed, make_dir, remove_dir),
		cmocka_unit_test(an_unwritable_state_dir_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
