/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One progress line on a terminal, for btsoot-sync, btsoot-verify and
 * btsoot restore: files and bytes done (of the total, when known), percent,
 * rate and time left, e.g.
 *
 *   btsoot-verify: 1204/3000 files, 35.2 MiB of 600.0 MiB (5%), 12.1 MiB/s, 47 s left
 *
 * The contract:
 * - nothing at all is drawn unless bt_progress_init was told `on` (the
 *   caller passes: stderr is a terminal and not -q): never into a log, a
 *   pipe or a mail;
 * - the line is drawn on stderr as "\r" + text + "\033[K" (erase to the end
 *   of the line), so a shorter line never leaves debris of a longer one,
 *   and it is cut to the terminal's width so it never wraps;
 * - at most one redraw per interval (250 ms; BTSOOT_PROGRESS_MS sets
 *   another, 0 redraws on every update: for tests);
 * - bt_progress_clear erases the line (before other output, and at the
 *   end); a log line (btsoot/log.h) erases it by itself; bt_progress_end
 *   clears it for good. One line is shown at a time (the last one a
 *   program initialised `on`).
 * A NULL struct bt_progress * is accepted everywhere and does nothing.
 */
#ifndef BTSOOT_SYNC_PROGRESS_H
#define BTSOOT_SYNC_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* What one line shows; a total < 0 is unknown (no percent, no time left). */
struct bt_progress_view {
	int64_t files, bytes;             /* done */
	int64_t total_files, total_bytes; /* expected, or -1 */
	double secs;                      /* since the start */
	bool entries;                     /* count says "entries" (any kind), not "files" */
};

struct bt_progress {
	bool on;
	const char *label;        /* "btsoot-sync" */
	struct bt_progress_view v;
	int64_t base_files, base_bytes; /* subtracted from bt_progress_set's counts */
	struct timespec start, last;
	long interval_ms;
	bool drawn;               /* a line is on the screen */
};

/* Starts the clock; totals unknown, counts 0. */
void bt_progress_init(struct bt_progress *p, const char *label, bool on);
/* Sets the totals (either < 0: unknown). */
void bt_progress_total(struct bt_progress *p, int64_t files, int64_t bytes);
/* Adds to the totals (an unknown one becomes known). */
void bt_progress_total_add(struct bt_progress *p, int64_t files, int64_t bytes);
/* Counts from here on are taken relative to these (counters that began
 * before the work being shown). */
void bt_progress_base(struct bt_progress *p, int64_t files, int64_t bytes);
/* Sets the done counts and redraws when the interval has passed. */
void bt_progress_set(struct bt_progress *p, int64_t files, int64_t bytes);
/* Erases the line if one is drawn (it comes back at the next redraw). */
void bt_progress_clear(struct bt_progress *p);
/* Erases the line and draws no more. */
void bt_progress_end(struct bt_progress *p);

/* Pure: the text of one line for v (no label, no control characters)
 * into buf; returns buf. Percent is of bytes when their total is known
 * and > 0, else of files, clamped to 0..100; "left" follows the rate of
 * the same measure and is left out while that rate is 0. */
char *bt_progress_format(const struct bt_progress_view *v, char *buf, size_t len);
/* Pure: a duration as "42 s", "4 min 05 s", "1 h 02 min". */
char *bt_progress_eta(double secs, char *buf, size_t len);

#endif
