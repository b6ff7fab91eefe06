/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What is mounted at a path, from /proc/self/mountinfo: the checks that
 * tell an unmounted disk (an empty mountpoint directory on the root
 * filesystem) from the real source, and that let btsootfs notice its own
 * mount leaving the namespace (umount -l) while it still runs.
 */
#ifndef BTSOOT_MOUNTS_H
#define BTSOOT_MOUNTS_H

#include <stdbool.h>
#include <sys/types.h>

/* Does path's device differ from its parent's? (cheap, no mountinfo) */
bool bt_is_mount_point(const char *path);
/* Is a filesystem other than btsootfs mounted at path? */
bool bt_other_mount_at(const char *path);
/* Is btsootfs (fuse.btsootfs) mounted at path? */
bool bt_btsootfs_at(const char *path);

/* One line of mountinfo, valid during the callback only. */
struct bt_mount {
	dev_t dev;          /* st_dev of files on it (field 3) */
	char *mnt;          /* mount point, unescaped */
	char *fstype;       /* "ext4", "fuse.btsootfs", ... */
};
/* Calls fn for each mount of this namespace, in mountinfo's order (the
 * newest last), until fn returns nonzero. 0, fn's negative value, or
 * -errno when mountinfo cannot be read whole. */
int bt_mounts_each(int (*fn)(void *arg, const struct bt_mount *m), void *arg);

/* The functions below take path exactly as mountinfo spells it (absolute,
 * canonical) and never resolve it: resolving would stat through the mount
 * itself, which a FUSE daemon must not do to its own. */

/* *dev of the newest mount of type fstype at path: 0, -ENOENT (none), or
 * -errno (mountinfo unreadable). */
int bt_mount_dev_at(const char *path, const char *fstype, dev_t *dev);
/* Is a mount of device dev at path? 1 yes, 0 no, -errno (unreadable: do
 * not take that for "no"). */
int bt_mount_dev_is_at(const char *path, dev_t dev);

#endif
