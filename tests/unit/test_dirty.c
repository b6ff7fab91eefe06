/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sync/dirty.c: the dirty set of a replay batch. Each test feeds journal
 * rows to bt_dirty_apply and checks where the set says each object's data
 * and metadata must be copied to: the path follows renames of the file and
 * of every directory above it, exchanges swap, a replaced or unlinked name
 * drops out (marked LOST when another hard link keeps changes we can no
 * longer name), and a reused inode number starts over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dirty.h"

static void apply(struct bt_dirty_set *d, int op, uint64_t ino, const char *path,
		  const char *path2, int64_t off, int64_t len, uint32_t mode)
{
	struct bt_op_rec r = { .op = op, .ino = ino, .path = (char *)path,
			       .path2 = (char *)path2, .off = off, .len = len, .mode = mode };

	assert_int_equal(bt_dirty_apply(d, &r), 0);
}

static void write_rows(struct bt_dirty_set *d, uint64_t ino, const char *path, int64_t off,
		       int64_t len)
{
	apply(d, BT_OP_WRITE, ino, path, NULL, off, len, 0);
}

/* The entry of inode ino (there must be exactly one). */
static const struct bt_dirty *of(const struct bt_dirty_set *d, uint64_t ino)
{
	const struct bt_dirty *found = NULL;

	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].ino == ino) {
			assert_null(found);
			found = &d->v[i];
		}
	assert_non_null(found);
	return found;
}

/* The directory entry (ino 0) for path, or NULL. */
static const struct bt_dirty *dir_entry(const struct bt_dirty_set *d, const char *path)
{
	for (size_t i = 0; i < d->n; i++)
		if (!d->v[i].ino && d->v[i].path && !strcmp(d->v[i].path, path))
			return &d->v[i];
	return NULL;
}

static void rename_of_the_file_moves_its_dirty_path(void **state)
{
	struct bt_dirty_set d;

	(void)state;
	bt_dirty_init(&d);
	write_rows(&d, 5, "a", 0, 10);
	apply(&d, BT_OP_RENAME, 0, "a", "b", 0, 0, 0);
	assert_string_equal(of(&d, 5)->path, "b");
	assert_int_equal(of(&d, 5)->ext.n, 1);
	assert_int_equal(of(&d, 5)->ext.v[0].off, 0);
	assert_int_equal(of(&d, 5)->ext.v[0].end, 10);
	apply(&d, BT_OP_RENAME, 0, "b", "c/d", 0, 0, 0);
	assert_string_equal(of(&d, 5)->path, "c/d");
	bt_dirty_free(&d);
}

static void rename_of_a_directory_above_moves_the_path_but_not_a_prefix_sibling(void **state)
{
	struct bt_dirty_set d;

	(void)state;
	bt_dirty_init(&d);
	write_rows(&d, 1, "d/e/f", 0, 1);
	write_rows(&d, 2, "dd/f", 0, 1);
	apply(&d, BT_OP_META, 3, "d", NULL, 0, 0, 0); /* the directory itself */
	apply(&d, BT_OP_RENAME, 0, "d", "x/y", 0, 0, 0);
	assert_string_equal(of(&d, 1)->path, "x/y/e/f");
	assert_string_equal(of(&d, 2)->path, "dd/f");
	assert_string_equal(of(&d, 3)->path, "x/y");
	apply(&d, BT_OP_RENAME, 0, "x", "z", 0, 0, 0);
	assert_string_equal(of(&d, 1)->path, "z/y/e/f");
	bt_dirty_free(&d);
}

static void exchange_swaps_files_and_the_trees_below_directories(void **state)
{
	struct bt_dirty_set d;

	(void)state;
	bt_dirty_init(&d);
	write_rows(&d, 1, "a", 0, 1);
	write_rows(&d, 2, "b", 0, 1);
	write_rows(&d, 3, "x/f", 0, 1);
	write_rows(&d, 4, "y/g/h", 0, 1);
	apply(&d, BT_OP_RENAME, 0, "a", "b", 0, RENAME_EXCHANGE, 0);
	assert_string_equal(of(&d, 1)->path, "b");
	assert_string_equal(of(&d, 2)->path, "a");
	apply(&d, BT_OP_RENAME, 0, "x", "y", 0, RENAME_EXCHANGE, 0);
	assert_string_equal(of(&d, 3)->path, "y/f");
	assert_string_equal(of(&d, 4)->path, "x/g/h");
	assert_int_equal(of(&d, 3)->flags & BT_DIRTY_LOST, 0);
	bt_dirty_free(&d);
}

static void rename_over_a_name_drops_the_replaced_file(void **state)
{
	struct bt_dirty_set d;

	(void)state;
	bt_dirty_init(&d);
	write_rows(&d, 1, "a", 0, 1);
	write_rows(&d, 2, "b", 0, 1);
	apply(&d, BT_OP_RENAME, 0, "a", "b", 0, 0, 0); /* b had no other name */
	assert_string_equal(of(&d, 1)->path, "b");
	assert_null(of(&d, 2)->path);
	assert_int_equal(of(&d, 2)->flags & BT_DIRTY_LOST, 0);
	bt_dirty_free(&d);
}

static void rename_over_a_hard_linked_file_marks_its_changes_lost(void **state)
{
	struct bt_dirty_set d;

	(void)state;
	bt_dirty_init(&d);
	write_rows(&d, 1, "a", 0, 1);
	write_rows(&d, 2, "b", 0, 1);
	/* mode: names the replaced target keeps elsewhere */
	apply(&d, BT_OP_RENAME, 0, "a", "b", 0, 0, 1);
	assert_null(of(&d, 2)->path);
	assert_true(of(&d, 2)->flags & BT_DIRTY_LOST);
	/* btsootfs then names a surviving name: the changes are found again. */
	apply(&d, BT_OP_META, 2, "other-name", NULL, 0, 0, 0);
	assert_string_equal(of(&d, 2)->path, "other-name");
	assert_int_equal(of(&d, 2)->flags & BT_DIRTY_LOST, 0);
	assert_int_equal(of(&d, 2)->ext.n, 1);
	bt_dirty_free(&d);
}

static void unlink_of_one_hard_link_keeps_the_changes_as_lost_until_named(void **state)
{
	struct bt_dirty_set d;

	(void)state;
	bt_dirty_init(&d);
	write_rows(&d, 7, "a", 0, 100);
	apply(&d, BT_OP_LINK, 7, "a", "b", 0, 0, 0);
	assert_string_equal(of(&d, 7)->path, "a");
	apply(&d, BT_OP_UNLINK, 7, "a", NULL, 0, 1, 0); /* len: 1 other name */
	assert_null(of(&d, 7)->path);
	assert_true(of(&d, 7)->flags & BT_DIRTY_LOST);
	assert_int_equal(of(&d, 7)->ext.n, 1);
	write_rows(&d, 7, "b", 100, 1); /* a later row names it */
	assert_string_equal(of(&d, 7)->path, "b");
	assert_int_equal(of(&d, 7)->flags & BT_DIRTY_LOST, 0);
	assert_int_equal(of(&d, 7)->ext.v[0].end, 101);
	bt_dirty_free(&d);
}

static void unlink_of_the_last_name_forgets_the_data(void **state)
{
	struct bt_dirty_set d;

	(void)state;
	bt_dirty_init(&d);
	write_rows(&d, 7, "a", 0, 100);
	apply(&d, BT_OP_UNLINK, 7, "a", NULL, 0, 0, 0);
	assert_null(of(&d, 7)->path);
	assert_int_equal(of(&d, 7)->flags & BT_DIRTY_LOST, 0);
	assert_int_equal(of(&d, 7)->ext.n, 0);
	bt_dirty_free(&d);
}

static void rmdir_forgets_everything_below_it_and_nothing_beside_it(void **state)
{
	struct bt_dirty_set d;

	(void)state;
	bt_dirty_init(&d);
	write_rows(&d, 1, "d/sub/f", 0, 1);
	write_rows(&d, 2, "d2/f", 0, 1);
	apply(&d, BT_OP_RMDIR, 0, "d", NULL, 0, 0, 0);
	assert_null(of(&d, 1)->path);
	assert_string_equal(of(&d, 2)->path, "d2/f");
	bt_dirty_free(&d);
}

static void reused_inode_number_starts_over_at_create(void **state)
{
	struct bt_dirty_set d;
	const struct bt_dirty *e;

	(void)state;
	bt_dirty_init(&d);
	write_rows(&d, 9, "old", 10, 5);
	apply(&d, BT_OP_UNLINK, 9, "old", NULL, 0, 0, 0);
	apply(&d, BT_OP_CREATE, 9, "new", NULL, 0, 0, 0);
	e = of(&d, 9);
	assert_string_equal(e->path, "new");
	assert_int_equal(e->flags, BT_DIRTY_NEW | BT_DIRTY_META | BT_DIRTY_XATTR);
	assert_int_equal(e->ext.n, 1);
	assert_int_equal(e->ext.v[0].off, 0);
	assert_int_equal(e->ext.v[0].end, BT_EXTENT_EOF);
	bt_dirty_free(&d);
}

static void writes_coalesce_and_truncate_reaches_end_of_file(void **state)
{
	struct bt_dirty_set d;

	(void)state;
	bt_dirty_init(&d);
	write_rows(&d, 3, "f", 0, 10);
	write_rows(&d, 3, "f", 10, 10);
	write_rows(&d, 3, "f", 100, 1);
	assert_int_equal(of(&d, 3)->ext.n, 2);
	assert_int_equal(of(&d, 3)->ext.v[0].end, 20);
	assert_true(of(&d, 3)->flags & BT_DIRTY_META); /* mtime changed too */
	apply(&d, BT_OP_TRUNCATE, 3, "f", NULL, 5, 0, 0);
	assert_int_equal(of(&d, 3)->ext.n, 1);
	assert_int_equal(of(&d, 3)->ext.v[0].off, 0);
	assert_int_equal(of(&d, 3)->ext.v[0].end, BT_EXTENT_EOF);
	/* A write whose end would overflow is clamped to end of file. */
	write_rows(&d, 4, "g", INT64_MAX - 5, 100);
	assert_int_equal(of(&d, 4)->ext.v[0].end, BT_EXTENT_EOF);
	bt_dirty_free(&d);
}

static void meta_and_xattr_rows_set_their_flags_without_data(void **state)
{
	struct bt_dirty_set d;

	(void)state;
	bt_dirty_init(&d);
	apply(&d, BT_OP_META, 1, "m", NULL, 0, 0, 0);
	apply(&d, BT_OP_XATTR, 2, "x", NULL, 0, 0, 0);
	assert_int_equal(of(&d, 1)->flags, BT_DIRTY_META);
	assert_int_equal(of(&d, 2)->flags, BT_DIRTY_META | BT_DIRTY_XATTR);
	assert_int_equal(of(&d, 1)->ext.n, 0);
	bt_dirty_free(&d);
}

static void namespace_changes_mark_the_parent_directories_for_their_times(void **state)
{
	struct bt_dirty_set d;

	(void)state;
	bt_dirty_init(&d);
	apply(&d, BT_OP_CREATE, 1, "top", NULL, 0, 0, 0);
	assert_non_null(dir_entry(&d, ""));
	apply(&d, BT_OP_MKDIR, 2, "p/q", NULL, 0, 0, 0);
	assert_non_null(dir_entry(&d, "p"));
	assert_int_equal(dir_entry(&d, "p")->flags, BT_DIRTY_DIR | BT_DIRTY_META);
	apply(&d, BT_OP_RENAME, 0, "a/x", "b/y", 0, 0, 0);
	assert_non_null(dir_entry(&d, "a"));
	assert_non_null(dir_entry(&d, "b"));
	apply(&d, BT_OP_LINK, 3, "c/f", "e/g", 0, 0, 0);
	assert_non_null(dir_entry(&d, "e"));
	assert_null(dir_entry(&d, "c")); /* the existing name's directory did not change */
	apply(&d, BT_OP_UNLINK, 4, "h/f", NULL, 0, 0, 0);
	assert_non_null(dir_entry(&d, "h"));
	bt_dirty_free(&d);
}

/* Past the first index size (1024 slots): every inode is found again,
 * never entered twice. */
static void many_inodes_are_found_again_after_the_index_grows(void **state)
{
	struct bt_dirty_set d;
	char path[32];
	enum { N = 5000 };

	(void)state;
	bt_dirty_init(&d);
	for (uint64_t i = 1; i <= N; i++) {
		snprintf(path, sizeof(path), "f%llu", (unsigned long long)i);
		write_rows(&d, i * 4096 + 7, path, 0, 1);
	}
	for (uint64_t i = 1; i <= N; i++) {
		snprintf(path, sizeof(path), "g%llu", (unsigned long long)i);
		write_rows(&d, i * 4096 + 7, path, 1, 1);
	}
	assert_int_equal(d.n, N);
	for (uint64_t i = 1; i <= N; i++) {
		const struct bt_dirty *e = of(&d, i * 4096 + 7);

		snprintf(path, sizeof(path), "g%llu", (unsigned long long)i);
		assert_string_equal(e->path, path);
		assert_int_equal(e->ext.n, 1);
		assert_int_equal(e->ext.v[0].end, 2);
	}
	bt_dirty_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rename_of_the_file_moves_its_dirty_path),
		cmocka_unit_test(rename_of_a_directory_above_moves_the_path_but_not_a_prefix_sibling),
		cmocka_unit_test(exchange_swaps_files_and_the_trees_below_directories),
		cmocka_unit_test(rename_over_a_name_drops_the_replaced_file),
		cmocka_unit_test(rename_over_a_hard_linked_file_marks_its_changes_lost),
		cmocka_unit_test(unlink_of_one_hard_link_keeps_the_changes_as_lost_until_named),
		cmocka_unit_test(unlink_of_the_last_name_forgets_the_data),
		cmocka_unit_test(rmdir_forgets_everything_below_it_and_nothing_beside_it),
		cmocka_unit_test(reused_inode_number_starts_over_at_create),
		cmocka_unit_test(writes_coalesce_and_truncate_reaches_end_of_file),
		cmocka_unit_test(meta_and_xattr_rows_set_their_flags_without_data),
		cmocka_unit_test(namespace_changes_mark_the_parent_directories_for_their_times),
		cmocka_unit_test(many_inodes_are_found_again_after_the_index_grows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
