/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The trash: what a sync deletes or overwrites is renamed into
 * .btsoot/trash/<run>/<rel>, on the remote's own filesystem, so an
 * accidental rm -rf on the source never destroys the mirror.
 *
 * A run folder .btsoot/trash/<run>/ holds:
 *   <rel>                    the first entry retired at rel in this run: what
 *                            rel held before the run (restore --as-of reads it)
 *   .btsoot/later/<k>/<rel>  an entry retired at rel again in the same run
 *                            (k = 1, 2...), or one whose directory's name is
 *                            held by a file in every tree below k
 *   .btsoot/parked/xchg-<n>  an exchange's parking spot no exchange will finish
 *   .btsoot/log              what the run did, in order: records of three
 *                            NUL-terminated fields, "T" rel slot (retired rel
 *                            to slot, relative to the run folder), "R" from to
 *                            (renamed), "X" a b (exchanged)
 * ".btsoot" is reserved at the block root, so no retired entry has that name
 * at the top of a run folder: the layout is unambiguous. Run folders written
 * before it have no .btsoot; there "x~N" next to "x" is a later version of x,
 * and restore still reads them so.
 */
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "btsoot/log.h"
#include "btsoot/pathsafe.h"
#include "listing.h"
#include "remote_priv.h"
#include "strv.h"

/* Directories the trash makes to hold what is retired below them carry
 * this mode (sticky: a retired directory rarely has exactly it), so a
 * directory retired after its children can take their container's place.
 * A remote that drops the sticky bit only loses that merge. */
#define CONTAINER_MODE (S_ISVTX | 0700)

/* The log of this run (see the layout above): opened with the run folder,
 * so valid exactly when r->trashfd is. */
static int open_log(struct bt_remote *r)
{
	if (mkdirat(r->trashfd, BT_REMOTE_AREA, 0700) < 0 && errno != EEXIST)
		return -errno;
	r->logfd = bt_open_beneath(r->trashfd, BT_REMOTE_AREA "/log",
				   O_WRONLY | O_APPEND | O_CREAT, 0600);
	return r->logfd < 0 ? r->logfd : 0;
}

static int open_run_dir(struct bt_remote *r)
{
	int tfd, rc;

	if (r->trashfd >= 0)
		return 0;
	if (mkdirat(r->areafd, "trash", 0700) < 0 && errno != EEXIST)
		return -errno;
	tfd = bt_open_beneath(r->areafd, "trash", O_PATH | O_DIRECTORY, 0);
	if (tfd < 0)
		return tfd;
	if (mkdirat(tfd, r->run, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		close(tfd);
		return rc;
	}
	r->trashfd = bt_open_beneath(tfd, r->run, O_PATH | O_DIRECTORY, 0);
	close(tfd);
	if (r->trashfd < 0)
		return r->trashfd;
	rc = open_log(r);
	if (rc < 0) {
		close(r->trashfd);
		r->trashfd = -1;
	}
	return rc;
}

void bt_trash_log(struct bt_remote *r, char kind, const char *a, const char *b)
{
	static bool warned;
	size_t na = strlen(a) + 1, nb = strlen(b) + 1;
	char *rec = malloc(2 + na + nb);
	int rc = rec ? open_run_dir(r) : -ENOMEM;

	if (rc == 0) {
		rec[0] = kind;
		rec[1] = '\0';
		memcpy(rec + 2, a, na);
		memcpy(rec + 2 + na, b, nb);
		/* One write per record (O_APPEND): a crash leaves at most a
		 * truncated last record, which the reader ignores. */
		if (write(r->logfd, rec, 2 + na + nb) != (ssize_t)(2 + na + nb))
			rc = errno ? -errno : -EIO;
	}
	free(rec);
	if (rc < 0 && !warned) {
		warned = true; /* the log only helps restore --as-of follow renames */
		bt_warn("cannot write the trash log of run %s: %s; restore --as-of may not follow "
			"this run's renames", r->run, strerror(-rc));
	}
}

/* mkdir -p of dir beneath base; returns an fd of the deepest directory, or
 * -ENOTDIR/-ELOOP when something else holds one of its names. */
static int mkdirs_beneath(int base, const char *dir)
{
	char *copy = strdup(dir), *save = NULL, *comp;
	int fd = copy ? fcntl(base, F_DUPFD_CLOEXEC, 0) : -1, rc = 0;

	if (!copy || fd < 0) {
		free(copy);
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	for (comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		int next;

		if (mkdirat(fd, comp, CONTAINER_MODE) < 0 && errno != EEXIST) {
			rc = -errno;
			break;
		}
		next = bt_open_beneath(fd, comp, O_PATH | O_DIRECTORY, 0);
		close(fd);
		fd = next;
		if (fd < 0) {
			rc = fd;
			break;
		}
	}
	free(copy);
	if (rc < 0) {
		if (fd >= 0)
			close(fd);
		return rc;
	}
	return fd;
}

/* The slot of the last bt_trash_slot, relative to the run folder, for the
 * log (the remote is used by one thread). */
static char last_slot[PATH_MAX + 64];

/* Tree k of the run folder: 0 is the run folder itself, k > 0 is
 * .btsoot/later/<k>. Returns an fd of rel's directory in it. */
static int tree_dir(struct bt_remote *r, int k, const char *dir)
{
	char sub[64];
	int root, dfd;

	if (k == 0)
		return mkdirs_beneath(r->trashfd, dir);
	snprintf(sub, sizeof(sub), BT_REMOTE_AREA "/later/%d", k);
	root = mkdirs_beneath(r->trashfd, sub);
	if (root < 0)
		return root;
	dfd = mkdirs_beneath(root, dir);
	close(root);
	return dfd;
}

/* 0 if leaf is free in dfd, -EEXIST if taken, else -errno. */
static int name_free(int dfd, const char *leaf)
{
	struct stat st;

	if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return -EEXIST;
	return errno == ENOENT ? 0 : -errno;
}

int bt_trash_slot(struct bt_remote *r, const char *rel, char *name, size_t len)
{
	const char *slash = strrchr(rel, '/');
	const char *leaf = slash ? slash + 1 : rel;
	char *dir = slash ? strndup(rel, (size_t)(slash - rel)) : strdup("");
	int rc = dir ? open_run_dir(r) : -ENOMEM, dfd = rc, k;

	/* The first tree where rel's directories are directories and its
	 * name is free: a name retired again in this run goes one tree up. */
	for (k = 0; rc == 0 && k < 100000; k++) {
		dfd = tree_dir(r, k, dir);
		if (dfd == -ENOTDIR || dfd == -ELOOP)
			continue; /* an entry retired earlier holds a directory's name */
		rc = dfd < 0 ? dfd : name_free(dfd, leaf);
		if (rc == 0)
			break;
		if (dfd >= 0)
			close(dfd);
		dfd = rc;
		if (rc == -EEXIST)
			rc = 0;
	}
	free(dir);
	if (rc < 0 || dfd < 0)
		return rc < 0 ? rc : -EEXIST;
	if (k)
		snprintf(last_slot, sizeof(last_slot), BT_REMOTE_AREA "/later/%d/%s", k, rel);
	else
		snprintf(last_slot, sizeof(last_slot), "%s", rel);
	snprintf(name, len, "%s", leaf);
	return dfd;
}

void bt_trash_noted(struct bt_remote *r, const char *rel)
{
	bt_trash_log(r, 'T', rel, last_slot);
}

/* The container tree 0 holds at rel (see CONTAINER_MODE), else -1. */
static int container_at(struct bt_remote *r, const char *rel)
{
	struct stat st;
	int fd = open_run_dir(r) < 0 ? -1 : bt_open_beneath(r->trashfd, rel, O_PATH | O_DIRECTORY, 0);

	if (fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 07777) == CONTAINER_MODE &&
	    st.st_uid == geteuid())
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The directory (pfd, leaf) is retired after entries below it were (rm -rf
 * retires the children first), which tree 0 holds in a container: they move
 * into the directory, which then takes the container's place, so tree 0
 * has the directory as it was, with its own mode and times. Its own entries
 * of those names are later versions: they go to a later tree first. A crash
 * halfway leaves some of them in the directory: the retry moves the rest. */
static int adopt_container(struct bt_remote *r, int cfd, int pfd, const char *leaf,
			   const char *rel)
{
	struct bt_listing l = { 0 };
	const char *cleaf;
	int dfd = bt_open_beneath(pfd, leaf, O_PATH | O_DIRECTORY, 0), tp = -1;
	int rc = dfd < 0 ? dfd : bt_listing_read(r->trashfd, rel, &l);

	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		char *sub = bt_path_join(rel, l.names[i]);

		rc = sub ? bt_retire_at(r, dfd, l.names[i], sub) : -ENOMEM;
		if (rc == 0 && renameat(cfd, l.names[i], dfd, l.names[i]) < 0 && errno != ENOENT)
			rc = -errno;
		free(sub);
	}
	if (rc == 0)
		tp = bt_open_parent(r->trashfd, rel, &cleaf);
	if (rc == 0)
		rc = tp < 0 ? tp : unlinkat(tp, cleaf, AT_REMOVEDIR) < 0 ? -errno : 0;
	if (tp >= 0)
		close(tp);
	if (dfd >= 0)
		close(dfd);
	bt_listing_free(&l);
	return rc;
}

int bt_retire_at(struct bt_remote *r, int pfd, const char *leaf, const char *rel)
{
	char name[NAME_MAX + 1];
	struct stat st;
	int dfd, rc = 0;

	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode) && (dfd = container_at(r, rel)) >= 0) {
		rc = adopt_container(r, dfd, pfd, leaf, rel);
		close(dfd);
		if (rc < 0)
			return rc;
	}
	dfd = bt_trash_slot(r, rel, name, sizeof(name));
	if (dfd < 0)
		return dfd;
	bt_debug("remote: retire %s (ino %llu) to the trash", rel, (unsigned long long)st.st_ino);
	bt_remote_tick(r);
	if (renameat(pfd, leaf, dfd, name) < 0) {
		rc = -errno;
	} else {
		r->st.retired++;
		bt_trash_noted(r, rel);
	}
	close(dfd);
	return rc;
}

int bt_remote_retire(struct bt_remote *r, const char *rel)
{
	const char *leaf;
	int pfd = bt_open_parent(r->rootfd, rel, &leaf), rc;

	if (pfd == -ENOENT)
		return 0; /* its directory is gone already */
	if (pfd < 0)
		return pfd;
	rc = bt_retire_at(r, pfd, leaf, rel);
	close(pfd);
	return rc;
}

int bt_remote_remove(struct bt_remote *r, const char *rel)
{
	return bt_remote_retire(r, rel);
}

/* ---- Pruning ---------------------------------------------------------
 *
 * What lies in the trash came from the remote, which others can write:
 * it is untrusted. Every step is an *at() call on a descriptor reached by
 * descending with O_NOFOLLOW from the trash itself, a symlink is unlinked
 * like a file, and a directory on another filesystem (a mount point) stops
 * the run folder rather than being emptied. To climb back up, ".." is
 * opened and must be the very directory (device, inode) we came down from,
 * so a directory moved elsewhere meanwhile is never emptied from outside.
 */

bool bt_trash_run_time(const char *name, time_t *when)
{
	struct tm tm = { 0 }, back;
	time_t t;

	if (strlen(name) != 16 || name[8] != 'T' || name[15] != 'Z')
		return false;
	for (int i = 0; i < 15; i++)
		if (i != 8 && (name[i] < '0' || name[i] > '9'))
			return false;
	sscanf(name, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	       &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	back = tm;
	t = timegm(&back);
	/* timegm normalises 20261341 into a real date: refuse what moved. */
	if (t == (time_t)-1 || back.tm_year != tm.tm_year || back.tm_mon != tm.tm_mon ||
	    back.tm_mday != tm.tm_mday || back.tm_hour != tm.tm_hour ||
	    back.tm_min != tm.tm_min || back.tm_sec != tm.tm_sec)
		return false;
	*when = t;
	return true;
}

/* One directory level on the way down. */
struct frame {
	dev_t dev;
	ino_t ino;
	char *name;     /* its name in the level above */
	struct bt_strv subdirs; /* found by the last scan, still to empty */
};

struct prune {
	struct frame *v;
	size_t depth, cap;
	dev_t rootdev;
	int cur; /* descriptor of v[depth - 1] */
};

static void free_frame(struct frame *f)
{
	bt_strv_free(&f->subdirs);
	free(f->name);
}

/* Unlinks every non-directory of the current level and queues its
 * subdirectories; *seen counts the entries met. Entries vanishing meanwhile
 * are fine. Removing while reading may make some filesystems (NFS, SMB)
 * skip names, which is why the caller scans again until a scan sees none. */
static int scan_level(struct prune *p, int *seen)
{
	struct frame *f = &p->v[p->depth - 1];
	DIR *d = bt_opendir_beneath(p->cur, "");
	struct dirent *e;
	struct stat st;
	int rc = 0;

	*seen = 0;
	if (!d)
		return -errno;
	for (errno = 0; rc == 0 && (e = readdir(d)); errno = 0) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		(*seen)++;
		if (fstatat(p->cur, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			rc = errno == ENOENT ? 0 : -errno;
		else if (S_ISDIR(st.st_mode))
			rc = bt_strv_push(&f->subdirs, e->d_name);
		else if (unlinkat(p->cur, e->d_name, 0) < 0 && errno != ENOENT)
			rc = -errno;
	}
	if (rc == 0 && errno)
		rc = -errno;
	closedir(d);
	return rc;
}

static int push_frame(struct prune *p, int fd, const char *name)
{
	struct stat st;
	struct frame *f;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (p->depth && st.st_dev != p->rootdev)
		return -EXDEV; /* a mount point inside the trash: not ours to empty */
	if (p->depth == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct frame *v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	f = &p->v[p->depth];
	*f = (struct frame){ .dev = st.st_dev, .ino = st.st_ino, .name = strdup(name) };
	if (!f->name)
		return -ENOMEM;
	if (!p->depth)
		p->rootdev = st.st_dev;
	p->depth++;
	return 0;
}

/* Into subdirectory name of the current level (which may meanwhile be gone,
 * or have become something else: then it is simply unlinked). */
static int go_down(struct prune *p, const char *name)
{
	int fd = openat(p->cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc;

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 && (errno == ENOTDIR || errno == ELOOP))
		return unlinkat(p->cur, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	if (fd < 0)
		return -errno;
	rc = push_frame(p, fd, name);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	close(p->cur);
	p->cur = fd;
	return 0;
}

/* Back to the level above (which must be the one we came from) and
 * removes the now empty level we left. */
static int go_up(struct prune *p)
{
	struct frame *f = &p->v[p->depth - 1], *up = &p->v[p->depth - 2];
	int fd = openat(p->cur, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_dev != up->dev || st.st_ino != up->ino) {
		close(fd);
		return -ESTALE; /* moved while we were inside: stop here */
	}
	close(p->cur);
	p->cur = fd;
	if (unlinkat(fd, f->name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = -errno;
	free_frame(f);
	p->depth--;
	return rc;
}

/* Empties one level step: scan it, or enter its next subdirectory, or
 * leave it when a scan found it empty. Sets *done at the run folder's end. */
static int prune_step(struct prune *p, bool *done)
{
	struct frame *f = &p->v[p->depth - 1];
	int seen, rc;

	if (f->subdirs.n) {
		char *name = f->subdirs.v[--f->subdirs.n];

		rc = go_down(p, name);
		free(name);
		return rc;
	}
	rc = scan_level(p, &seen);
	if (rc < 0 || seen)
		return rc;
	if (p->depth == 1) {
		*done = true;
		return 0;
	}
	return go_up(p);
}

/* Removes the run folder run (any type) from the trash (trashfd). */
static int remove_run(int trashfd, const char *run)
{
	struct prune p = { .cur = -1 };
	bool done = false;
	int rc;

	p.cur = openat(trashfd, run, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (p.cur < 0 && (errno == ENOTDIR || errno == ELOOP))
		return unlinkat(trashfd, run, 0) < 0 ? -errno : 0; /* planted, not a run */
	if (p.cur < 0)
		return -errno;
	rc = push_frame(&p, p.cur, run);
	while (rc == 0 && !done)
		rc = prune_step(&p, &done);
	close(p.cur);
	if (rc == 0 && unlinkat(trashfd, run, AT_REMOVEDIR) < 0)
		rc = -errno;
	for (size_t i = 0; i < p.depth; i++)
		free_frame(&p.v[i]);
	free(p.v);
	return rc;
}

static bool run_expired(const struct bt_remote *r, const char *name, int keep_days,
			time_t now)
{
	time_t when;

	if (!bt_trash_run_time(name, &when) || !strcmp(name, r->run))
		return false;
	return keep_days == 0 || (int64_t)when < (int64_t)now - (int64_t)keep_days * 86400;
}

/* The expired run names, read before anything is removed. */
static int expired_runs(struct bt_remote *r, int tfd, int keep_days, time_t now,
			struct bt_strv *list)
{
	DIR *d = bt_opendir_beneath(tfd, "");
	struct dirent *e;
	int rc = 0;

	if (!d)
		return -errno;
	for (errno = 0; rc == 0 && (e = readdir(d)); errno = 0)
		if (run_expired(r, e->d_name, keep_days, now))
			rc = bt_strv_push(list, e->d_name);
	if (rc == 0 && errno)
		rc = -errno;
	closedir(d);
	return rc;
}

int bt_trash_prune(struct bt_remote *r, int keep_days, time_t now, int64_t *removed)
{
	struct bt_strv list = { 0 };
	int tfd, rc;

	*removed = 0;
	if (keep_days < 0)
		return -EINVAL;
	tfd = bt_open_beneath(r->areafd, "trash", O_RDONLY | O_DIRECTORY, 0);
	if (tfd == -ENOENT)
		return 0; /* nothing was ever retired */
	if (tfd < 0)
		return tfd;
	rc = expired_runs(r, tfd, keep_days, now, &list);
	for (size_t i = 0; i < list.n; i++) {
		int one = remove_run(tfd, list.v[i]);

		if (one == 0)
			(*removed)++;
		else if (rc == 0)
			rc = one; /* the others are still pruned */
	}
	bt_strv_free(&list);
	close(tfd);
	return rc;
}
