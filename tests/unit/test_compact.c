/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "btsoot/compact.h"

#define R(o, p, p2) { .op = BT_OP_##o, .path = (char *)(p), .path2 = (char *)(p2) }

/* Rows that still change something on the remote besides a parent's times. */
static int live(const struct bt_op_rec *v, size_t n)
{
	int k = 0;

	for (size_t i = 0; i < n; i++)
		k += v[i].op != BT_OP_NONE && v[i].op != BT_OP_TOUCH;
	return k;
}

static void temp_file_created_written_deleted_costs_nothing(void **state)
{
	struct bt_op_rec v[] = {
		R(CREATE, "tmp.swp", NULL), R(WRITE, "tmp.swp", NULL),
		R(TRUNCATE, "tmp.swp", NULL), R(META, "tmp.swp", NULL),
		R(UNLINK, "tmp.swp", NULL),
	};

	assert_int_equal(bt_compact(v, 5, -1), 1);
	assert_int_equal(live(v, 5), 0);
	/* the directory holding it was still modified */
	assert_int_equal(v[4].op, BT_OP_TOUCH);
}

static void renamed_temp_file_is_kept(void **state)
{
	struct bt_op_rec v[] = {
		R(CREATE, "a", NULL), R(RENAME, "a", "b"), R(UNLINK, "b", NULL),
	};

	assert_int_equal(bt_compact(v, 3, -1), 0);
	assert_int_equal(live(v, 3), 3);
}

static void editor_save_keeps_the_rename_over(void **state)
{
	/* write temp, rename over the real file: the result must survive */
	struct bt_op_rec v[] = {
		R(CREATE, "doc.tmp", NULL), R(WRITE, "doc.tmp", NULL),
		R(RENAME, "doc.tmp", "doc"),
	};

	assert_int_equal(bt_compact(v, 3, -1), 0);
	assert_int_equal(live(v, 3), 3);
}

static void nested_temp_tree_vanishes(void **state)
{
	struct bt_op_rec v[] = {
		R(MKDIR, "build", NULL), R(MKDIR, "build/o", NULL),
		R(CREATE, "build/o/x.o", NULL), R(WRITE, "build/o/x.o", NULL),
		R(UNLINK, "build/o/x.o", NULL), R(RMDIR, "build/o", NULL),
		R(RMDIR, "build", NULL),
	};

	assert_int_equal(bt_compact(v, 7, -1), 3);
	assert_int_equal(live(v, 7), 0);
	/* only the top-level removal still touches its parent (the root) */
	assert_int_equal(v[4].op, BT_OP_NONE);
	assert_int_equal(v[5].op, BT_OP_NONE);
	assert_int_equal(v[6].op, BT_OP_TOUCH);
}

static void other_paths_are_untouched(void **state)
{
	struct bt_op_rec v[] = {
		R(CREATE, "t", NULL), R(WRITE, "keep", NULL), R(MKDIR, "d", NULL),
		R(UNLINK, "t", NULL), R(UNLINK, "old", NULL),
	};

	assert_int_equal(bt_compact(v, 5, -1), 1);
	assert_int_equal(v[1].op, BT_OP_WRITE);
	assert_int_equal(v[2].op, BT_OP_MKDIR);
	assert_int_equal(v[4].op, BT_OP_UNLINK); /* created before this batch */
	assert_int_equal(v[0].op, BT_OP_NONE);
	assert_int_equal(v[3].op, BT_OP_TOUCH);
}

static void rename_of_a_parent_in_between_blocks_it(void **state)
{
	struct bt_op_rec v[] = {
		R(CREATE, "d/t", NULL), R(RENAME, "d", "e"), R(RENAME, "e", "d"),
		R(UNLINK, "d/t", NULL),
	};

	assert_int_equal(bt_compact(v, 4, -1), 0);
	assert_int_equal(live(v, 4), 4);
}

static void hard_link_to_a_temp_file_blocks_it(void **state)
{
	struct bt_op_rec v[] = {
		R(CREATE, "t", NULL), R(LINK, "t", "keep"), R(UNLINK, "t", NULL),
	};

	assert_int_equal(bt_compact(v, 3, -1), 0);
	assert_int_equal(live(v, 3), 3);
}

static void directory_with_surviving_content_is_kept(void **state)
{
	struct bt_op_rec v[] = {
		R(MKDIR, "d", NULL), R(CREATE, "d/f", NULL), R(RENAME, "d/f", "f"),
		R(RMDIR, "d", NULL),
	};

	assert_int_equal(bt_compact(v, 4, -1), 0);
	assert_int_equal(live(v, 4), 4);
}

static void name_reused_after_delete_drops_only_the_first_life(void **state)
{
	struct bt_op_rec v[] = {
		R(CREATE, "f", NULL), R(UNLINK, "f", NULL), R(CREATE, "f", NULL),
		R(WRITE, "f", NULL),
	};

	assert_int_equal(bt_compact(v, 4, -1), 1);
	assert_int_equal(v[1].op, BT_OP_TOUCH);
	assert_int_equal(v[2].op, BT_OP_CREATE);
	assert_int_equal(v[3].op, BT_OP_WRITE);
}

static void creation_applied_by_a_killed_run_is_kept(void **state)
{
	struct bt_op_rec v[] = {
		R(CREATE, "t", NULL), R(WRITE, "t", NULL), R(UNLINK, "t", NULL),
	};

	v[0].seq = 10, v[1].seq = 11, v[2].seq = 12;
	assert_int_equal(bt_compact(v, 3, 10), 0); /* CREATE already on the remote */
	assert_int_equal(live(v, 3), 3);
	assert_int_equal(bt_compact(v, 3, 9), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(temp_file_created_written_deleted_costs_nothing),
		cmocka_unit_test(renamed_temp_file_is_kept),
		cmocka_unit_test(editor_save_keeps_the_rename_over),
		cmocka_unit_test(nested_temp_tree_vanishes),
		cmocka_unit_test(other_paths_are_untouched),
		cmocka_unit_test(rename_of_a_parent_in_between_blocks_it),
		cmocka_unit_test(hard_link_to_a_temp_file_blocks_it),
		cmocka_unit_test(directory_with_surviving_content_is_kept),
		cmocka_unit_test(name_reused_after_delete_drops_only_the_first_life),
		cmocka_unit_test(creation_applied_by_a_killed_run_is_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
