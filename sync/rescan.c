/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The full walk (contract in rescan.h): both trees, one directory at a
 * time, names merged in sorted order. Regular files that need their content
 * compared are hashed per directory on the pool, then judged in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "btsoot/extent.h"
#include "btsoot/log.h"
#include "btsoot/pathsafe.h"
#include "hashpool.h"
#include "progress.h"
#include "listing.h"
#include "rescan.h"
#include "rescan_walk.h"
#include "strv.h"
#include "xattrs.h"

static const char *const kind_names[] = {
	[BT_DIFF_MISSING] = "missing", [BT_DIFF_EXTRA] = "extra",
	[BT_DIFF_TYPE] = "type",       [BT_DIFF_SIZE] = "size",
	[BT_DIFF_CONTENT] = "content", [BT_DIFF_MODE] = "mode",
	[BT_DIFF_OWNER] = "owner",     [BT_DIFF_MTIME] = "mtime",
	[BT_DIFF_LINK] = "symlink",    [BT_DIFF_ERROR] = "error",
	[BT_DIFF_XATTR] = "xattr",
};

const char *bt_diff_kind_name(enum bt_diff_kind kind)
{
	return kind_names[kind];
}

void walk_diff(struct walk *w, enum bt_diff_kind kind, const char *rel, const char *fmt, ...)
{
	char detail[256] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	/* An entry that differs in several ways (mode and mtime) prints a
	 * line for each but counts once, as its one repair does: verify
	 * --repair compares the two counts for its exit status. */
	if (kind == BT_DIFF_ERROR) {
		w->st->errors++;
	} else if (!w->last_diff || strcmp(w->last_diff, rel)) {
		w->st->differences++;
		free(w->last_diff);
		w->last_diff = strdup(rel);
	}
	if (w->o->on_diff)
		w->o->on_diff(w->o->arg, kind, rel, detail);
}

static void progress(struct walk *w)
{
	bt_progress_set(w->o->progress, w->st->entries, w->st->bytes);
}

bool bt_rescan_in_slice(const char *top_name, unsigned slice, unsigned slices)
{
	if (slices == 0)
		return true;
	return XXH3_64bits(top_name, strlen(top_name)) % slices == slice - 1;
}


static int walk_dir(struct walk *w, const char *rel);

static int rewrite_linked(struct walk *w, const char *rel, const struct stat *s);

/* Owner, mode, times and (except on symlinks) xattrs of the source entry. */
static int meta_from_source(struct walk *w, const char *rel, const struct stat *st)
{
	int fd = bt_open_beneath(w->srcfd, rel, O_PATH, 0), rc;

	rc = bt_remote_set_meta(w->r, rel, st, fd, fd >= 0);
	if (fd >= 0)
		close(fd);
	return rc;
}

static bool must_copy(struct walk *w, const char *rel, const struct stat *s)
{
	return w->o->must_copy && w->o->must_copy(w->o->names_arg, rel, s);
}

/* A regular file: linked to the remote copy of its first name when it
 * has one to trust, else copied (and then the copy later names link to). */
static int create_file(struct walk *w, const char *rel, const struct stat *st)
{
	bool outside;
	const char *first = links_first(w, st, rel, &outside);
	int fd, rc;

	if (first && outside)
		links_borrowed(w, first);
	if (first && links_can_link(w, first, outside, st) &&
	    bt_remote_link(w->r, first, rel) == 0) {
		if (must_copy(w, rel, st))
			return rewrite_linked(w, rel, st);
		/* A first name from outside a partial walk was never
		 * compared: its remote inode, ours now too, may miss
		 * metadata whose rows named a name now gone. */
		return w->partial ? meta_from_source(w, rel, st) : 0;
	}
	fd = bt_open_file_beneath(w->srcfd, rel);
	if (walk_changed_meanwhile(fd))
		return 0; /* deleted or replaced meanwhile; its row will come */
	if (fd < 0) {
		walk_diff(w, BT_DIFF_ERROR, rel, "cannot read source: %s", strerror(-fd));
		return 0;
	}
	rc = bt_remote_copy_whole(w->r, fd, st, rel);
	close(fd);
	if (rc == 0)
		links_remember(w, st, rel, first != NULL);
	return rc;
}

/* Creates rel on the remote like the source entry (st). Source read
 * problems are reported and skipped; remote write errors are returned. */
static int create(struct walk *w, const char *rel, const struct stat *st)
{
	char target[PATH_MAX + 1];
	ssize_t n;
	int fd, rc;

	if (S_ISDIR(st->st_mode)) {
		rc = bt_remote_mkdir(w->r, rel, 0700);
		if (rc == 0)
			rc = walk_dir(w, rel);
		return rc ? rc : meta_from_source(w, rel, st);
	}
	if (S_ISREG(st->st_mode))
		return create_file(w, rel, st);
	fd = bt_open_beneath(w->srcfd, rel, O_PATH, 0);
	if (walk_changed_meanwhile(fd))
		return 0; /* gone or replaced meanwhile */
	if (fd < 0)
		return walk_diff(w, BT_DIFF_ERROR, rel, "%s", strerror(-fd)), 0;
	if (S_ISLNK(st->st_mode)) {
		n = readlinkat(fd, "", target, sizeof(target) - 1);
		if (n < 0) {
			/* ENOENT: the name holds no symlink any more (replaced
			 * after the stat): its row will come, as above. */
			rc = errno == ENOENT || errno == EINVAL ? 0 : -errno;
			close(fd);
			return rc;
		}
		target[n] = '\0';
		rc = bt_remote_symlink(w->r, target, rel);
	} else {
		rc = bt_remote_mknod(w->r, rel, st->st_mode, st->st_rdev);
	}
	if (rc == 0) /* symlinks, fifos and devices carry xattrs too */
		rc = bt_remote_set_meta(w->r, rel, st, fd, true);
	close(fd);
	return rc;
}

/* Where an entry lives on both sides: name inside two open directories
 * (name NULL: the directories themselves). */
struct both {
	int sdir, rdir;
	const char *name;
};

static bool xattrs_differ(struct walk *w, const struct both *at, const char *rel)
{
	char what[300];
	bool unsupported = false;
	int rc = bt_xattrs_differ(at->sdir, at->rdir, at->name, &unsupported, what,
				  sizeof(what));

	if (unsupported && !w->r->warned_xattr) {
		w->r->warned_xattr = true;
		bt_warn("the remote filesystem cannot hold extended attributes: not compared "
			"(a known limitation of this remote, not a difference)");
	}
	if (rc > 0)
		walk_diff(w, BT_DIFF_XATTR, rel, "%s", what);
	return rc > 0;
}

/* Metadata differences; returns true if any. */
static bool meta_differs(struct walk *w, const struct both *at, const char *rel,
			 const struct stat *s, const struct stat *r, bool times)
{
	bool d = false;

	if ((s->st_mode & 07777) != (r->st_mode & 07777) && !S_ISLNK(s->st_mode)) {
		walk_diff(w, BT_DIFF_MODE, rel, "source %04o remote %04o", s->st_mode & 07777,
		     r->st_mode & 07777);
		d = true;
	}
	if (w->r->is_root && !w->r->no_owner &&
	    (s->st_uid != r->st_uid || s->st_gid != r->st_gid)) {
		walk_diff(w, BT_DIFF_OWNER, rel, "source %u:%u remote %u:%u", s->st_uid,
		     s->st_gid, r->st_uid, r->st_gid);
		d = true;
	}
	if (times && !bt_remote_same_time(w->r, &s->st_mtim, &r->st_mtim)) {
		walk_diff(w, BT_DIFF_MTIME, rel, "source %lld.%09ld remote %lld.%09ld",
		     (long long)s->st_mtim.tv_sec, s->st_mtim.tv_nsec,
		     (long long)r->st_mtim.tv_sec, r->st_mtim.tv_nsec);
		d = true;
	}
	if (xattrs_differ(w, at, rel))
		d = true;
	return d;
}

struct hash_pair {
	char *rel;
	struct stat s;
	struct stat r;
};

struct dir_walk {
	struct walk *w;
	const char *rel;
	int sdir, rdir;
	struct hash_pair *pairs;
	struct bt_hash_job *jobs;
	size_t npairs, cap;
};

static int fix_meta(struct walk *w, const char *rel, const struct stat *s)
{
	int rc = meta_from_source(w, rel, s);

	if (rc == 0)
		w->st->repaired++;
	return rc;
}

/* A shallow walk does not see a hard-linked file's other names, so it
 * rewrites the remote file in place (they see the new content too) instead
 * of replacing it (which would leave them behind on the old inode). */
static int rewrite_linked(struct walk *w, const char *rel, const struct stat *s)
{
	struct bt_extents all;
	int fd = bt_open_file_beneath(w->srcfd, rel), rc;

	if (walk_changed_meanwhile(fd))
		return 0; /* deleted or replaced meanwhile */
	if (fd < 0)
		return walk_diff(w, BT_DIFF_ERROR, rel, "cannot read source: %s", strerror(-fd)), 0;
	bt_extents_init(&all);
	rc = bt_extents_add(&all, 0, s->st_size ? s->st_size : 1);
	rc = rc ? rc : bt_remote_copy_ranges(w->r, fd, s, rel, &all, -1);
	bt_extents_free(&all);
	close(fd);
	return rc ? rc : meta_from_source(w, rel, s);
}

static int recopy(struct walk *w, const char *rel, const struct stat *s)
{
	const char *first = S_ISREG(s->st_mode) && s->st_nlink > 1 ? links_known(w, s) : NULL;
	int rc;

	/* Unless another name of it is known: then create() links to that. */
	if (w->shallow && S_ISREG(s->st_mode) && s->st_nlink > 1 &&
	    (!first || !strcmp(first, rel))) {
		struct stat r;
		int rfd = bt_open_beneath(w->r->rootfd, rel, O_PATH, 0);
		bool linked = rfd >= 0 && fstat(rfd, &r) == 0 && S_ISREG(r.st_mode) &&
			      r.st_nlink > 1;

		if (rfd >= 0)
			close(rfd);
		if (linked) {
			rc = rewrite_linked(w, rel, s);
			w->st->repaired += rc == 0;
			return rc;
		}
	}
	rc = create(w, rel, s);

	if (rc == 0)
		w->st->repaired++;
	return rc;
}

static int queue_hash(struct dir_walk *d, const char *rel, const struct stat *s,
		      const struct stat *r)
{
	struct hash_pair *p;
	const char *name, *slash;

	if (d->npairs == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 32;
		struct hash_pair *np = realloc(d->pairs, cap * sizeof(*np));
		struct bt_hash_job *j = np ? realloc(d->jobs, 2 * cap * sizeof(*j)) : NULL;

		if (np)
			d->pairs = np;
		if (!j)
			return -ENOMEM;
		d->jobs = j;
		d->cap = cap;
	}
	p = &d->pairs[d->npairs];
	*p = (struct hash_pair){ strdup(rel), *s, *r };
	if (!p->rel)
		return -ENOMEM;
	/* The jobs point into the copy of rel: the caller's name lives in a
	 * reused dirent. */
	slash = strrchr(p->rel, '/');
	name = slash ? slash + 1 : p->rel;
	/* The source is the user's own tree: its devices are never opened. */
	d->jobs[2 * d->npairs] = (struct bt_hash_job){
		.dirfd = d->sdir, .name = name, .no_devices = true };
	d->jobs[2 * d->npairs + 1] = (struct bt_hash_job){
		.dirfd = d->rdir, .name = name, .no_devices = d->w->r->nodev };
	d->npairs++;
	return 0;
}

static int copy_content(struct walk *w, const char *rel, const struct stat *s,
			const struct stat *r);

static int judge_hashes(struct dir_walk *d)
{
	struct walk *w = d->w;
	int rc = 0;

	bt_hash_many(d->jobs, 2 * d->npairs, w->o->threads);
	for (size_t i = 0; i < d->npairs; i++) {
		struct bt_hash_job *s = &d->jobs[2 * i], *r = &d->jobs[2 * i + 1];
		struct hash_pair *p = &d->pairs[i];
		char hs[33], hr[33];

		w->st->hashed_bytes += s->bytes + r->bytes;
		if (rc < 0)
			continue;
		if (walk_changed_meanwhile(s->err))
			continue;
		if (s->err || r->err) {
			walk_diff(w, BT_DIFF_ERROR, p->rel, "cannot hash the %s copy: %s",
			     s->err ? "source" : "remote", strerror(-(s->err ? s->err : r->err)));
			continue;
		}
		if (!bt_hash_equal(&s->out, &r->out)) {
			bt_hash_hex(&s->out, hs);
			bt_hash_hex(&r->out, hr);
			walk_diff(w, BT_DIFF_CONTENT, p->rel, "source %s remote %s", hs, hr);
			/* In place when linked on both sides: the walk has gone
			 * below this directory since, and may have linked other
			 * names to this remote inode already. */
			if (w->o->repair) {
				struct stat now = p->r; /* its links now, not when met */

				fstatat(d->rdir, s->name, &now, AT_SYMLINK_NOFOLLOW);
				rc = copy_content(w, p->rel, &p->s, &now);
			}
		} else if (meta_differs(w, &(struct both){ d->sdir, d->rdir, s->name }, p->rel,
					&p->s, &p->r, true) && w->o->repair) {
			rc = fix_meta(w, p->rel, &p->s);
		}
	}
	return rc;
}

/* The content of rel again, for journaled writes that may have kept size
 * and times: a hard-linked file in place (its other names see it), any
 * other through a fresh copy (the old one goes to the trash). */
static int copy_content(struct walk *w, const char *rel, const struct stat *s,
			const struct stat *r)
{
	int rc;

	if (s->st_nlink > 1 && S_ISREG(r->st_mode) && r->st_nlink > 1)
		rc = rewrite_linked(w, rel, s);
	else
		rc = create(w, rel, s);
	w->st->repaired += rc == 0;
	return rc;
}

/* A name of a hard-linked file whose first name (first) was met before, in
 * this walk or, for a partial walk, outside it (outside): the remote name
 * must be a link of the same inode. */
static int compare_linked(struct dir_walk *d, const char *name, const char *rel,
			  const char *first, bool outside, const struct stat *s,
			  const struct stat *r)
{
	struct walk *w = d->w;
	struct stat fr;
	int fd = bt_open_beneath(w->r->rootfd, first, O_PATH, 0);
	bool linked = fd >= 0 && fstat(fd, &fr) == 0 && fr.st_ino == r->st_ino;

	if (fd >= 0)
		close(fd);
	if (outside)
		links_borrowed(w, first);
	if (!linked) {
		walk_diff(w, BT_DIFF_CONTENT, rel, "not hard-linked to %s on the remote", first);
		return w->o->repair ? recopy(w, rel, s) : 0;
	}
	/* Linked, but to a stale copy: a row that changed the first name
	 * outside the walk raced it. This name gets a copy of its own, which
	 * the group is made whole around at the end (links_mend). */
	if (!links_can_link(w, first, outside, s)) {
		walk_diff(w, BT_DIFF_CONTENT, rel, "%s's remote copy is not the source's", first);
		return w->o->repair ? recopy(w, rel, s) : 0;
	}
	if (must_copy(w, rel, s)) {
		walk_diff(w, BT_DIFF_CONTENT, rel, "written since the remote copy was made");
		return w->o->repair ? rewrite_linked(w, rel, s) : 0;
	}
	/* The first name may lie outside a partial walk, never compared: the
	 * inode's mode, owner and times are checked here too (a few stats). */
	if (w->partial &&
	    meta_differs(w, &(struct both){ d->sdir, d->rdir, name }, rel, s, r, false) &&
	    w->o->repair)
		return fix_meta(w, rel, s);
	return 0;
}

static int compare_file(struct dir_walk *d, const char *name, const char *rel,
			const struct stat *s, const struct stat *r)
{
	struct walk *w = d->w;
	bool outside;
	const char *first = links_first(w, s, rel, &outside);

	if (first)
		return compare_linked(d, name, rel, first, outside, s, r);
	links_remember(w, s, rel, false);
	if (must_copy(w, rel, s)) {
		walk_diff(w, BT_DIFF_CONTENT, rel, "written since the remote copy was made");
		return w->o->repair ? copy_content(w, rel, s, r) : 0;
	}
	if (s->st_size != r->st_size) {
		walk_diff(w, BT_DIFF_SIZE, rel, "source %lld remote %lld", (long long)s->st_size,
		     (long long)r->st_size);
		return w->o->repair ? recopy(w, rel, s) : 0;
	}
	if (w->o->mode == BT_CMP_HASH)
		return queue_hash(d, rel, s, r);
	if (!bt_remote_same_time(w->r, &s->st_mtim, &r->st_mtim)) {
		walk_diff(w, BT_DIFF_MTIME, rel, "source %lld.%09ld remote %lld.%09ld",
		     (long long)s->st_mtim.tv_sec, s->st_mtim.tv_nsec,
		     (long long)r->st_mtim.tv_sec, r->st_mtim.tv_nsec);
		/* Same size, other time: the content may differ too. */
		return w->o->repair ? recopy(w, rel, s) : 0;
	}
	if (meta_differs(w, &(struct both){ d->sdir, d->rdir, name }, rel, s, r, false) &&
	    w->o->repair)
		return fix_meta(w, rel, s);
	return 0;
}

static int compare_other(struct dir_walk *d, const char *name, const char *rel,
			 const struct stat *s, const struct stat *r)
{
	struct walk *w = d->w;
	char ts[PATH_MAX + 1], tr[PATH_MAX + 1];
	ssize_t ns, nr;
	int sfd, rfd;

	if (S_ISLNK(s->st_mode)) {
		sfd = bt_open_beneath(w->srcfd, rel, O_PATH, 0);
		rfd = bt_open_beneath(w->r->rootfd, rel, O_PATH, 0);
		ns = sfd < 0 ? -1 : readlinkat(sfd, "", ts, sizeof(ts) - 1);
		nr = rfd < 0 ? -1 : readlinkat(rfd, "", tr, sizeof(tr) - 1);
		if (sfd >= 0)
			close(sfd);
		if (rfd >= 0)
			close(rfd);
		if (ns < 0)
			return 0; /* vanished */
		ts[ns] = '\0';
		tr[nr < 0 ? 0 : nr] = '\0';
		if (strcmp(ts, tr)) {
			walk_diff(w, BT_DIFF_LINK, rel, "source -> %s remote -> %s", ts, tr);
			return w->o->repair ? recopy(w, rel, s) : 0;
		}
	} else if (s->st_rdev != r->st_rdev) {
		walk_diff(w, BT_DIFF_TYPE, rel, "device numbers differ");
		return w->o->repair ? recopy(w, rel, s) : 0;
	}
	/* Symlinks, fifos, sockets and devices have times to mirror too. */
	if (meta_differs(w, &(struct both){ d->sdir, d->rdir, name }, rel, s, r, true) &&
	    w->o->repair)
		return fix_meta(w, rel, s);
	return 0;
}

/* Entries below the directory rel of one tree, for the counts of what a
 * repair would remove and create (report mode only: a repair retires or
 * copies the directory whole). */
static int64_t count_below(int rootfd, const char *rel)
{
	struct bt_listing l;
	struct stat st;
	int64_t n = 0;
	int dfd;

	if (bt_listing_read(rootfd, rel, &l) < 0)
		return 0;
	dfd = bt_open_beneath(rootfd, rel, O_PATH | O_DIRECTORY, 0);
	for (size_t i = 0; dfd >= 0 && i < l.n; i++) {
		char *sub = bt_path_join(rel, l.names[i]);

		n++;
		if (sub && fstatat(dfd, l.names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode))
			n += count_below(rootfd, sub);
		free(sub);
	}
	if (dfd >= 0)
		close(dfd);
	bt_listing_free(&l);
	return n;
}

/* A remote entry that a repair would move to the trash (a repair too
 * counts what is below: the mirror count follows what it removes). */
static void doomed(struct walk *w, const char *rel, const struct stat *r)
{
	int64_t below = S_ISDIR(r->st_mode) ? count_below(w->r->rootfd, rel) : 0;

	w->st->doomed += 1 + below;
	if (!w->o->repair)
		w->st->remote_entries += below;
}

/* A source entry that a repair would copy to the remote. */
static void created(struct walk *w, const char *rel, const struct stat *s)
{
	w->st->created += 1 + (!w->o->repair && S_ISDIR(s->st_mode) ?
			       count_below(w->srcfd, rel) : 0);
}

static int compare(struct dir_walk *d, const char *name, const char *rel,
		   const struct stat *s, const struct stat *r)
{
	struct walk *w = d->w;
	int rc;

	if ((s->st_mode & S_IFMT) != (r->st_mode & S_IFMT)) {
		walk_diff(w, BT_DIFF_TYPE, rel, "source %o remote %o", s->st_mode & S_IFMT,
		     r->st_mode & S_IFMT);
		doomed(w, rel, r);
		created(w, rel, s);
		if (!w->o->repair)
			return 0;
		rc = bt_remote_retire(w->r, rel);
		return rc ? rc : recopy(w, rel, s);
	}
	if (S_ISDIR(s->st_mode)) {
		struct stat now = *r;

		rc = w->shallow ? 0 : walk_dir(w, rel);
		/* Repairs inside changed the remote directory's times. */
		if (rc == 0 && fstatat(d->rdir, name, &now, AT_SYMLINK_NOFOLLOW) < 0)
			now = *r;
		if (rc == 0 &&
		    meta_differs(w, &(struct both){ d->sdir, d->rdir, name }, rel, s, &now, true) &&
		    w->o->repair)
			rc = fix_meta(w, rel, s);
		return rc;
	}
	if (S_ISREG(s->st_mode))
		return compare_file(d, name, rel, s, r);
	return compare_other(d, name, rel, s, r);
}

/* A top-level name outside the slice being walked: not looked at. */
static bool other_slice(const struct dir_walk *d, const char *name)
{
	return *d->rel == '\0' && !bt_rescan_in_slice(name, d->w->o->slice, d->w->o->slices);
}

/* One name, present on one side or both. */
static int visit(struct dir_walk *d, const char *name, bool in_src, bool in_rem)
{
	struct walk *w = d->w;
	struct stat s, r;
	char *rel = bt_path_join(d->rel, name);
	int rc = 0;

	if (other_slice(d, name)) {
		free(rel);
		return 0;
	}
	if (!rel)
		return -ENOMEM;
	if (w->o->leave && w->o->leave(w->o->leave_arg, rel)) {
		w->st->left++;
		free(rel);
		return 0;
	}
	if (in_src && fstatat(d->sdir, name, &s, AT_SYMLINK_NOFOLLOW) < 0)
		in_src = false; /* vanished since the listing */
	if (in_src && w->partial && S_ISREG(s.st_mode) && s.st_nlink > 1 &&
	    links_met(w, &s) < 0) {
		free(rel);
		return -ENOMEM;
	}
	if (in_rem && fstatat(d->rdir, name, &r, AT_SYMLINK_NOFOLLOW) < 0)
		in_rem = false;
	w->st->remote_entries += in_rem;
	if (in_src) {
		w->st->entries++;
		if (S_ISREG(s.st_mode))
			w->st->bytes += s.st_size;
	}
	if (in_src && !in_rem) {
		walk_diff(w, BT_DIFF_MISSING, rel, NULL);
		created(w, rel, &s);
		if (w->o->repair)
			rc = recopy(w, rel, &s);
	} else if (!in_src && in_rem) {
		walk_diff(w, BT_DIFF_EXTRA, rel, NULL);
		doomed(w, rel, &r);
		if (w->o->repair && (rc = bt_remote_retire(w->r, rel)) == 0)
			w->st->repaired++;
	} else if (in_src) {
		rc = compare(d, name, rel, &s, &r);
	}
	if (rc < 0 && !w->st->stopped_at[0])
		bt_path_printable(rel, w->st->stopped_at, sizeof(w->st->stopped_at));
	free(rel);
	progress(w);
	return rc;
}

/* The hash queue and both directories of one directory's visit. */
static void dir_walk_free(struct dir_walk *d)
{
	for (size_t p = 0; p < d->npairs; p++)
		free(d->pairs[p].rel);
	free(d->pairs);
	free(d->jobs);
	if (d->sdir >= 0)
		close(d->sdir);
	if (d->rdir >= 0)
		close(d->rdir);
}

static int walk_dir(struct walk *w, const char *rel)
{
	struct bt_listing sl, rl = { 0 };
	struct dir_walk d = { .w = w, .rel = rel, .sdir = -1, .rdir = -1 };
	size_t i = 0, k = 0;
	int rc;

	rc = bt_listing_read(w->srcfd, rel, &sl);
	if (walk_changed_meanwhile(rc))
		return 0;
	if (rc < 0) {
		walk_diff(w, BT_DIFF_ERROR, *rel ? rel : ".", "cannot list source: %s", strerror(-rc));
		/* A repair that could not see part of the source must not
		 * count as done (a dead FUSE mount says ENOTCONN here). */
		return w->o->repair ? rc : 0;
	}
	rc = bt_listing_read(w->r->rootfd, rel, &rl);
	d.sdir = bt_open_beneath(w->srcfd, rel, O_PATH | O_DIRECTORY, 0);
	d.rdir = bt_open_beneath(w->r->rootfd, rel, O_PATH | O_DIRECTORY, 0);
	if (rc < 0 || d.sdir < 0 || d.rdir < 0) {
		rc = rc < 0 ? rc : d.rdir < 0 ? d.rdir : 0;
		goto out; /* the remote directory went away under us */
	}
	while (rc == 0 && (i < sl.n || k < rl.n)) {
		int c = i == sl.n ? 1 : k == rl.n ? -1 : strcmp(sl.names[i], rl.names[k]);

		if (c < 0)
			rc = visit(&d, sl.names[i++], true, false);
		else if (c > 0)
			rc = visit(&d, rl.names[k++], false, true);
		else {
			rc = visit(&d, sl.names[i], true, true);
			i++, k++;
		}
	}
	if (d.npairs) {
		int hrc = judge_hashes(&d);

		rc = rc ? rc : hrc;
	}
out:
	dir_walk_free(&d);
	bt_listing_free(&sl);
	bt_listing_free(&rl);
	return rc;
}

static int rescan_root(struct walk *w, bool deep);

/* What a walk remembered: the names of hard-linked files, the last diff. */
static void walk_free(struct walk *w)
{
	links_free(w);
	free(w->last_diff);
}

int bt_rescan(struct bt_remote *r, int srcfd, const struct bt_rescan_opts *o,
	      struct bt_rescan_stats *st)
{
	struct walk w = { .r = r, .srcfd = srcfd, .o = o, .st = st };
	int rc;

	memset(st, 0, sizeof(*st));
	rc = rescan_root(&w, true);
	progress(&w);
	walk_free(&w);
	return rc;
}

/* One directory of a shallow walk: its entries, then its own metadata. */
static int shallow_dir(struct walk *w, const char *rel)
{
	int sfd = -1, rfd = -1, rc;
	struct stat s, rs;

	rc = walk_dir(w, rel);
	if (rc == 0) {
		sfd = bt_open_beneath(w->srcfd, rel, O_PATH | O_DIRECTORY, 0);
		rfd = bt_open_beneath(w->r->rootfd, rel, O_PATH | O_DIRECTORY, 0);
	}
	if (sfd >= 0 && rfd >= 0 && fstat(sfd, &s) == 0 && fstat(rfd, &rs) == 0 &&
	    meta_differs(w, &(struct both){ sfd, rfd, NULL }, rel, &s, &rs, true) &&
	    w->o->repair) {
		rc = bt_remote_set_meta(w->r, rel, &s, sfd, true);
		w->st->repaired += rc == 0;
	}
	if (sfd >= 0)
		close(sfd);
	if (rfd >= 0)
		close(rfd);
	return rc;
}

int bt_rescan_dirs(struct bt_remote *r, int srcfd, char *const *rels, size_t n,
		   const struct bt_rescan_opts *o, struct bt_rescan_stats *st,
		   size_t *failed_at)
{
	/* One walk for all: names of a hard-linked file in different
	 * directories are linked, not copied twice. */
	struct walk w = { .r = r, .srcfd = srcfd, .o = o, .st = st, .shallow = true };
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		rc = shallow_dir(&w, rels[i]);
		if (rc == -ENOENT || rc == -ENOTDIR || rc == -ELOOP)
			rc = 0; /* gone on one side: left to its parent, listed before */
		if (rc < 0) {
			*failed_at = i;
			break;
		}
	}
	walk_free(&w);
	return rc;
}

/* The metadata of a walked name's directory, after repairs inside it. */
static int parent_times(struct walk *w, struct dir_walk *d)
{
	struct stat s, r;

	if (fstat(d->sdir, &s) < 0 || fstat(d->rdir, &r) < 0 ||
	    !meta_differs(w, &(struct both){ d->sdir, d->rdir, NULL }, d->rel, &s, &r, true) ||
	    !w->o->repair)
		return 0;
	return fix_meta(w, d->rel, &s);
}

/* One name of bt_rescan_names, from its parent directories. */
static int rescan_one(struct walk *w, const char *rel, bool deep)
{
	struct dir_walk d = { .w = w, .sdir = -1, .rdir = -1 };
	char *parent = bt_path_dirname(rel);
	const char *leaf = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	int64_t repaired = w->st->repaired;
	struct stat s;
	int rc;

	if (!parent)
		return -ENOMEM;
	d.rel = parent;
	d.sdir = bt_open_beneath(w->srcfd, parent, O_PATH | O_DIRECTORY, 0);
	d.rdir = d.sdir < 0 ? -1 : bt_open_beneath(w->r->rootfd, parent, O_PATH | O_DIRECTORY, 0);
	rc = d.sdir < 0 ? d.sdir : d.rdir < 0 ? d.rdir : 0;
	if (rc == 0) {
		w->shallow = !deep;
		rc = visit(&d, leaf, true, true);
		if (rc == 0 && d.npairs)
			rc = judge_hashes(&d);
		/* A directory compared alone: its entries too, one level. */
		if (rc == 0 && !deep && fstatat(d.sdir, leaf, &s, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(s.st_mode))
			rc = shallow_dir(w, rel);
		/* Repairs in it changed the remote directory's times. */
		if (rc == 0 && w->st->repaired != repaired)
			rc = parent_times(w, &d);
	}
	dir_walk_free(&d);
	free(parent);
	return rc;
}

/* The whole tree from the root, like bt_rescan, or its entries only. */
static int rescan_root(struct walk *w, bool deep)
{
	struct stat s, rs;
	int rc;

	w->shallow = !deep;
	if (!deep)
		return shallow_dir(w, "");
	rc = walk_dir(w, "");
	if (w->o->slices && w->o->slice != 1)
		return rc; /* the root's own metadata is slice 1's */
	if (rc == 0 && fstat(w->srcfd, &s) == 0 && fstat(w->r->rootfd, &rs) == 0 &&
	    meta_differs(w, &(struct both){ w->srcfd, w->r->rootfd, NULL }, "", &s, &rs, true) &&
	    w->o->repair) {
		rc = bt_remote_set_meta(w->r, "", &s, w->srcfd, true);
		w->st->repaired += rc == 0;
	}
	return rc;
}

/* Not a directory on one side, or a symlink on the way there. */
static bool parent_diverged(int rc)
{
	return rc == -ENOENT || rc == -ENOTDIR || rc == -ELOOP;
}

int bt_rescan_names(struct bt_remote *r, int srcfd, char *const *rels, const bool *deep,
		    size_t n, const struct bt_rescan_opts *o, struct bt_rescan_stats *st,
		    size_t *failed_at)
{
	/* The whole tree alone needs no other names. */
	struct walk w = { .r = r, .srcfd = srcfd, .o = o, .st = st,
			  .partial = !(n == 1 && !*rels[0] && deep[0]) };
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n; i++) {
		char *rel = strdup(rels[i]);
		bool d = deep[i];

		rc = rel ? 0 : -ENOMEM;
		while (rc == 0) {
			char *up;

			rc = *rel ? rescan_one(&w, rel, d) : rescan_root(&w, d);
			if (!*rel || !parent_diverged(rc))
				break;
			/* The path to it is not what the source has: compare
			 * from the directory above, whole. */
			bt_debug("compare %s: its directory differs; comparing %s", rel,
				 strchr(rel, '/') ? "its parent" : "the root");
			up = bt_path_dirname(rel);
			free(rel);
			rel = up;
			rc = rel ? 0 : -ENOMEM;
			d = true;
			if (rel && o->widened)
				o->widened(o->names_arg, rel);
		}
		free(rel);
		if (rc < 0)
			*failed_at = i;
	}
	if (rc == 0 && w.seeded)
		rc = links_mend(&w);
	progress(&w);
	walk_free(&w);
	return rc;
}
