/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The mass-deletion guard (sync/safety.c) and the counts the journal's plan
 * gives it (sync/plan.c): net loss = deleted - created, refused when it is
 * the whole mirror, or above max_delete_percent and above BT_GUARD_FEW.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btsoot/exitcodes.h"
#include "btsoot/journal.h"
#include "plan.h"
#include "safety.h"

static struct bt_ctx ctx(int percent)
{
	struct bt_ctx c = { 0 };

	c.block.max_delete_percent = percent;
	snprintf(c.block.name, sizeof(c.block.name), "t");
	return c;
}

static bool too_big(int percent, int64_t deleted, int64_t created, int64_t mirror)
{
	struct bt_ctx c = ctx(percent);

	return bt_loss_too_big(&c, &(struct bt_loss){ deleted, created, mirror });
}

static void deleting_and_recreating_as_many_loses_nothing(void **state)
{
	(void)state;
	assert_false(too_big(50, 14, 14, 15));
	assert_false(too_big(50, 14, 20, 15));
	assert_true(too_big(50, 14, 0, 15));
}

static void the_limit_is_on_the_net_loss(void **state)
{
	(void)state;
	assert_false(too_big(50, 30, 10, 40)); /* net 20 of 40: exactly half */
	assert_true(too_big(50, 31, 10, 40));  /* net 21 of 40 */
	assert_false(too_big(0, 0, 5, 40));    /* nothing deleted */
	assert_true(too_big(0, 3, 0, 40));     /* 0%: any loss above the floor */
	assert_false(too_big(100, 39, 0, 40)); /* 100%: all but the whole */
}

static void a_loss_of_two_is_never_a_mass_deletion(void **state)
{
	(void)state;
	assert_false(too_big(50, 2, 0, 3)); /* closing a WAL database: -wal, -shm */
	assert_true(too_big(50, 3, 0, 4));
}

static void the_whole_mirror_is_always_refused(void **state)
{
	(void)state;
	assert_true(too_big(100, 1, 0, 1));
	assert_true(too_big(100, 2, 0, 2));
	assert_true(too_big(50, 12, 0, 12)); /* an adopted remote's unrelated files */
	assert_false(too_big(50, 1, 0, 0));  /* no count yet: nothing to compare with */
}

static void a_refusal_says_what_and_exits_8(void **state)
{
	struct bt_ctx c = ctx(50);

	(void)state;
	assert_int_equal(bt_guard_loss(&c, "this sync", &(struct bt_loss){ 10, 2, 12 }),
			 BT_EXIT_SAFETY);
	assert_non_null(strstr(c.err, "would delete 10 and create 2 of about 12"));
	assert_non_null(strstr(c.err, "--force"));
	c.err[0] = '\0';
	assert_int_equal(bt_guard_loss(&c, "this sync", &(struct bt_loss){ 1, 0, 12 }),
			 BT_EXIT_OK);
	assert_string_equal(c.err, "");
}

/* Rows in a real journal, read back by the plan. */
static void append(struct bt_journal *j, int op, uint64_t ino, const char *path)
{
	struct bt_op_rec r = { .op = op, .ino = ino, .path = (char *)path };

	assert_true(bt_jw_append(j, &r) > 0);
}

static void plan_counts_a_recreated_directory_as_no_loss(void **state)
{
	char dir[] = "/tmp/btsoot-safety-XXXXXX", path[64], cmd[96];
	struct bt_journal *j;
	struct bt_plan p;
	int64_t upto = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/journal.db", dir);
	assert_int_equal(bt_journal_open(path, BT_J_CREATE, &j), 0);
	assert_int_equal(bt_jw_start(j, 10), 0);
	/* rm -rf d (d, d/a, d/b were mirrored), then tar x d */
	append(j, BT_OP_UNLINK, 11, "d/a");
	append(j, BT_OP_UNLINK, 12, "d/b");
	append(j, BT_OP_RMDIR, 10, "d");
	append(j, BT_OP_MKDIR, 20, "d");
	append(j, BT_OP_CREATE, 21, "d/a");
	append(j, BT_OP_CREATE, 22, "d/b");
	/* an SQLite -wal born and removed inside the range */
	append(j, BT_OP_CREATE, 30, "db-wal");
	append(j, BT_OP_UNLINK, 30, "db-wal");
	assert_int_equal(bt_jw_stop(j), 0);
	assert_int_equal(bt_journal_max_seq(j, &upto), 0);
	assert_int_equal(bt_plan_build(j, 0, upto, &p, NULL, NULL), 0);
	assert_int_equal(p.deleted, 3);
	assert_int_equal(p.created - p.died_young, 3);
	assert_false(too_big(50, p.deleted, p.created - p.died_young, 4));
	bt_journal_close(j);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deleting_and_recreating_as_many_loses_nothing),
		cmocka_unit_test(the_limit_is_on_the_net_loss),
		cmocka_unit_test(a_loss_of_two_is_never_a_mass_deletion),
		cmocka_unit_test(the_whole_mirror_is_always_refused),
		cmocka_unit_test(a_refusal_says_what_and_exits_8),
		cmocka_unit_test(plan_counts_a_recreated_directory_as_no_loss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
