/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btsoot/pathsafe.h"

struct fixture {
	char base[64];
	char root[96];
	char outside[96];
	int rootfd;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->base, "/tmp/btsoot-pathsafe-XXXXXX");
	if (!mkdtemp(f->base))
		return -1;
	snprintf(f->root, sizeof(f->root), "%s/root", f->base);
	snprintf(f->outside, sizeof(f->outside), "%s/outside", f->base);
	mkdir(f->root, 0700);
	mkdir(f->outside, 0700);
	f->rootfd = open(f->root, O_PATH | O_DIRECTORY);
	*state = f;
	return f->rootfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	close(f->rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->base);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void valid_paths_are_accepted(void **state)
{
	assert_true(bt_path_valid(""));
	assert_true(bt_path_valid("a"));
	assert_true(bt_path_valid("a/b c/d"));
	assert_true(bt_path_valid("new\nline/\xff\xfe"));
	assert_true(bt_path_valid("..a/b..")); /* dots inside names are fine */
	assert_true(bt_path_valid(".hidden"));
}

static void hostile_paths_are_rejected(void **state)
{
	char longname[NAME_MAX + 2];

	assert_false(bt_path_valid(NULL));
	assert_false(bt_path_valid("/etc/passwd"));
	assert_false(bt_path_valid(".."));
	assert_false(bt_path_valid("a/../../etc"));
	assert_false(bt_path_valid("a/./b"));
	assert_false(bt_path_valid("."));
	assert_false(bt_path_valid("a//b"));
	assert_false(bt_path_valid("a/"));
	memset(longname, 'x', NAME_MAX + 1);
	longname[NAME_MAX + 1] = '\0';
	assert_false(bt_path_valid(longname));
	longname[NAME_MAX] = '\0';
	assert_true(bt_path_valid(longname));
}

static void open_beneath_refuses_dotdot_and_absolute(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(bt_open_beneath(f->rootfd, "../outside", O_RDONLY, 0), -EINVAL);
	assert_int_equal(bt_open_beneath(f->rootfd, "/etc/passwd", O_RDONLY, 0), -EINVAL);
}

/* Both read-only openers take regular files only, never block on a fifo
 * and never follow a symlink; the strict one also never opens a fifo. */
static void readers_take_only_regular_files(void **state)
{
	struct fixture *f = *state;
	char p[160];
	struct stat st;
	int fd, fds[2];

	snprintf(p, sizeof(p), "%s/file", f->root);
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	snprintf(p, sizeof(p), "%s/fifo", f->root);
	assert_int_equal(mkfifo(p, 0600), 0);
	snprintf(p, sizeof(p), "%s/link", f->root);
	assert_int_equal(symlink("file", p), 0);

	fds[0] = bt_open_file_beneath_stat(f->rootfd, "file", &st);
	fds[1] = bt_open_file_beneath_fast(f->rootfd, "file", &st);
	for (int i = 0; i < 2; i++) {
		assert_true(fds[i] >= 0);
		assert_int_equal(st.st_size, 3);
		close(fds[i]);
	}
	/* A fifo without a writer: an open that could block would hang here. */
	assert_int_equal(bt_open_file_beneath_stat(f->rootfd, "fifo", &st), -ENOENT);
	assert_int_equal(bt_open_file_beneath_fast(f->rootfd, "fifo", &st), -ENOENT);
	assert_true(bt_open_file_beneath_stat(f->rootfd, "link", &st) < 0);
	assert_int_equal(bt_open_file_beneath_fast(f->rootfd, "link", &st), -ELOOP);
	assert_true(bt_open_file_beneath_fast(f->rootfd, "../root/file", &st) < 0);
	assert_int_equal(bt_open_file_beneath_fast(f->rootfd, "missing", &st), -ENOENT);
}

static void planted_symlink_is_never_followed(void **state)
{
	struct fixture *f = *state;
	char link[160];
	int fd;

	/* root/evil -> ../outside; root/evilfile -> /etc/hostname */
	snprintf(link, sizeof(link), "%s/evil", f->root);
	assert_int_equal(symlink(f->outside, link), 0);
	snprintf(link, sizeof(link), "%s/evilfile", f->root);
	assert_int_equal(symlink("/etc/hostname", link), 0);

	fd = bt_open_beneath(f->rootfd, "evil/x", O_WRONLY | O_CREAT, 0600);
	assert_true(fd < 0);
	fd = bt_open_beneath(f->rootfd, "evilfile", O_RDONLY, 0);
	assert_int_equal(fd, -ELOOP);
	fd = bt_open_beneath(f->rootfd, "evilfile", O_WRONLY | O_TRUNC, 0);
	assert_int_equal(fd, -ELOOP);
	/* O_PATH gets the link itself, which is how callers lstat it. */
	fd = bt_open_beneath(f->rootfd, "evilfile", O_PATH, 0);
	assert_true(fd >= 0);
	close(fd);
	{
		const char *leaf;
		int pfd = bt_open_parent(f->rootfd, "evil/x", &leaf);

		assert_true(pfd < 0);
	}
	/* Nothing was created outside. */
	snprintf(link, sizeof(link), "%s/x", f->outside);
	assert_int_equal(access(link, F_OK), -1);
}

static void open_parent_gives_leaf(void **state)
{
	struct fixture *f = *state;
	const char *leaf;
	char dir[160];
	int fd;

	snprintf(dir, sizeof(dir), "%s/a", f->root);
	mkdir(dir, 0700);
	fd = bt_open_parent(f->rootfd, "a/file", &leaf);
	assert_true(fd >= 0);
	assert_string_equal(leaf, "file");
	close(fd);
	fd = bt_open_parent(f->rootfd, "top", &leaf);
	assert_true(fd >= 0);
	assert_string_equal(leaf, "top");
	close(fd);
	assert_int_equal(bt_open_parent(f->rootfd, "", &leaf), -EINVAL);
}

static void paths_longer_than_path_max_work(void **state)
{
	struct fixture *f = *state;
	char *rel = malloc(PATH_MAX * 2 + 300);
	size_t len = 0;
	int dfd = dup(f->rootfd), fd;

	/* Build a 40-deep chain of 200-byte names: ~8 KiB, twice PATH_MAX. */
	for (int i = 0; i < 40; i++) {
		char name[201];
		int next;

		memset(name, 'a' + i % 26, 200);
		name[200] = '\0';
		assert_int_equal(mkdirat(dfd, name, 0700), 0);
		next = openat(dfd, name, O_PATH | O_DIRECTORY);
		close(dfd);
		dfd = next;
		if (len)
			rel[len++] = '/';
		memcpy(rel + len, name, 200);
		len += 200;
	}
	close(dfd);
	memcpy(rel + len, "/leaf", 6);
	assert_true(strlen(rel) > PATH_MAX);
	fd = bt_open_beneath(f->rootfd, rel, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	fd = bt_open_beneath(f->rootfd, rel, O_RDONLY, 0);
	assert_true(fd >= 0);
	close(fd);
	free(rel);
}

static void join_dirname_depth(void **state)
{
	char *s;

	s = bt_path_join("", "a");
	assert_string_equal(s, "a");
	free(s);
	s = bt_path_join("a/b", "c");
	assert_string_equal(s, "a/b/c");
	free(s);
	s = bt_path_dirname("a/b/c");
	assert_string_equal(s, "a/b");
	free(s);
	s = bt_path_dirname("c");
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(bt_path_depth(""), 0);
	assert_int_equal(bt_path_depth("a"), 1);
	assert_int_equal(bt_path_depth("a/b/c"), 3);
}

static void rename_rewrites_only_the_moved_subtree(void **state)
{
	bool moved;
	char *s;

	s = bt_path_rename("a/b/c", "a/b", "x", &moved);
	assert_true(moved);
	assert_string_equal(s, "x/c");
	free(s);
	s = bt_path_rename("a/b", "a/b", "z/y", &moved);
	assert_true(moved);
	assert_string_equal(s, "z/y");
	free(s);
	/* "a/bc" is not under "a/b" */
	assert_null(bt_path_rename("a/bc", "a/b", "x", &moved));
	assert_false(moved);
	assert_true(bt_path_is_under("a/b/c", "a/b"));
	assert_false(bt_path_is_under("a/bc", "a/b"));
	assert_true(bt_path_is_under("anything", ""));
}

static void printable_escapes_control_and_invalid_bytes(void **state)
{
	char buf[64];

	assert_string_equal(bt_path_printable("a\nb", buf, sizeof(buf)), "a\\x0ab");
	assert_string_equal(bt_path_printable("\xff", buf, sizeof(buf)), "\\xff");
	assert_string_equal(bt_path_printable("caf\xc3\xa9", buf, sizeof(buf)),
			    "caf\xc3\xa9");
	bt_path_printable("0123456789012345678901234567890123456789", buf, 16);
	assert_true(strlen(buf) < 16);
	assert_non_null(strstr(buf, "..."));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_paths_are_accepted),
		cmocka_unit_test(hostile_paths_are_rejected),
		cmocka_unit_test_setup_teardown(open_beneath_refuses_dotdot_and_absolute, setup, teardown),
		cmocka_unit_test_setup_teardown(planted_symlink_is_never_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(readers_take_only_regular_files, setup, teardown),
		cmocka_unit_test_setup_teardown(open_parent_gives_leaf, setup, teardown),
		cmocka_unit_test_setup_teardown(paths_longer_than_path_max_work, setup, teardown),
		cmocka_unit_test(join_dirname_depth),
		cmocka_unit_test(rename_rewrites_only_the_moved_subtree),
		cmocka_unit_test(printable_escapes_control_and_invalid_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
