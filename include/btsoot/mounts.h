/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What is mounted at a path, from /proc/self/mountinfo: the checks that
 * tell an unmounted disk (an empty mountpoint directory on the root
 * filesystem) from the real source.
 */
#ifndef BTSOOT_MOUNTS_H
#define BTSOOT_MOUNTS_H

#include <stdbool.h>

/* Does path's device differ from its parent's? (cheap, no mountinfo) */
bool bt_is_mount_point(const char *path);
/* Is a filesystem other than btsootfs mounted at path? */
bool bt_other_mount_at(const char *path);
/* Is btsootfs (fuse.btsootfs) mounted at path? */
bool bt_btsootfs_at(const char *path);

#endif
