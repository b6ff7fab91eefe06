/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * btsoot restore: the contract between the command (restore.c) and the
 * walk that brings entries back (restore_walk.c).
 *
 * What is restored is a view made of layers, each the root of a tree on
 * the remote: the trash run folders dated after --as-of, oldest first, then
 * the remote itself (without --as-of: the remote alone). Each path comes
 * from the first layer that holds it: a trash run folder dated after the
 * date holds what the first sync after the date deleted or overwrote, i.e.
 * what existed at the date; a path no such folder holds is unchanged since
 * and comes from the remote. Directories are merged across layers.
 *
 * Renames are followed for the requested path: each run folder's log
 * (sync/remote_trash.c has the layout) says what the sync renamed and where
 * it put what it retired, in order. The path's name is carried through the
 * renames of the runs after the date (a directory renamed, then deleted, is
 * found under its later name, or in the later tree of the run folder that
 * holds it), and each layer is read at the name the path had there: bases[i]
 * replaces the path's prefix in layer i, NULL leaves the layer out (the
 * entry was retired before it: what it holds there under that name is
 * another object). Entries inside the path that were renamed after the date
 * are then followed the same way, each on its own, and brought back under
 * their name of the date (their later names come back too, as entries
 * created since). Renames of entries inside those are not followed. Run
 * folders written before the log (legacy[i]) are read by name: there "x~N"
 * next to "x" is a later version of x, skipped.
 *
 * The target is written through the remote operations (bt_remote on the
 * target directory: confined, temp file + rename, metadata and xattrs).
 * Nothing in the target is ever deleted or overwritten: an entry in the way
 * that differs from what is restored is first renamed to
 * "<name>.btsoot-before-restore-<stamp>". Identical files stay as they are.
 *
 * The walk keeps its pending directories on the heap, never one C stack
 * frame per level.
 */
#ifndef BTSOOT_TOOLS_RESTORE_H
#define BTSOOT_TOOLS_RESTORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "btsoot/remote.h"
#include "progress.h"

struct bt_restore_stats {
	int64_t restored;  /* entries written (new or replacing one set aside) */
	int64_t bytes;     /* file bytes written */
	int64_t unchanged; /* already identical in the target */
	int64_t unchanged_bytes; /* their file bytes (compared, not written) */
	int64_t set_aside; /* target entries renamed out of the way */
	int64_t errors;    /* remote entries that could not be read (skipped) */
};

struct bt_restore_link;
struct bt_restore_log;
struct bt_strv;

struct bt_restore {
	int *layers;        /* tree roots, O_PATH: trash runs oldest first, remote last */
	bool *legacy;       /* per layer: a run folder of the "x~N" naming */
	char **bases;       /* per layer: root's name there (NULL: left out), or none */
	char *root;         /* the requested path the bases stand for */
	struct bt_restore_log *logs; /* per layer, read on first use */
	size_t nlayers;
	struct bt_remote t; /* the target (its rootfd is the target's top) */
	bool in_place;      /* the target is the live source (it holds data) */
	bool preview;       /* print what would change; write nothing */
	bool counting;      /* only count the view: the progress line's total */
	int64_t count_entries, count_bytes; /* what counting found (see bt_restore_walk) */
	struct bt_progress prog; /* the line on a terminal (sync/progress.h) */
	char stamp[32];     /* UTC time of this restore, for set-aside names */
	struct bt_restore_stats st;
	struct bt_restore_link *links; /* remote inodes already restored */
	size_t nlinks, caplinks;
};

/* Layers for a restore as of as_of (has_date false: the remote alone),
 * read from src's trash. *oldest gets the date of the oldest run folder in
 * the trash (0 if none) so the caller can say how far back it reaches. */
int bt_restore_layers(struct bt_restore *rs, struct bt_remote *src, bool has_date,
		      time_t as_of, time_t *oldest);
/* Follows path through the renames the run folders' logs record (see
 * above) and sets rs->bases. 0 or -ENOMEM. */
int bt_restore_follow(struct bt_restore *rs, const char *path);
/* The names below path (not path itself) that syncs after the date
 * renamed away, first names only (not one below another, not one an
 * earlier rename made): a walk by name misses what they held at the date,
 * so each is followed and walked too. Appended to out. */
int bt_restore_renamed(struct bt_restore *rs, const char *path, struct bt_strv *out);
/* rel (a path of the view) as layer i holds it: malloc'd; NULL with
 * *left_out when the layer has no part in it, NULL alone on ENOMEM. */
char *bt_restore_layer_rel(const struct bt_restore *rs, size_t i, const char *rel,
			   bool *left_out);
/* Brings path (relative to the block root, "" for all) back into rs->t at
 * the same relative path, creating missing directories above it. 0, or
 * -ENOENT if no layer holds path, or the -errno that stopped the walk.
 * With rs->counting it touches neither the target nor rs->st and says
 * nothing: it adds the entries other than directories that the walk
 * would place (each name of a hard-linked file) to rs->count_entries,
 * and the bytes it would copy or compare (a hard-linked file once) to
 * rs->count_bytes. The walk's progress counts the same (restored +
 * unchanged entries, bytes written + compared), so its percent ends at
 * 100 unless the remote changed meanwhile. */
int bt_restore_walk(struct bt_restore *rs, const char *path);
/* Closes the layers and frees the walk's memory (not rs->t). */
void bt_restore_free(struct bt_restore *rs);

#endif
