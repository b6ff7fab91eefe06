/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "xattrs.h"

#define LIST_MAX 65536 /* XATTR_LIST_MAX */
#define VALUE_MAX 65536 /* XATTR_SIZE_MAX */

/* "/proc/self/fd/D/name": resolves name inside an already-confined
 * directory; the l* calls never follow a final symlink. */
static void at_path(char *buf, size_t n, int dirfd, const char *name)
{
	if (name)
		snprintf(buf, n, "/proc/self/fd/%d/%s", dirfd, name);
	else
		snprintf(buf, n, "/proc/self/fd/%d", dirfd);
}

/* Counts the names in a listxattr buffer. */
static size_t count_names(const char *list, ssize_t len)
{
	size_t k = 0;

	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(list + i) + 1)
		k++;
	return k;
}

static int values_differ(const char *sp, const char *rp, const char *attr, char *buf)
{
	char *sv = buf, *rv = buf + VALUE_MAX;
	ssize_t sl = lgetxattr(sp, attr, sv, VALUE_MAX);
	ssize_t rl = lgetxattr(rp, attr, rv, VALUE_MAX);

	if (sl < 0)
		return 0; /* removed while we looked: the journal will say */
	return rl != sl || memcmp(sv, rv, (size_t)sl) != 0;
}

int bt_xattrs_differ(int sdir, int rdir, const char *name, bool *remote_unsupported,
		     char *what, size_t n)
{
	char sp[4096 + 64], rp[4096 + 64];
	char *buf, *sl, *rl;
	ssize_t sn, rn;
	int rc = 0;

	at_path(sp, sizeof(sp), sdir, name);
	at_path(rp, sizeof(rp), rdir, name);
	/* Sizes first: almost every file has no attributes at all. */
	rn = llistxattr(rp, NULL, 0);
	if (rn < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP)) {
		*remote_unsupported = true;
		return 0;
	}
	sn = llistxattr(sp, NULL, 0);
	if (sn <= 0 && rn <= 0)
		return 0;
	buf = malloc(2 * LIST_MAX + 2 * VALUE_MAX);
	if (!buf)
		return -ENOMEM;
	sl = buf;
	rl = buf + LIST_MAX;
	sn = llistxattr(sp, sl, LIST_MAX);
	rn = llistxattr(rp, rl, LIST_MAX);
	if (sn < 0)
		sn = 0; /* unreadable on the source: nothing to compare */
	if (rn < 0)
		rn = 0;
	if (count_names(sl, sn) != count_names(rl, rn)) {
		snprintf(what, n, "%zu attributes on the source, %zu on the remote",
			 count_names(sl, sn), count_names(rl, rn));
		rc = 1;
		goto out;
	}
	for (ssize_t i = 0; i < sn && rc == 0; i += (ssize_t)strlen(sl + i) + 1) {
		rc = values_differ(sp, rp, sl + i, buf + 2 * LIST_MAX);
		if (rc)
			snprintf(what, n, "%s differs", sl + i);
	}
out:
	free(buf);
	return rc;
}
