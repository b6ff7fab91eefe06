/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Full-tree comparison of source and remote, walking both sides in parallel,
 * sorted by name, one directory at a time (memory follows the widest
 * directory, not the tree).
 *
 * Used three ways:
 *   - btsoot-sync's first run (the remote is empty: everything is copied,
 *     with progress) and its reconciling rescan after an unclean stop
 *     (BT_CMP_QUICK: type, size, mtime, mode, owner, symlink target,
 *     extended attributes);
 *   - btsoot-verify (BT_CMP_HASH, report only);
 *   - btsoot-verify --repair (BT_CMP_HASH, and fix every difference).
 *
 * The reserved name .btsoot at the root is skipped on both sides.
 */
#ifndef BTSOOT_SYNC_RESCAN_H
#define BTSOOT_SYNC_RESCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "btsoot/remote.h"

enum bt_cmp_mode {
	BT_CMP_QUICK = 0, /* metadata only: size + mtime(ns) + type + mode (+owner as root) + link target */
	BT_CMP_HASH = 1,  /* also hash both contents with XXH3-128 */
};

enum bt_diff_kind {
	BT_DIFF_MISSING,  /* in source, not on remote */
	BT_DIFF_EXTRA,    /* on remote, not in source */
	BT_DIFF_TYPE,     /* different file types */
	BT_DIFF_SIZE,
	BT_DIFF_CONTENT,  /* same size, different hash */
	BT_DIFF_MODE,
	BT_DIFF_OWNER,
	BT_DIFF_MTIME,
	BT_DIFF_LINK,     /* symlink targets differ */
	BT_DIFF_ERROR,    /* could not read one side */
	BT_DIFF_XATTR,    /* extended attributes differ */
};

struct bt_rescan_opts {
	enum bt_cmp_mode mode;
	bool repair;      /* make the remote equal to the source */
	/* The line on a terminal (progress.h): set to the source entries and
	 * regular-file bytes seen so far; NULL: none. */
	struct bt_progress *progress;
	/* A slice of the tree: slices N > 0 walks only the top-level names
	 * (and all below them) that bt_rescan_in_slice puts in slice `slice`
	 * (1..N); the root directory's own metadata is in slice 1. 0: all. */
	unsigned slice, slices;
	int threads;      /* hashing workers; 0 = number of online CPUs */
	/* Called once per difference found (before any repair of it). */
	void (*on_diff)(void *arg, enum bt_diff_kind kind, const char *rel,
			const char *detail);
	void *arg;
	/* Names neither compared nor repaired (counted in st->left); NULL:
	 * none. The offline repair leaves what changed while it ran to the
	 * journal. (bt_rescan_names) Also asked, at the walk's end, about the
	 * other names of a hard-linked file it met that `trusted` refused:
	 * yes keeps them for a later comparison. */
	bool (*leave)(void *leave_arg, const char *rel);
	void *leave_arg;
	/* Regular files this says yes to (rel, its source stat) are copied
	 * whatever their size and times say: journaled writes changed them,
	 * and a writer may have set the times back. And (bt_rescan_names)
	 * `trusted` says which names outside the walk mirror their source
	 * entry, so a hard-linked file met in the walk is linked to them.
	 * NULL: none / no other name is trusted. */
	bool (*must_copy)(void *arg, const char *rel, const struct stat *s);
	bool (*trusted)(void *arg, const char *rel);
	/* (bt_rescan_names) A name whose path diverged is compared from the
	 * directory above, whole: told here, since rows that raced the walk
	 * and touch that directory's other entries race it too. NULL: none. */
	void (*widened)(void *arg, const char *rel);
	/* (bt_rescan_names) A name outside the walk that it relied on: a
	 * hard-linked file's first name that names met were linked to or
	 * judged by, or a name relinked to make a group whole. Rows that raced
	 * the walk and touch it race the walk too. NULL: none. */
	void (*borrowed)(void *arg, const char *rel);
	void *names_arg;
};

struct bt_rescan_stats {
	int64_t entries;      /* source entries seen */
	int64_t bytes;        /* source regular-file bytes seen */
	int64_t differences;
	int64_t repaired;
	int64_t errors;
	int64_t hashed_bytes; /* both sides */
	int64_t remote_entries; /* remote entries seen (report mode: also
				 * those inside directories it would remove) */
	int64_t doomed;       /* remote entries a repair moves to the trash */
	int64_t created;      /* entries a repair copies over (report mode:
			       * also those inside new directories) */
	int64_t left;         /* names left alone (opts.leave) */
	char stopped_at[256]; /* an error that stopped the walk: the name it
			       * met it at (printable, "" when none) */
};

const char *bt_diff_kind_name(enum bt_diff_kind kind);

struct bt_progress;

/* The slice rule, fixed so that N runs of K = 1..N cover each entry
 * exactly once: a top-level name is in slice 1 + XXH3_64(name) mod N, and
 * everything below it with it (a slice is a set of whole subtrees). */
bool bt_rescan_in_slice(const char *top_name, unsigned slice, unsigned slices);

/* Walks srcfd's tree against r's. Returns 0 (compared everything; see
 * st->differences), or -errno for an error that stopped the walk (a remote
 * that vanished, ENOSPC while repairing...). */
int bt_rescan(struct bt_remote *r, int srcfd, const struct bt_rescan_opts *o,
	      struct bt_rescan_stats *st);

/* The same for the entries of each directory rels[0..n) (parents first)
 * and its own metadata, not below: new directories are copied whole,
 * existing ones only have their metadata compared. A directory either side
 * no longer holds is skipped (its parent, listed earlier, covers it). Adds
 * to *st; on error, *failed_at is the directory it stopped at. */
int bt_rescan_dirs(struct bt_remote *r, int srcfd, char *const *rels, size_t n,
		   const struct bt_rescan_opts *o, struct bt_rescan_stats *st,
		   size_t *failed_at);

/* Compares (with o->repair: repairs) each name rels[i] of n, in one walk:
 * deep[i] true: the entry and everything below it; false: the entry and,
 * for a directory, its entries one level deep. "" is the root. A name whose
 * parent is not a directory on either side (gone, or a file or a symlink
 * in the way on the remote) is compared from the nearest ancestor that is,
 * deep. The first hard-linked file met triggers one stat walk of the
 * source for the other names of each multi-link inode that o->trusted
 * accepts. Adds to *st; on error *failed_at is the name it stopped at. */
int bt_rescan_names(struct bt_remote *r, int srcfd, char *const *rels, const bool *deep,
		    size_t n, const struct bt_rescan_opts *o, struct bt_rescan_stats *st,
		    size_t *failed_at);

#endif
