/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One open directory, reused for consecutive names in the same directory:
 * a replay phase that walks names sorted by directory resolves each
 * directory once (bt_open_parent, confined beneath rootfd) instead of once
 * per name. The cached descriptor stays valid only while nothing renames
 * or replaces that directory: use it where the caller is the only writer
 * of the tree's namespace meanwhile (the replay's metadata phase changes
 * no names), or on trees where a stale directory only means a stale
 * answer that the caller checks anyway (the source's inode numbers).
 */
#ifndef BTSOOT_SYNC_DIRCACHE_H
#define BTSOOT_SYNC_DIRCACHE_H

struct bt_dircache {
	int rootfd;
	int fd;    /* -1 when nothing is cached */
	char *dir; /* the cached directory's rel */
};

void bt_dircache_init(struct bt_dircache *dc, int rootfd);
/* The directory holding rel's last component (rel not ""), opened beneath
 * rootfd, or the cached one when it is the same directory; *leaf points
 * into rel. The descriptor is borrowed: the cache closes it. fd or
 * -errno. */
int bt_dircache_parent(struct bt_dircache *dc, const char *rel, const char **leaf);
void bt_dircache_free(struct bt_dircache *dc);

#endif
