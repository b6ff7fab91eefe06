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
	bool ns_only;
};

/* Reads the rows after seq `after` (ns_only: namespace rows only; data
 * and metadata rows are safe to replay on any remote state, they copy what
 * the source holds now). 0 or -errno. */
int bt_raced_load(struct bt_raced *r, struct bt_journal *j, int64_t after, bool ns_only);
/* Builds the set from names (copied). 0 or -ENOMEM. */
int bt_raced_of(struct bt_raced *r, char *const *names, size_t n);
/* rel is touched: named by a row, under a named directory, or holding a
 * named entry. */
bool bt_raced_touches(void *raced, const char *rel);
/* rel itself is a name of the set. */
bool bt_raced_named(const struct bt_raced *r, const char *rel);
/* Calls cb for each name strictly below rel. 0 or cb's -errno. */
int bt_raced_each_below(const struct bt_raced *r, const char *rel,
			int (*cb)(const char *name, void *arg), void *arg);
void bt_raced_free(struct bt_raced *r);

#endif
