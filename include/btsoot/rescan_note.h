/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * <state>/NEEDS_RESCAN: the note that the journal missed a change (btsootfs
 * could not append a row; btsoot restore --in-place changed the unmounted
 * source), so the next sync compares the whole tree. A file, not a meta
 * key: it must be writable when the journal is not.
 *
 * Each note is a new file (a new inode), put in place by rename, so a sync
 * that compared the tree removes only the note it saw before it began: one
 * written while it ran may name a change its walk had already passed, and
 * must be there for the next sync.
 */
#ifndef BTSOOT_RESCAN_NOTE_H
#define BTSOOT_RESCAN_NOTE_H

#include <stdbool.h>
#include <sys/types.h>

/* Writes a new note saying why (one line). 1: there was none before,
 * 0: it replaced one, -errno: none could be put in place. The note is in
 * place even when `why` could not be written into it (a full disk). */
int bt_rescan_note_set(const char *state_dir, const char *why);

/* 1 and *ino (which note it is) when there is a note, 0 when none. */
int bt_rescan_note_get(const char *state_dir, ino_t *ino);

/* Removes the note ino, the one a sync saw before its comparison; a note
 * written since stays. */
void bt_rescan_note_clear(const char *state_dir, ino_t ino);

#endif
