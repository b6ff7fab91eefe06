/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The names that journal rows after a given seq touch: changes made through
 * the mount while a sync ran. The offline repair (which compares the live
 * source with the remote) leaves them alone, because the next sync replays
 * those rows against the remote as this sync left it: a repair that had
 * already moved a rename's source away would make the rename look done
 * (and cut a hard-linked file off from its other names).
 */
#ifndef BTSOOT_SYNC_RACED_H
#define BTSOOT_SYNC_RACED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btsoot/journal.h"
#include "strv.h"

struct bt_raced {
	struct bt_strv names; /* sorted bytewise */
	size_t rows;
	bool all;   /* more rows than worth holding: every name counts */
};

/* Reads the rows after seq `after`. 0 or -errno. */
int bt_raced_load(struct bt_raced *r, struct bt_journal *j, int64_t after);
/* rel is touched: named by a row, under a named directory, or holding a
 * named entry. */
bool bt_raced_touches(void *raced, const char *rel);
void bt_raced_free(struct bt_raced *r);

#endif
