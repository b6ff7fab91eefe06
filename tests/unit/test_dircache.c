/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sync/dircache.c: the replay's metadata phase opens each directory once
 * for the names sorted into it. Proves that names of one directory share
 * one descriptor, that a name elsewhere opens its own directory (never the
 * cached one), that a symlink on the way is refused as bt_open_parent
 * refuses it and leaves nothing cached, and that invalid names are refused
 * before any lookup.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dircache.h"

struct fixture {
	char root[64];
	int rootfd;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char p[128];

	strcpy(f->root, "/tmp/btsoot-dircache-XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	snprintf(p, sizeof(p), "%s/a", f->root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/a/b", f->root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/ab", f->root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/link", f->root);
	if (symlink("a", p) < 0)
		return -1;
	f->rootfd = open(f->root, O_PATH | O_DIRECTORY);
	*state = f;
	return f->rootfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[96];

	close(f->rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* The inode of the directory fd, to tell directories apart (a closed
 * descriptor's number is reused). */
static ino_t ino_of(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return st.st_ino;
}

static ino_t ino_at(struct fixture *f, const char *rel)
{
	struct stat st;

	assert_int_equal(fstatat(f->rootfd, *rel ? rel : ".", &st, 0), 0);
	return st.st_ino;
}

static void names_of_one_directory_share_its_descriptor(void **state)
{
	struct fixture *f = *state;
	struct bt_dircache dc;
	const char *leaf;
	int fd1, fd2;

	bt_dircache_init(&dc, f->rootfd);
	fd1 = bt_dircache_parent(&dc, "a/b/x", &leaf);
	assert_true(fd1 >= 0);
	assert_string_equal(leaf, "x");
	assert_int_equal(ino_of(fd1), ino_at(f, "a/b"));
	fd2 = bt_dircache_parent(&dc, "a/b/y", &leaf);
	assert_int_equal(fd2, fd1);
	assert_string_equal(leaf, "y");
	bt_dircache_free(&dc);
}

static void a_name_elsewhere_opens_its_own_directory(void **state)
{
	struct fixture *f = *state;
	struct bt_dircache dc;
	const char *leaf;
	int fd;

	bt_dircache_init(&dc, f->rootfd);
	assert_true(bt_dircache_parent(&dc, "a/x", &leaf) >= 0);
	/* "ab/x" starts with the cached "a" but lives in another directory. */
	fd = bt_dircache_parent(&dc, "ab/x", &leaf);
	assert_true(fd >= 0);
	assert_int_equal(ino_of(fd), ino_at(f, "ab"));
	fd = bt_dircache_parent(&dc, "a/b/x", &leaf);
	assert_int_equal(ino_of(fd), ino_at(f, "a/b"));
	fd = bt_dircache_parent(&dc, "top", &leaf);
	assert_int_equal(ino_of(fd), ino_at(f, ""));
	assert_string_equal(leaf, "top");
	fd = bt_dircache_parent(&dc, "a/b", &leaf);
	assert_int_equal(ino_of(fd), ino_at(f, "a"));
	assert_string_equal(leaf, "b");
	bt_dircache_free(&dc);
}

static bool is_refusal(int rc)
{
	return rc == -ENOTDIR || rc == -ELOOP;
}

static void symlinks_and_invalid_names_are_refused(void **state)
{
	struct fixture *f = *state;
	struct bt_dircache dc;
	const char *leaf;

	bt_dircache_init(&dc, f->rootfd);
	assert_true(bt_dircache_parent(&dc, "a/x", &leaf) >= 0);
	/* The symlink as the last directory (ENOTDIR: opened O_NOFOLLOW) or
	 * on the way (ELOOP), never followed. */
	assert_true(is_refusal(bt_dircache_parent(&dc, "link/x", &leaf)));
	assert_int_equal(dc.fd, -1); /* nothing stale left behind */
	assert_true(is_refusal(bt_dircache_parent(&dc, "link/b/x", &leaf)));
	assert_int_equal(bt_dircache_parent(&dc, "", &leaf), -EINVAL);
	assert_int_equal(bt_dircache_parent(&dc, "a/../x", &leaf), -EINVAL);
	assert_int_equal(bt_dircache_parent(&dc, "/etc/passwd", &leaf), -EINVAL);
	assert_int_equal(bt_dircache_parent(&dc, "missing/x", &leaf), -ENOENT);
	bt_dircache_free(&dc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(names_of_one_directory_share_its_descriptor,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_name_elsewhere_opens_its_own_directory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(symlinks_and_invalid_names_are_refused, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
