/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "btsoot/exitcodes.h"
#include "btsoot/log.h"
#include "context.h"
#include "lastrun.h"

int bt_lastrun_record(struct bt_journal *j, enum bt_run_kind kind, int rc, const char *err)
{
	bool sync = kind == BT_RUN_SYNC;
	int e;

	if (!j)
		return -EBADF;
	e = bt_meta_set_i64(j, sync ? BT_META_LAST_SYNC_END : BT_META_LAST_VERIFY_END,
			    (int64_t)time(NULL));
	e = e ? e : bt_meta_set_i64(j, sync ? BT_META_LAST_SYNC_EXIT : BT_META_LAST_VERIFY_EXIT, rc);
	e = e ? e : bt_meta_set(j, sync ? BT_META_LAST_SYNC_ERROR : BT_META_LAST_VERIFY_ERROR,
				rc && err ? err : "");
	return e;
}

void bt_lastrun_record_open_failure(const struct bt_dirs *d, const char *block,
				    enum bt_run_kind kind, int rc, const char *err)
{
	struct bt_ctx c;

	if (rc == BT_EXIT_OK || rc == BT_EXIT_USAGE || rc == BT_EXIT_BUSY ||
	    rc == BT_EXIT_JOURNAL)
		return;
	if (bt_ctx_open(&c, d, block, BT_CTX_LOCK | BT_CTX_JOURNAL) != BT_EXIT_OK)
		return;
	if (bt_lastrun_record(c.j, kind, rc, err) < 0)
		bt_warn("block '%s': cannot record this run's result in journal %s", block,
			c.block.journal);
	bt_ctx_close(&c);
}
