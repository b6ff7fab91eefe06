/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sync/batch.c: a batch of journal rows held in memory. The rows a
 * bt_journal_read callback sees are valid only during the call, so the batch
 * must own copies of every field and path, keep the rows in order however
 * many there are, and free them all.
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

#include "batch.h"

static void collected_row_is_an_owned_copy_of_every_field(void **state)
{
	struct bt_batch b = { 0 };
	char path[] = "dir/name", path2[] = "dir/other";
	struct bt_op_rec r = { .seq = 17, .op = BT_OP_RENAME, .ino = 99, .path = path,
			       .path2 = path2, .off = -3, .len = 1 << 20, .mode = 0755 };

	(void)state;
	assert_int_equal(bt_batch_collect(&r, &b), 0);
	/* The caller's buffers are reused for the next row. */
	memset(path, 'X', sizeof(path) - 1);
	memset(path2, 'Y', sizeof(path2) - 1);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.v[0].seq, 17);
	assert_int_equal(b.v[0].op, BT_OP_RENAME);
	assert_int_equal(b.v[0].ino, 99);
	assert_int_equal(b.v[0].off, -3);
	assert_int_equal(b.v[0].len, 1 << 20);
	assert_int_equal(b.v[0].mode, 0755);
	assert_string_equal(b.v[0].path, "dir/name");
	assert_string_equal(b.v[0].path2, "dir/other");
	assert_ptr_not_equal(b.v[0].path, path);
	bt_batch_free(&b);
}

static void row_without_second_path_keeps_it_null(void **state)
{
	struct bt_batch b = { 0 };
	struct bt_op_rec r = { .seq = 1, .op = BT_OP_WRITE, .ino = 1, .path = "f" };

	(void)state;
	assert_int_equal(bt_batch_collect(&r, &b), 0);
	assert_null(b.v[0].path2);
	bt_batch_free(&b);
}

static void rows_past_the_first_allocation_stay_in_order(void **state)
{
	struct bt_batch b = { 0 };
	char path[32];
	enum { N = 5000 }; /* the first allocation holds 1024 */

	(void)state;
	for (int i = 0; i < N; i++) {
		struct bt_op_rec r = { .seq = i + 1, .op = BT_OP_CREATE, .ino = (uint64_t)i,
				       .path = path };

		snprintf(path, sizeof(path), "f%d", i);
		assert_int_equal(bt_batch_collect(&r, &b), 0);
	}
	assert_int_equal(b.n, N);
	assert_true(b.cap >= N);
	for (int i = 0; i < N; i++) {
		snprintf(path, sizeof(path), "f%d", i);
		assert_int_equal(b.v[i].seq, i + 1);
		assert_string_equal(b.v[i].path, path);
	}
	bt_batch_free(&b);
}

static void freed_batch_is_empty_and_can_be_reused(void **state)
{
	struct bt_batch b = { 0 };
	struct bt_op_rec r = { .seq = 1, .op = BT_OP_MKDIR, .ino = 2, .path = "d" };

	(void)state;
	assert_int_equal(bt_batch_collect(&r, &b), 0);
	bt_batch_free(&b);
	assert_null(b.v);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.cap, 0);
	bt_batch_free(&b); /* twice is harmless */
	assert_int_equal(bt_batch_collect(&r, &b), 0);
	assert_int_equal(b.n, 1);
	bt_batch_free(&b);
}

/* What it is for: the callback of bt_journal_read, whose strings die with
 * the call. */
static void collects_a_journal_read_in_seq_order(void **state)
{
	char dir[] = "/tmp/btsoot-batch-XXXXXX", path[64], cmd[96];
	struct bt_journal *j;
	struct bt_batch b = { 0 };
	int64_t max = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/journal.db", dir);
	assert_int_equal(bt_journal_open(path, BT_J_CREATE, &j), 0);
	assert_int_equal(bt_jw_start(j, 20), 0);
	for (int i = 0; i < 50; i++) {
		char name[16];
		struct bt_op_rec r = { .op = BT_OP_WRITE, .ino = 7, .path = name, .off = i,
				       .len = 1 };

		snprintf(name, sizeof(name), "w%02d", i);
		assert_true(bt_jw_append(j, &r) > 0);
	}
	assert_int_equal(bt_jw_flush(j), 0);
	assert_int_equal(bt_journal_max_seq(j, &max), 0);
	assert_int_equal(bt_journal_read(j, 0, max, 0, bt_batch_collect, &b), 0);
	assert_int_equal(b.n, 50);
	for (size_t i = 0; i < b.n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "w%02zu", i);
		assert_string_equal(b.v[i].path, name);
		assert_int_equal(b.v[i].off, (int64_t)i);
		assert_true(i == 0 || b.v[i].seq > b.v[i - 1].seq);
	}
	bt_batch_free(&b);
	bt_journal_close(j);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(collected_row_is_an_owned_copy_of_every_field),
		cmocka_unit_test(row_without_second_path_keeps_it_null),
		cmocka_unit_test(rows_past_the_first_allocation_stay_in_order),
		cmocka_unit_test(freed_batch_is_empty_and_can_be_reused),
		cmocka_unit_test(collects_a_journal_read_in_seq_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
