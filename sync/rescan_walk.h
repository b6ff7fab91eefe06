/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to the comparison walk (rescan.c) and its hard-link bookkeeping
 * (rescan_links.c): the state of one walk, and what each file asks of the
 * other. Nothing outside these two files includes it.
 */
#ifndef BTSOOT_SYNC_RESCAN_WALK_H
#define BTSOOT_SYNC_RESCAN_WALK_H

#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "rescan.h"

/* One name of a multi-link inode. */
struct link_seen {
	dev_t dev;
	ino_t ino;
	char *rel;
	/* A first name found by the seed walk, outside a partial walk: never
	 * compared, trusted only because no row was seen to touch it. */
	bool outside;
};

struct walk {
	struct bt_remote *r;
	int srcfd;
	const struct bt_rescan_opts *o;
	struct bt_rescan_stats *st;
	/* The first name of each multi-link inode met: later names link to
	 * its remote copy. */
	struct link_seen *links;
	size_t nlinks, caplinks;
	bool shallow; /* compare one directory's entries, not what is below */
	bool partial; /* bt_rescan_names: other names of a hard link lie outside */
	bool seeded;  /* ... and have been looked for */
	/* A partial walk: every source name of a multi-link file (seed_links),
	 * and the multi-link inodes the walk met (rel NULL), to make their
	 * groups whole on the remote at its end (links_mend). */
	struct link_seen *group, *met;
	size_t ngroup, capgroup, nmet, capmet;
	char *last_diff; /* the entry the last difference was about */
};

/* rescan.c: reports one difference (counted once per entry). */
void walk_diff(struct walk *w, enum bt_diff_kind kind, const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A source entry read while the source is in use can be gone, or be
 * something else, by the time it is opened: not an error. Whatever made it
 * so is a journal row (or, unmounted, a ctime the next sync looks for). */
static inline bool walk_changed_meanwhile(int rc)
{
	return rc == -ENOENT || rc == -ENOTDIR || rc == -ELOOP || rc == -EEXIST;
}

/*
 * rescan_links.c. The first name of st's inode whose remote copy the name
 * rel links to: NULL when st has one link, rel is the first, or no first is
 * known (seeding a partial walk's search the first time). A first that the
 * source no longer holds as that inode is dropped, rel taking its place.
 * *outside: the first came from outside a partial walk (link_seen.outside).
 */
const char *links_first(struct walk *w, const struct stat *st, const char *rel, bool *outside);

/* The first name known for st's inode, as is (no search, no check). */
const char *links_known(struct walk *w, const struct stat *st);

/* The remote's first is a regular file that a name of st's inode may be
 * linked to; for a first outside a partial walk, only if it also has st's
 * size and mtime. Such a first was trusted because no row was seen to
 * touch it, but one that changed it may have raced the walk (or btsootfs
 * died and lost it): linking to its stale copy would leave the name met
 * stale and look right to every later comparison. */
bool links_can_link(struct walk *w, const char *first, bool outside, const struct stat *st);

/* The walk relied on a name outside it (linked to it, judged by it, or
 * relinked it): rows that raced the walk and touch it race the walk too. */
void links_borrowed(struct walk *w, const char *first);

/* rel's remote copy is the one later names of st's inode link to; records
 * rel as the first when none is, replaces the first when `take`. */
void links_remember(struct walk *w, const struct stat *st, const char *rel, bool take);

/* A partial walk met st (a multi-link regular file). 0 or -ENOMEM. */
int links_met(struct walk *w, const struct stat *st);

/* A partial walk's end: each group it met made one file on the remote
 * again, trusted names outside linked to the copy the walk settled on;
 * its untrusted names offered to o->leave, to be compared later. */
int links_mend(struct walk *w);

void links_free(struct walk *w);

#endif
