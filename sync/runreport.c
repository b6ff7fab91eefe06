/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdio.h>

#include "btsoot/json.h"
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

int bt_sync_report_json(const char *block, const struct bt_sync_report *r,
			const struct bt_remote_stats *st, int rc, const char *err)
{
	struct bt_json w;

	bt_json_init(&w, stdout);
	bt_json_obj_begin(&w);
	bt_json_kstr(&w, "block", block);
	bt_json_kbool(&w, "dry_run", false);
	bt_json_ki64(&w, "exit_code", rc);
	bt_json_kstr(&w, "error", rc && err && *err ? err : NULL);
	if (st) {
		bt_json_key(&w, "rescan");
		bt_json_obj_begin(&w);
		bt_json_kbool(&w, "needed", r->rescan_why != NULL);
		bt_json_kstr(&w, "reason", r->rescan_why);
		bt_json_obj_end(&w);
		bt_json_ki64(&w, "rows_replayed", r->rows);
		bt_json_ki64(&w, "rows_compacted_away", r->dropped);
		bt_json_ki64(&w, "files_copied", st->files_written);
		bt_json_ki64(&w, "bytes_copied", st->bytes_written);
		bt_json_ki64(&w, "renamed", st->renamed);
		bt_json_ki64(&w, "trashed", st->retired);
		bt_json_ki64(&w, "compared", r->compared);
		bt_json_ki64(&w, "fixed", r->fixed);
		bt_json_ki64(&w, "milliseconds", (int64_t)(r->seconds * 1000));
	}
	bt_json_obj_end(&w);
	return bt_json_end(&w);
}
