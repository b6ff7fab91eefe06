/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How a real btsoot-sync run ended, for the two readers that are not a
 * person at a terminal: syslog (one line per successful run, at info level;
 * a failure's line is the run's error, already logged) and --json (one
 * object on stdout, success or not; btsoot-sync(8) JSON OUTPUT).
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
/* The run as one JSON object on stdout; st NULL: the sync did not start
 * (only block, exit_code and error). 0, or -EINVAL/-EIO from the writer. */
int bt_sync_report_json(const char *block, const struct bt_sync_report *r,
			const struct bt_remote_stats *st, int rc, const char *err);

#endif
