/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compaction of a batch of journal rows before replay. Only drops rows whose
 * combined effect on the remote is nothing; never reorders.
 *
 *  - an object created in the batch (CREATE, MKNOD, SYMLINK, LINK's new
 *    name) and unlinked later in the batch, with nothing in between that
 *    touches its path other than WRITE/TRUNCATE/META/XATTR rows on it and no
 *    rename of it or of a directory above it: the create, those rows and the
 *    unlink are all dropped;
 *  - likewise MKDIR ... RMDIR of a directory whose contents were all dropped.
 *
 * Rows with seq <= applied were already applied on the remote by a killed
 * run; an object whose creation was applied is never dropped, or its
 * removal would be lost. Dropped rows get op = BT_OP_NONE, except the
 * removing row, which becomes BT_OP_TOUCH: the parent directory's mtime
 * changed all the same and must reach the remote.
 */
#ifndef BTSOOT_COMPACT_H
#define BTSOOT_COMPACT_H

#include <stddef.h>
#include <stdint.h>

#include "btsoot/journal.h"

/* Returns the number of objects dropped (each drops 2+ rows). */
long bt_compact(struct bt_op_rec *ops, size_t n, int64_t applied);

#endif
