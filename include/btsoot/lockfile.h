/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flock(2)-based locks in the block's state directory. The kernel drops a
 * flock when its holder dies, so a killed process never leaves a stale lock.
 *
 *   daemon.lock  held exclusively by a running btsootfs, which writes its pid
 *                into it: "is the daemon running?" is "is the lock held?".
 *   sync.lock    held exclusively by btsoot-sync / btsoot-verify --repair.
 */
#ifndef BTSOOT_LOCKFILE_H
#define BTSOOT_LOCKFILE_H

#include <stdbool.h>
#include <sys/types.h>

/* Opens (creating 0600) and locks path exclusively without waiting.
 * Returns the fd (keep it open to hold the lock), -EWOULDBLOCK if another
 * process holds it, or -errno. With write_pid, our pid replaces its content. */
int bt_lock_try(const char *path, bool write_pid);
void bt_lock_release(int fd);
/* Rewrites the pid in a held lock (after fork: the lock is the open file
 * description's, so it stays held by the child). */
int bt_lock_update_pid(int fd);
/* Pid written in a held lock file, 0 if the lock is free, or -errno. */
pid_t bt_lock_holder(const char *path);

#endif
