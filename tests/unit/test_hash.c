/* SPDX-License-Identifier: BSD-3-Clause */
/* File hashing: streamed chunks must give the digest of the whole content,
 * whatever the size, and a size hint that is stale must not cut it short. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btsoot/hash.h"

static char *pattern(size_t len)
{
	char *p = malloc(len ? len : 1);

	for (size_t i = 0; i < len; i++)
		p[i] = (char)(i * 2654435761u >> 13);
	return p;
}

static int temp_file_with(const char *data, size_t len)
{
	char name[] = "/tmp/btsoot-hash-XXXXXX";
	int fd = mkstemp(name);

	assert_true(fd >= 0);
	unlink(name);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	return fd;
}

/* Sizes around the chunk edges, where a short-read shortcut could stop one
 * read too early or hash a chunk twice. */
static void file_digest_equals_buffer_digest(void **state)
{
	const size_t c = BT_HASH_CHUNK;
	const size_t sizes[] = { 0, 1, c - 1, c, c + 1, 3 * c + 5, 4 * c };
	struct bt_hasher h;

	(void)state;
	assert_int_equal(bt_hasher_init(&h), 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *data = pattern(sizes[i]);
		int fd = temp_file_with(data, sizes[i]);
		struct bt_hash128 want, got, again;

		bt_hash_buf(data, sizes[i], &want);
		assert_int_equal(bt_hasher_fd(&h, fd, (int64_t)sizes[i], &got), (int64_t)sizes[i]);
		assert_true(bt_hash_equal(&want, &got));
		assert_int_equal(bt_hasher_fd(&h, fd, -1, &again), (int64_t)sizes[i]);
		assert_true(bt_hash_equal(&want, &again));
		assert_int_equal(bt_hash_fd(fd, &again), 0);
		assert_true(bt_hash_equal(&want, &again));
		close(fd);
		free(data);
	}
	bt_hasher_free(&h);
}

/* The file grew after its size was taken: everything up to EOF counts. */
static void stale_size_hint_reads_to_eof(void **state)
{
	size_t len = BT_HASH_CHUNK / 2 + 7;
	char *data = pattern(len);
	int fd = temp_file_with(data, len);
	struct bt_hash128 want, got;
	struct bt_hasher h;

	(void)state;
	assert_int_equal(bt_hasher_init(&h), 0);
	bt_hash_buf(data, len, &want);
	assert_int_equal(bt_hasher_fd(&h, fd, 10, &got), (int64_t)len);
	assert_true(bt_hash_equal(&want, &got));
	bt_hasher_free(&h);
	close(fd);
	free(data);
}

/* Different content, different digest: the test above cannot pass by
 * hashing nothing. */
static void different_content_differs(void **state)
{
	struct bt_hash128 a, b;

	(void)state;
	bt_hash_buf("a", 1, &a);
	bt_hash_buf("b", 1, &b);
	assert_false(bt_hash_equal(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(file_digest_equals_buffer_digest),
		cmocka_unit_test(stale_size_hint_reads_to_eof),
		cmocka_unit_test(different_content_differs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
