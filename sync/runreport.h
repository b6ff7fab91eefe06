/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How a real btsoot-sync run ended, for syslog: one line per successful
 * run, at info level (a failure's line is the run's error, already logged;
 * btsoot-sync(8) LOGGING).
 */
#ifndef BTSOOT_SYNC_RUNREPORT_H
#define BTSOOT_SYNC_RUNREPORT_H

#include <stdint.h>

#include "btsoot/remote.h"

struct bt_sync_report {
	const char *rescan_why; /* why a reconciling rescan ran, or NULL */
	int64_t rows;           /* journal rows replayed */
	int64_t dropped;        /* objects compacted away */
	int64_t compared;       /* entries compared with the source (rescan, reconcile) */
	int64_t fixed;          /* differences those comparisons repaired */
	double seconds;
};

/* The one info line of a successful run (nothing if syslog is off). */
void bt_sync_report_syslog(const char *block, const struct bt_sync_report *r,
			   const struct bt_remote_stats *st);

#endif
