/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How the last run of btsoot-sync or btsoot-verify ended, kept in the
 * block's journal meta (BT_META_LAST_SYNC_END/_EXIT/_ERROR and the
 * VERIFY ones): what `btsoot status` (and its --json and --prometheus)
 * shows. Written at the edge, by each program's main, once it knows its
 * exit code. Not by a dry run, nor by a run that found the block busy
 * (the run holding it records its own), an unknown block or an unusable
 * journal (nothing to write into).
 */
#ifndef BTSOOT_SYNC_LASTRUN_H
#define BTSOOT_SYNC_LASTRUN_H

#include <stdbool.h>

#include "btsoot/config.h"
#include "btsoot/journal.h"

enum bt_run_kind { BT_RUN_SYNC, BT_RUN_VERIFY };

/* Records now, exit code rc and err ("" or NULL on success) in j. 0 or
 * -errno (the caller warns: the run itself is not worse for it). */
int bt_lastrun_record(struct bt_journal *j, enum bt_run_kind kind, int rc, const char *err);
/* For a run whose bt_ctx_open failed with rc (the remote unmounted, the
 * source dead...): takes the block's lock and journal just to record it.
 * Does nothing for the exit codes above that leave nothing to record. */
void bt_lastrun_record_open_failure(const struct bt_dirs *d, const char *block,
				    enum bt_run_kind kind, int rc, const char *err);

#endif
