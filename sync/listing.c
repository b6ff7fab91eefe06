/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btsoot/config.h"
#include "btsoot/pathsafe.h"
#include "listing.h"

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int push(struct bt_listing *l, size_t *cap, const char *name)
{
	if (l->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		char **v = realloc(l->names, nc * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->names = v;
		*cap = nc;
	}
	l->names[l->n] = strdup(name);
	if (!l->names[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

int bt_listing_read(int rootfd, const char *rel, struct bt_listing *l)
{
	DIR *d = bt_opendir_beneath(rootfd, rel);
	size_t cap = 0;
	struct dirent *e;
	int rc = 0;

	l->names = NULL;
	l->n = 0;
	if (!d)
		return -errno;
	for (errno = 0; (e = readdir(d)); errno = 0) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!*rel && !strcmp(e->d_name, BT_REMOTE_AREA))
			continue;
		rc = push(l, &cap, e->d_name);
		if (rc < 0)
			break;
	}
	if (rc == 0 && errno)
		rc = -errno;
	closedir(d);
	if (rc < 0) {
		bt_listing_free(l);
		return rc;
	}
	if (l->n > 1) /* an empty directory has no array: qsort(NULL, 0) is UB */
		qsort(l->names, l->n, sizeof(*l->names), cmp_names);
	return 0;
}

void bt_listing_free(struct bt_listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	l->names = NULL;
	l->n = 0;
}
