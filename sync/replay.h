/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Incremental replay of the journal onto the remote. The algorithm and its
 * crash rules are described at the top of replay.c and in docs/design.md.
 */
#ifndef BTSOOT_SYNC_REPLAY_H
#define BTSOOT_SYNC_REPLAY_H

#include <stdint.h>

#include "context.h"

struct bt_replay_stats {
	int64_t rows;        /* journal rows read */
	int64_t dropped;     /* objects compacted away */
	int64_t ns_applied;  /* namespace operations applied on the remote */
	int64_t files;       /* files whose data was copied */
	int64_t deferred;    /* files left for the next run (source moved on) */
	int64_t converted;   /* rows turned into names to recheck, not applied */
	int64_t held;        /* files whose ranges wait for their name's comparison */
};

/* Replays every committed row after synced_seq up to `upto`, adding to *st
 * (zero it first). A row that touches a name of the journal's recheck set,
 * or whose precondition does not hold on the remote, is not applied: its
 * names join the recheck set, for bt_reconcile. Returns 0, or -errno with
 * c->err naming the path and the cause (-EUCLEAN: a corrupt row or recheck
 * entry); rows not replayed stay. */
int bt_replay(struct bt_ctx *c, int64_t upto, struct bt_replay_stats *st);

#endif
