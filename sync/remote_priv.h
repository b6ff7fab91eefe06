/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by remote.c, remote_trash.c and remote_copy.c. */
#ifndef BTSOOT_REMOTE_PRIV_H
#define BTSOOT_REMOTE_PRIV_H

#include "btsoot/remote.h"

/* Counts one remote mutation; honours BTSOOT_CRASH_AFTER_OPS (tests). */
void bt_remote_tick(struct bt_remote *r);
/* Opens the trash folder for rel's parent in this run and picks a free
 * name there for rel's leaf. Returns the folder fd (caller closes). */
int bt_trash_slot(struct bt_remote *r, const char *rel, char *name, size_t len);
/* Logs "T rel slot" for the slot the last bt_trash_slot picked, once the
 * entry is there. */
void bt_trash_noted(struct bt_remote *r, const char *rel);
/* Appends one record (kind, a, b) to this run's trash log (layout in
 * remote_trash.c); a failure is said once and otherwise ignored. */
void bt_trash_log(struct bt_remote *r, char kind, const char *a, const char *b);
/* Like bt_remote_retire but for an entry already opened as (pfd, leaf). */
int bt_retire_at(struct bt_remote *r, int pfd, const char *leaf, const char *rel);

/* Frees the ledger's memory (bt_remote_close). */
void bt_remote_ledger_free(struct bt_remote *r);

/* Finds how finely the remote keeps times and whether it keeps owners and
 * xattrs (after .btsoot/tmp is open); prints nothing (bt_remote_limits). */
void bt_remote_probe(struct bt_remote *r); /* reads only */

#endif
