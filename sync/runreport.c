/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdio.h>

#include "btsoot/log.h"
#include "btsoot/words.h"
#include "runreport.h"

void bt_sync_report_syslog(const char *block, const struct bt_sync_report *r,
			   const struct bt_remote_stats *st)
{
	char size[32], compared[96] = "";

	if (r->rescan_why || r->compared)
		snprintf(compared, sizeof(compared), ", %" PRId64 " %s compared (%" PRId64
			 " fixed)", r->compared, bt_plural(r->compared, "entry", "entries"),
			 r->fixed);
	bt_log_syslog(BT_LOG_INFO, "block '%s': synced: %" PRId64 " %s replayed, %" PRId64
		      " %s copied (%s), %" PRId64 " renamed, %" PRId64 " trashed%s in %.1f s%s%s",
		      block, r->rows, bt_plural(r->rows, "row", "rows"), st->files_written,
		      bt_plural(st->files_written, "file", "files"),
		      bt_fmt_bytes(st->bytes_written, size, sizeof(size)), st->renamed, st->retired,
		      compared, r->seconds, r->rescan_why ? "; rescan: " : "",
		      r->rescan_why ? r->rescan_why : "");
}
