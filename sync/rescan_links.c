/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The hard-link bookkeeping of a comparison walk (rescan_walk.h): the first
 * name of each multi-link inode, whose remote copy its later names link to;
 * for a partial walk (bt_rescan_names), the names outside it, found with one
 * stat walk of the source, and the mending of each group at the walk's end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btsoot/log.h"
#include "btsoot/pathsafe.h"
#include "btsoot/remote.h"
#include "listing.h"
#include "rescan_walk.h"
#include "strv.h"

static struct link_seen *find(struct walk *w, const struct stat *st)
{
	for (size_t i = 0; i < w->nlinks; i++)
		if (w->links[i].ino == st->st_ino && w->links[i].dev == st->st_dev)
			return &w->links[i];
	return NULL;
}

static const char *first_link(struct walk *w, const struct stat *st)
{
	struct link_seen *l = find(w, st);

	return l ? l->rel : NULL;
}

/* rel now holds the remote copy the other names of its inode link to:
 * the name known before (a trusted name outside a partial walk) could not
 * be linked to, so later names must not try it again and each get a copy
 * of their own (a hard-link group split on the remote, mended at the end). */
static void take_first(struct walk *w, const struct stat *st, const char *rel)
{
	struct link_seen *l = find(w, st);
	char *dup;

	if (l && (dup = strdup(rel))) {
		free(l->rel);
		l->rel = dup;
		l->outside = false;
	}
}

static void remember_link(struct walk *w, const struct stat *st, const char *rel,
			  bool outside)
{
	if (st->st_nlink < 2 || first_link(w, st))
		return;
	if (w->nlinks == w->caplinks) {
		size_t cap = w->caplinks ? w->caplinks * 2 : 64;
		struct link_seen *v = realloc(w->links, cap * sizeof(*v));

		if (!v)
			return; /* a later name is copied instead of linked: still correct */
		w->links = v;
		w->caplinks = cap;
	}
	w->links[w->nlinks].dev = st->st_dev;
	w->links[w->nlinks].ino = st->st_ino;
	w->links[w->nlinks].rel = strdup(rel);
	w->links[w->nlinks].outside = outside;
	if (w->links[w->nlinks].rel)
		w->nlinks++;
}

/* Appends (st's inode, a copy of rel or NULL) to *v. 0 or -ENOMEM. */
static int push_seen(struct link_seen **v, size_t *n, size_t *cap, const struct stat *st,
		     const char *rel)
{
	char *dup = rel ? strdup(rel) : NULL;

	if (rel && !dup)
		return -ENOMEM;
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct link_seen *nv = realloc(*v, ncap * sizeof(*nv));

		if (!nv) {
			free(dup);
			return -ENOMEM;
		}
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = (struct link_seen){ st->st_dev, st->st_ino, dup, false };
	return 0;
}

/* The source's rel is still the inode st names: a first name remembered
 * earlier (by the seed walk, before this walk reached here) may have been
 * renamed or replaced since, and its remote copy is then another file's. */
static bool source_is(struct walk *w, const char *rel, const struct stat *st)
{
	struct stat now;

	return fstatat(w->srcfd, rel, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	       now.st_ino == st->st_ino && now.st_dev == st->st_dev;
}

/* One source directory of the link search: its multi-link files with a
 * trusted name are remembered, its subdirectories queued. */
static int seed_dir(struct walk *w, const char *rel, struct bt_strv *todo)
{
	struct bt_listing l;
	struct stat st;
	int dfd, rc = bt_listing_read(w->srcfd, rel, &l);

	if (rc < 0)
		return rc == -ENOENT || rc == -ENOTDIR ? 0 : rc;
	dfd = bt_open_beneath(w->srcfd, rel, O_PATH | O_DIRECTORY, 0);
	for (size_t i = 0; dfd >= 0 && rc == 0 && i < l.n; i++) {
		char *sub;

		if (fstatat(dfd, l.names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!S_ISDIR(st.st_mode) && !(S_ISREG(st.st_mode) && st.st_nlink > 1))
			continue;
		if (!(sub = bt_path_join(rel, l.names[i]))) {
			rc = -ENOMEM;
		} else if (S_ISDIR(st.st_mode)) {
			rc = bt_strv_push(todo, sub);
		} else {
			rc = push_seen(&w->group, &w->ngroup, &w->capgroup, &st, sub);
			if (w->o->trusted(w->o->names_arg, sub))
				remember_link(w, &st, sub, true);
		}
		free(sub);
	}
	if (dfd >= 0)
		close(dfd);
	bt_listing_free(&l);
	return rc;
}

/* The other names of hard-linked files, outside a partial walk: one stat
 * walk of the source, the first time a partial walk needs them. Without
 * them a name would be copied on its own, cut off from its links. */
static void seed_links(struct walk *w)
{
	struct bt_strv todo = { 0 };
	int rc = bt_strv_push(&todo, "");

	w->seeded = true;
	if (!w->o->trusted)
		return bt_strv_free(&todo);
	bt_debug("looking for the other names of hard-linked files in the source");
	while (rc == 0 && todo.n) {
		char *rel = todo.v[--todo.n];

		rc = seed_dir(w, rel, &todo);
		free(rel);
	}
	bt_strv_free(&todo);
}

static int by_inode(const void *a, const void *b)
{
	const struct link_seen *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return (x->ino > y->ino) - (x->ino < y->ino);
}

/* w->met is sorted (links_mend). */
static bool was_met(const struct walk *w, const struct link_seen *g)
{
	return w->nmet && bsearch(g, w->met, w->nmet, sizeof(*w->met), by_inode);
}

/* Relinking rel touched its remote directory, which may lie outside the
 * walk: its times (and mode, owner) from the source again. Best effort: a
 * directory changed since has rows that set them. */
static void parent_from_source(struct walk *w, const char *rel)
{
	char *parent = bt_path_dirname(rel);
	struct stat st;
	int fd = parent ? bt_open_beneath(w->srcfd, parent, O_PATH | O_DIRECTORY, 0) : -1;

	if (fd >= 0 && fstat(fd, &st) == 0)
		bt_remote_set_meta(w->r, parent, &st, fd, false);
	if (fd >= 0)
		close(fd);
	free(parent);
}

/* One trusted name g of a file the walk met: linked on the remote to the
 * copy the walk settled on (first), if the source still says so. */
static int mend_name(struct walk *w, const struct link_seen *g, const char *first)
{
	struct stat s, rf, rg;
	int fd;

	if (fstatat(w->srcfd, g->rel, &s, AT_SYMLINK_NOFOLLOW) < 0 || s.st_ino != g->ino ||
	    s.st_dev != g->dev || !source_is(w, first, &s))
		return 0; /* changed since the seed walk: its rows say how */
	fd = bt_open_beneath(w->r->rootfd, first, O_PATH, 0);
	if (fd < 0 || fstat(fd, &rf) < 0 || !S_ISREG(rf.st_mode)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	fd = bt_open_beneath(w->r->rootfd, g->rel, O_PATH, 0);
	if (fd >= 0 && fstat(fd, &rg) == 0 && rg.st_ino == rf.st_ino && rg.st_dev == rf.st_dev) {
		close(fd);
		return 0;
	}
	if (fd >= 0)
		close(fd);
	walk_diff(w, BT_DIFF_CONTENT, g->rel, "not hard-linked to %s on the remote", first);
	if (!w->o->repair)
		return 0;
	int rc = bt_remote_retire(w->r, g->rel);

	rc = rc ? rc : bt_remote_link(w->r, first, g->rel);
	if (rc == -ENOENT || rc == -ENOTDIR || rc == -ELOOP)
		return 0; /* its directory differs on the remote: not this walk's */
	if (rc == 0) {
		links_borrowed(w, g->rel);
		parent_from_source(w, g->rel);
	}
	w->st->repaired += rc == 0;
	return rc;
}

/* A partial walk met names of hard-linked files whose other names lie
 * outside it: each such group is made one file on the remote again, the
 * trusted names linked to the copy the walk settled on. Names that rows
 * not yet replayed touch are left to them. */
int links_mend(struct walk *w)
{
	int rc = 0;

	if (w->nmet > 1)
		qsort(w->met, w->nmet, sizeof(*w->met), by_inode);
	for (size_t i = 0; rc == 0 && i < w->ngroup; i++) {
		struct link_seen *g = &w->group[i];
		struct stat key = { .st_dev = g->dev, .st_ino = g->ino };
		const char *first;

		if (!was_met(w, g) || !(first = first_link(w, &key)) || !strcmp(first, g->rel))
			continue;
		/* Rows not replayed yet touch it: the walk could neither link
		 * to it nor relink it, and those rows, replayed as they are,
		 * would leave the group split. It is compared in a later
		 * round instead, once they are names too. */
		if (!w->o->trusted(w->o->names_arg, g->rel)) {
			if (w->o->leave && w->o->leave(w->o->leave_arg, g->rel))
				w->st->left++;
			continue;
		}
		rc = mend_name(w, g, first);
	}
	return rc;
}

const char *links_known(struct walk *w, const struct stat *st)
{
	return first_link(w, st);
}

const char *links_first(struct walk *w, const struct stat *st, const char *rel, bool *outside)
{
	struct link_seen *l;

	*outside = false;
	if (!S_ISREG(st->st_mode) || st->st_nlink < 2)
		return NULL;
	if (w->partial && !w->seeded)
		seed_links(w);
	l = find(w, st);
	if (!l || !strcmp(l->rel, rel))
		return NULL;
	if (!source_is(w, l->rel, st)) {
		take_first(w, st, rel); /* the name remembered is another file now */
		return NULL;
	}
	*outside = l->outside;
	return l->rel;
}

bool links_can_link(struct walk *w, const char *first, bool outside, const struct stat *st)
{
	struct stat r;
	int fd = bt_open_beneath(w->r->rootfd, first, O_PATH, 0);
	bool ok = fd >= 0 && fstat(fd, &r) == 0 && S_ISREG(r.st_mode);

	if (fd >= 0)
		close(fd);
	/* A first met in this walk was compared or copied in it: writes
	 * since are rows, replayed onto the linked copy. */
	if (!ok || !outside)
		return ok;
	return r.st_size == st->st_size && bt_remote_same_time(w->r, &r.st_mtim, &st->st_mtim);
}

void links_borrowed(struct walk *w, const char *first)
{
	if (w->o->borrowed)
		w->o->borrowed(w->o->names_arg, first);
}

void links_remember(struct walk *w, const struct stat *st, const char *rel, bool take)
{
	if (take)
		take_first(w, st, rel);
	else
		remember_link(w, st, rel, false);
}

int links_met(struct walk *w, const struct stat *st)
{
	return push_seen(&w->met, &w->nmet, &w->capmet, st, NULL);
}

void links_free(struct walk *w)
{
	for (size_t i = 0; i < w->nlinks; i++)
		free(w->links[i].rel);
	for (size_t i = 0; i < w->ngroup; i++)
		free(w->group[i].rel);
	free(w->links);
	free(w->group);
	free(w->met);
}
