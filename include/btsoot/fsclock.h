/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The time the kernel would stamp a change with right now, read back from a
 * probe file in dir (a block's state directory): file times come from a
 * coarse clock (and, since Linux 6.13, from a global floor that
 * fine-grained stamps raise), so clock_gettime is not comparable with them.
 * Any change made after the call gets a ctime at or after it.
 */
#ifndef BTSOOT_FSCLOCK_H
#define BTSOOT_FSCLOCK_H

#include <stdint.h>
#include <time.h>

void bt_fs_now(const char *dir, struct timespec *now);
int64_t bt_ts_ns(const struct timespec *t);

#endif
