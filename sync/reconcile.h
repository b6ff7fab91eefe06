/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Comparing names with the live source, framed so that the journal's
 * account of the remote stays true. One mechanism for every pass that
 * reads the live source and changes the remote: the reconciling rescan
 * (first sync, unclean stop, broken journal), verify --repair, the offline
 * repair, and names the replay could not apply rows to.
 *
 * The rule (why it converges: docs/design.md, "One account of the remote"):
 *   - A pass takes the journal position after asking btsootfs to commit
 *     its queue (s_a) and again after it ends (s_b).
 *   - A pass over the whole tree covers every row up to s_a: they are
 *     pruned, as if replayed.
 *   - Namespace rows after that (not yet replayed) that touch a name the
 *     pass compared -- the name itself, a directory above it, or an entry
 *     below it -- may have run before or after the pass looked: their names
 *     go to the recheck set, so the replay never applies them as operations
 *     onto a remote that may already reflect them; the next pass compares
 *     those names instead. Data and metadata rows stay: they copy what the
 *     source holds when they are replayed, on any remote state.
 *   - A partial pass leaves alone the names that rows not yet replayed
 *     touch when it starts (the replay turns those rows into names first).
 */
#ifndef BTSOOT_SYNC_RECONCILE_H
#define BTSOOT_SYNC_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "context.h"
#include "rescan.h"

/* The whole tree, repairing (o->repair must be set): bt_rescan inside the
 * window above, copying every file the covered rows or pending wrote.
 * Rows up to the window's start are pruned, pending data dropped, the
 * recheck set replaced by the names of rows that raced the walk, and the
 * block marked as mirrored. The journal is marked clean (and needs_rescan
 * cleared) only when the btsootfs that ran at the start, or none, ran
 * throughout: one that died meanwhile lost rows. 0 or -errno (c->err set). */
int bt_reconcile_all(struct bt_ctx *c, const struct bt_rescan_opts *o,
		     struct bt_rescan_stats *st);

/* btsootfs stopped without a clean unmount (the journal says mounted and
 * nobody holds daemon.lock): rows may be missing. */
bool bt_daemon_died(struct bt_ctx *c);

/* Compares every name of the recheck set (one that holds "" makes it
 * bt_reconcile_all), repairing. *left: names in the set afterwards (rows
 * that raced this pass touched them). 0 or -errno (c->err set). */
int bt_reconcile(struct bt_ctx *c, const struct bt_rescan_opts *o, struct bt_rescan_stats *st,
		 size_t *left);

#endif
