/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Numbers as people read them: plural forms, sizes in binary units, ages,
 * local times. Every function writes a NUL-terminated string into the
 * caller's buffer (truncated, never overflowing) and returns it.
 */
#ifndef BTSOOT_WORDS_H
#define BTSOOT_WORDS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* one if n == 1 (or -1), else many: "%" PRId64 " %s", n, bt_plural(n, "file", "files") */
const char *bt_plural(int64_t n, const char *one, const char *many);
/* "0 B", "512 B", "1.0 KiB", "248.6 MiB", "3.2 GiB", "1.5 TiB" */
char *bt_fmt_bytes(int64_t bytes, char *buf, size_t len);
/* How long before now t was: "just now", "42 s ago", "5 min ago", "3 h ago",
 * "2 days ago"; "in the future" when the clock went back. */
char *bt_fmt_age(time_t t, time_t now, char *buf, size_t len);
/* t in the local time zone: "2026-12-04 03:15:02 CET". */
char *bt_fmt_local(time_t t, char *buf, size_t len);
/* A time in ns since the epoch as local time with its nanoseconds:
 * "2026-12-04 03:15:02.123456789 +0100". */
char *bt_fmt_local_ns(int64_t sec, long nsec, char *buf, size_t len);

#endif
