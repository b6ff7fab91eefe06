/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sync/plan.c: what a replay of journal rows (after, upto] would do, counted
 * before it does any of it (the --dry-run report and the mass-deletion
 * check). Rows go through a real journal file; the plan reads them back in
 * batches and compacts them like the replay, so an object born and dead in
 * the range deletes nothing the remote holds, and only the removal of an
 * object older than the range counts as a deletion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan.h"

struct fixture {
	char dir[64];
	struct bt_journal *j;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[96];

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/btsoot-plan-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(path, sizeof(path), "%s/journal.db", f->dir);
	if (bt_journal_open(path, BT_J_CREATE, &f->j) < 0 || bt_jw_start(f->j, 20) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[96];

	bt_journal_close(f->j);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static int64_t row(struct fixture *f, int op, uint64_t ino, const char *path,
		   const char *path2, int64_t off, int64_t len)
{
	struct bt_op_rec r = { .op = op, .ino = ino, .path = (char *)path,
			       .path2 = (char *)path2, .off = off, .len = len };
	int64_t seq = bt_jw_append(f->j, &r);

	assert_true(seq > 0);
	return seq;
}

/* Builds the plan of every row committed so far. */
static void plan_all(struct fixture *f, struct bt_plan *p, bt_plan_each each, void *arg)
{
	int64_t max = 0;

	assert_int_equal(bt_jw_flush(f->j), 0);
	assert_int_equal(bt_journal_max_seq(f->j, &max), 0);
	assert_int_equal(bt_plan_build(f->j, 0, max, p, each, arg), 0);
}

/* What the callback saw: removals, and whether each removes an existing object. */
struct seen {
	int rows, removals, removes_existing;
};

static void count_each(void *arg, const struct bt_op_rec *r, bool removes_existing)
{
	struct seen *s = arg;

	s->rows++;
	if (r->op == BT_OP_UNLINK || r->op == BT_OP_RMDIR) {
		s->removals++;
		s->removes_existing += removes_existing;
	}
}

static void counts_creations_links_renames_data_and_metadata(void **state)
{
	struct fixture *f = *state;
	struct bt_plan p;
	struct seen s = { 0 };

	row(f, BT_OP_MKDIR, 1, "d", NULL, 0, 0);
	row(f, BT_OP_CREATE, 2, "d/f", NULL, 0, 0);
	row(f, BT_OP_SYMLINK, 3, "s", "d/f", 0, 0);
	row(f, BT_OP_MKNOD, 4, "n", NULL, 0, 0);
	row(f, BT_OP_LINK, 2, "d/f", "d/g", 0, 0);
	row(f, BT_OP_RENAME, 0, "d/g", "h", 0, 0);
	row(f, BT_OP_WRITE, 2, "d/f", NULL, 0, 100);
	row(f, BT_OP_TRUNCATE, 2, "d/f", NULL, 50, 0);
	row(f, BT_OP_META, 2, "d/f", NULL, 0, 0);
	row(f, BT_OP_XATTR, 2, "d/f", NULL, 0, 0);
	plan_all(f, &p, count_each, &s);
	assert_int_equal(p.rows, 10);
	assert_int_equal(p.created, 5); /* mkdir, create, symlink, mknod, link */
	assert_int_equal(p.renamed, 1);
	assert_int_equal(p.data_rows, 2);
	assert_int_equal(p.meta_rows, 2);
	assert_int_equal(p.deleted, 0);
	assert_int_equal(p.died_young, 0);
	assert_int_equal(p.dropped, 0);
	assert_int_equal(s.rows, 10);
}

static void removal_of_an_object_older_than_the_range_counts_as_deleted(void **state)
{
	struct fixture *f = *state;
	struct bt_plan p;
	struct seen s = { 0 };

	row(f, BT_OP_UNLINK, 50, "old-file", NULL, 0, 0);
	row(f, BT_OP_RMDIR, 51, "old-dir", NULL, 0, 0);
	plan_all(f, &p, count_each, &s);
	assert_int_equal(p.deleted, 2);
	assert_int_equal(p.died_young, 0);
	assert_int_equal(s.removals, 2);
	assert_int_equal(s.removes_existing, 2);
}

static void object_born_and_dead_in_the_range_is_compacted_away(void **state)
{
	struct fixture *f = *state;
	struct bt_plan p;
	struct seen s = { 0 };

	row(f, BT_OP_CREATE, 5, "tmp", NULL, 0, 0);
	row(f, BT_OP_WRITE, 5, "tmp", NULL, 0, 4096);
	row(f, BT_OP_UNLINK, 5, "tmp", NULL, 0, 0);
	plan_all(f, &p, count_each, &s);
	assert_int_equal(p.rows, 3);
	assert_int_equal(p.dropped, 1);
	assert_int_equal(p.created, 0);
	assert_int_equal(p.data_rows, 0);
	assert_int_equal(p.deleted, 0);
	assert_int_equal(p.died_young, 0);
	assert_int_equal(s.rows, 0); /* nothing left to apply but the parent's times */
}

static void removal_of_an_object_born_in_the_range_is_died_young_not_deleted(void **state)
{
	struct fixture *f = *state;
	struct bt_plan p;
	struct seen s = { 0 };

	/* The rename keeps compaction from dropping it. */
	row(f, BT_OP_CREATE, 6, "a", NULL, 0, 0);
	row(f, BT_OP_RENAME, 0, "a", "b", 0, 0);
	row(f, BT_OP_UNLINK, 6, "b", NULL, 0, 0);
	plan_all(f, &p, count_each, &s);
	assert_int_equal(p.dropped, 0);
	assert_int_equal(p.created, 1);
	assert_int_equal(p.renamed, 1);
	assert_int_equal(p.died_young, 1);
	assert_int_equal(p.deleted, 0);
	assert_int_equal(s.removals, 1);
	assert_int_equal(s.removes_existing, 0);
}

static void only_rows_after_and_up_to_the_bounds_are_counted(void **state)
{
	struct fixture *f = *state;
	struct bt_plan p;
	int64_t seq[5];

	for (int i = 0; i < 5; i++) {
		char name[8];

		snprintf(name, sizeof(name), "f%d", i);
		seq[i] = row(f, BT_OP_CREATE, 10 + i, name, NULL, 0, 0);
	}
	assert_int_equal(bt_jw_flush(f->j), 0);
	assert_int_equal(bt_plan_build(f->j, seq[0], seq[3], &p, NULL, NULL), 0);
	assert_int_equal(p.rows, 3);
	assert_int_equal(p.created, 3);
	assert_int_equal(bt_plan_build(f->j, seq[4], seq[4], &p, NULL, NULL), 0);
	assert_int_equal(p.rows, 0);
	assert_int_equal(p.created, 0);
}

/* More rows than one read (100,000): an object created in the first batch
 * and removed in the second is still known as born in the range. */
static void removal_in_a_later_read_batch_of_an_object_born_earlier_is_died_young(void **state)
{
	struct fixture *f = *state;
	struct bt_plan p;
	enum { FILLER = 100000 };

	row(f, BT_OP_CREATE, 8, "big", NULL, 0, 0);
	for (int i = 0; i < FILLER; i++)
		row(f, BT_OP_META, 9, "other", NULL, 0, 0);
	row(f, BT_OP_UNLINK, 8, "big", NULL, 0, 0);
	plan_all(f, &p, NULL, NULL);
	assert_int_equal(p.rows, FILLER + 2);
	assert_int_equal(p.created, 1);
	assert_int_equal(p.meta_rows, FILLER);
	assert_int_equal(p.died_young, 1);
	assert_int_equal(p.deleted, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(counts_creations_links_renames_data_and_metadata, setup, teardown),
		cmocka_unit_test_setup_teardown(removal_of_an_object_older_than_the_range_counts_as_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(object_born_and_dead_in_the_range_is_compacted_away, setup, teardown),
		cmocka_unit_test_setup_teardown(removal_of_an_object_born_in_the_range_is_died_young_not_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(only_rows_after_and_up_to_the_bounds_are_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(removal_in_a_later_read_batch_of_an_object_born_earlier_is_died_young, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
