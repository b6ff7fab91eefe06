/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * core/mounts.c: finding a mount by path and device in the real
 * /proc/self/mountinfo, as btsootfs does to notice its own mount leaving
 * (umount -l); a mount point with a space and a backslash (escaped in
 * mountinfo) in a private mount namespace when run as root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btsoot/mounts.h"

static void finds_proc_by_type_and_device(void **state)
{
	struct stat st;
	dev_t dev = 0;

	(void)state;
	assert_int_equal(stat("/proc", &st), 0);
	assert_int_equal(bt_mount_dev_at("/proc", "proc", &dev), 0);
	assert_true(dev == st.st_dev);
	assert_int_equal(bt_mount_dev_is_at("/proc", st.st_dev), 1);
	assert_int_equal(bt_mount_dev_is_at("/proc", st.st_dev + 1), 0);
	assert_int_equal(bt_mount_dev_is_at("/proc/self", st.st_dev), 0);
	assert_int_equal(bt_mount_dev_at("/proc", "fuse.btsootfs", &dev), -ENOENT);
}

/* A detached mount is no longer listed; the path is compared unescaped. */
static void escaped_mount_point_and_detach(void **state)
{
	char base[] = "/tmp/btsoot-mounts-XXXXXX", mnt[64];
	struct stat st;
	dev_t dev = 0;

	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		skip();
	assert_non_null(mkdtemp(base));
	snprintf(mnt, sizeof(mnt), "%s/a b\\c", base);
	assert_int_equal(mkdir(mnt, 0700), 0);
	assert_int_equal(mount("none", mnt, "tmpfs", 0, NULL), 0);
	assert_int_equal(stat(mnt, &st), 0);
	assert_int_equal(bt_mount_dev_at(mnt, "tmpfs", &dev), 0);
	assert_true(dev == st.st_dev);
	assert_true(bt_other_mount_at(mnt));
	assert_int_equal(bt_mount_dev_is_at(mnt, dev), 1);
	assert_int_equal(umount2(mnt, MNT_DETACH), 0);
	assert_int_equal(bt_mount_dev_is_at(mnt, dev), 0);
	rmdir(mnt);
	rmdir(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_proc_by_type_and_device),
		cmocka_unit_test(escaped_mount_point_and_detach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
