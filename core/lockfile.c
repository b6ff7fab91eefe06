/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "btsoot/lockfile.h"

int bt_lock_update_pid(int fd)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len)
		return -errno;
	return 0;
}

int bt_lock_try(const char *path, bool with_pid)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	int rc;

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
		goto fail;
	}
	if (with_pid) {
		rc = bt_lock_update_pid(fd);
		if (rc < 0)
			goto fail;
	}
	return fd;
fail:
	close(fd);
	return rc;
}

void bt_lock_release(int fd)
{
	if (fd >= 0)
		close(fd); /* closing drops the flock */
}

pid_t bt_lock_holder(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;
	pid_t pid;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		/* We got it, so nobody holds it exclusively. */
		close(fd);
		return 0;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n <= 0)
		return -EAGAIN; /* held, pid not written yet */
	buf[n] = '\0';
	pid = (pid_t)strtol(buf, NULL, 10);
	return pid > 0 ? pid : -EAGAIN;
}
