/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The restore walk (contract in restore.h): directories merged across the
 * layers, each name taken from the first layer that holds it, written into
 * the target without ever deleting or overwriting what differs there.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btsoot/hash.h"
#include "btsoot/log.h"
#include "btsoot/pathsafe.h"
#include "listing.h"
#include "restore.h"

#define ASIDE ".btsoot-before-restore-"

struct bt_restore_link {
	dev_t dev;
	ino_t ino;
	char *rel; /* where the target got its first name */
};

/* One entry of a layer, open O_PATH (fd) with its lstat. */
struct src {
	size_t layer;
	int fd;
	struct stat st;
};

/* ---- Reading the layers ---- */

static void progress(struct bt_restore *rs, bool last)
{
	/* the in-place preview's walk: its list is the output */
	if (rs->preview || rs->counting)
		return;
	if (last)
		bt_progress_end(&rs->prog);
	else
		bt_progress_set(&rs->prog, rs->st.restored + rs->st.unchanged,
				rs->st.bytes + rs->st.unchanged_bytes);
}

static int open_src(struct bt_restore *rs, size_t layer, const char *rel, struct src *s)
{
	bool left_out;
	char *at = bt_restore_layer_rel(rs, layer, rel, &left_out);

	s->layer = layer;
	s->fd = !at ? (left_out ? -ENOENT : -ENOMEM) :
		      bt_open_beneath(rs->layers[layer], at, O_PATH, 0);
	free(at);
	if (s->fd < 0)
		return s->fd;
	if (fstat(s->fd, &s->st) == 0)
		return 0;
	close(s->fd);
	s->fd = -1;
	return -errno;
}

/* The first layer holding rel (the view's entry). -ENOENT if none. */
static int find_src(struct bt_restore *rs, const char *rel, struct src *s)
{
	for (size_t i = 0; i < rs->nlayers; i++)
		if (open_src(rs, i, rel, s) == 0)
			return 0;
	return -ENOENT;
}

/* A directory's metadata: the remote's if the directory still exists
 * there (trash folders made to hold a deleted file are plain 0700 ones),
 * else the oldest trash copy's. */
static int dir_meta_src(struct bt_restore *rs, const char *rel, struct src *s)
{
	if (open_src(rs, rs->nlayers - 1, rel, s) == 0) {
		if (S_ISDIR(s->st.st_mode))
			return 0;
		close(s->fd);
	}
	for (size_t i = 0; i < rs->nlayers; i++) {
		if (open_src(rs, i, rel, s) < 0)
			continue;
		if (S_ISDIR(s->st.st_mode))
			return 0;
		close(s->fd);
	}
	return -ENOENT;
}

struct merged {
	const char *name;
	size_t layer;
};

static int cmp_merged(const void *a, const void *b)
{
	const struct merged *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->layer > y->layer) - (x->layer < y->layer);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, *(char *const *)b);
}

/* "x~3" next to "x" in one legacy trash folder: the same name retired
 * again later in that sync; "x", the first, is the older version. (Run
 * folders of today's layout keep later versions apart, so a real "x~3"
 * there is restored.) */
static bool later_duplicate(const struct bt_listing *l, const char *name)
{
	const char *tilde = strrchr(name, '~');
	char base[NAME_MAX + 1];

	if (!tilde || tilde == name || !tilde[1] || strspn(tilde + 1, "0123456789") !=
						      strlen(tilde + 1))
		return false;
	snprintf(base, sizeof(base), "%.*s", (int)(tilde - name), name);
	return bsearch(base, l->names, l->n, sizeof(*l->names), cmp_name) != NULL;
}

/* The union of rel's listings in every layer where rel is a directory,
 * sorted by name, each name once with the first layer holding it. */
static int merge_listings(struct bt_restore *rs, const char *rel, struct bt_listing *ls,
			  struct merged **out, size_t *n)
{
	size_t total = 0, k = 0;
	struct merged *v;

	for (size_t i = 0; i < rs->nlayers; i++) {
		bool left_out;
		char *at = bt_restore_layer_rel(rs, i, rel, &left_out);
		int rc = at ? bt_listing_read(rs->layers[i], at, &ls[i]) :
			      left_out ? -ENOENT : -ENOMEM;

		free(at);
		if (rc == -ENOMEM)
			return rc;

		if (rc < 0 && rc != -ENOENT && rc != -ENOTDIR && rc != -ELOOP && !rs->counting) {
			bt_warn("cannot list %s in %s on the remote: %s", *rel ? rel : ".",
				i + 1 == rs->nlayers ? "the mirror" : "the trash", strerror(-rc));
			rs->st.errors++;
		}
		total += ls[i].n;
	}
	v = malloc((total ? total : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < rs->nlayers; i++)
		for (size_t j = 0; j < ls[i].n; j++)
			if (!rs->legacy[i] || !later_duplicate(&ls[i], ls[i].names[j]))
				v[k++] = (struct merged){ ls[i].names[j], i };
	qsort(v, k, sizeof(*v), cmp_merged);
	*n = 0;
	for (size_t i = 0; i < k; i++)
		if (!*n || strcmp(v[*n - 1].name, v[i].name))
			v[(*n)++] = v[i];
	*out = v;
	return 0;
}

/* ---- Writing the target ---- */

/* The target's entry at rel: 0 (cur filled), -ENOENT, or -errno. */
static int target_stat(struct bt_restore *rs, const char *rel, struct stat *cur)
{
	const char *leaf;
	int pfd = bt_open_parent(rs->t.rootfd, rel, &leaf), rc = 0;

	if (pfd == -ENOTDIR || pfd == -ELOOP)
		return -ENOENT; /* only in a preview: a parent is to be set aside */
	if (pfd < 0)
		return pfd;
	if (fstatat(pfd, leaf, cur, AT_SYMLINK_NOFOLLOW) < 0)
		rc = -errno;
	close(pfd);
	return rc;
}

static int same_content(int layer_fd, const char *rel, struct bt_restore *rs)
{
	struct bt_hash128 a, b;
	char proc[64];
	int fa, fb, rc;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", layer_fd);
	/* Reopen the O_PATH descriptor for reading: same object, no lookup. */
	fa = open(proc, O_RDONLY | O_CLOEXEC);
	fb = bt_open_file_beneath(rs->t.rootfd, rel);
	rc = fa < 0 ? -errno : fb < 0 ? fb : 0;
	if (rc == 0)
		rc = bt_hash_fd(fa, &a);
	if (rc == 0)
		rc = bt_hash_fd(fb, &b);
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return rc < 0 ? rc : bt_hash_equal(&a, &b);
}

static bool same_link(int layer_fd, const char *rel, struct bt_restore *rs)
{
	char a[PATH_MAX + 1], b[PATH_MAX + 1];
	int fb = bt_open_beneath(rs->t.rootfd, rel, O_PATH, 0);
	ssize_t na = readlinkat(layer_fd, "", a, sizeof(a) - 1), nb;

	nb = fb < 0 ? -1 : readlinkat(fb, "", b, sizeof(b) - 1);
	if (fb >= 0)
		close(fb);
	return na >= 0 && na == nb && !memcmp(a, b, (size_t)na);
}

/* 1 if the target's entry (cur) already is what s holds, else 0. quick
 * (preview) only compares sizes and times, never reading contents. */
static int same_entry(struct bt_restore *rs, const struct src *s, const char *rel,
		      const struct stat *cur, bool quick)
{
	if ((s->st.st_mode & S_IFMT) != (cur->st_mode & S_IFMT))
		return 0;
	if (S_ISREG(cur->st_mode)) {
		if (s->st.st_size != cur->st_size)
			return 0;
		if (quick)
			return s->st.st_mtim.tv_sec == cur->st_mtim.tv_sec &&
			       s->st.st_mtim.tv_nsec == cur->st_mtim.tv_nsec;
		return same_content(s->fd, rel, rs);
	}
	if (S_ISLNK(cur->st_mode))
		return same_link(s->fd, rel, rs);
	return S_ISDIR(cur->st_mode) || s->st.st_rdev == cur->st_rdev;
}

/* Renames the target's rel out of the way, to a name nothing holds yet. */
static int set_aside(struct bt_restore *rs, const char *rel)
{
	char name[NAME_MAX + 1];
	const char *leaf;
	int pfd = bt_open_parent(rs->t.rootfd, rel, &leaf), rc = -EEXIST;
	size_t room = NAME_MAX - strlen(ASIDE) - strlen(rs->stamp) - 8;

	if (pfd < 0)
		return pfd;
	for (int i = 0; rc == -EEXIST && i < 1000; i++) {
		/* A long name is shortened so the suffix always fits. */
		if (i == 0)
			snprintf(name, sizeof(name), "%.*s" ASIDE "%s", (int)room, leaf, rs->stamp);
		else
			snprintf(name, sizeof(name), "%.*s" ASIDE "%s~%d", (int)room, leaf,
				 rs->stamp, i);
		rc = renameat2(pfd, leaf, pfd, name, RENAME_NOREPLACE) < 0 ? -errno : 0;
	}
	close(pfd);
	if (rc == 0) {
		rs->st.set_aside++;
		printf("kept %s as %.*s%s\n", rel, (int)(leaf - rel), rel, name);
	}
	return rc;
}

static const char *first_link(struct bt_restore *rs, const struct stat *st)
{
	for (size_t i = 0; i < rs->nlinks; i++)
		if (rs->links[i].ino == st->st_ino && rs->links[i].dev == st->st_dev)
			return rs->links[i].rel;
	return NULL;
}

/* Later names of a hard-linked remote file become links in the target. */
static void remember_link(struct bt_restore *rs, const struct stat *st, const char *rel)
{
	if (st->st_nlink < 2 || first_link(rs, st))
		return;
	if (rs->nlinks == rs->caplinks) {
		size_t cap = rs->caplinks ? rs->caplinks * 2 : 64;
		struct bt_restore_link *v = realloc(rs->links, cap * sizeof(*v));

		if (!v)
			return; /* a later name is copied instead: still correct */
		rs->links = v;
		rs->caplinks = cap;
	}
	rs->links[rs->nlinks] = (struct bt_restore_link){ st->st_dev, st->st_ino, strdup(rel) };
	if (rs->links[rs->nlinks].rel)
		rs->nlinks++;
}

static int create_file(struct bt_restore *rs, const struct src *s, const char *rel)
{
	const char *first = s->st.st_nlink > 1 ? first_link(rs, &s->st) : NULL;
	char proc[64];
	int fd, rc;

	if (first && bt_remote_link(&rs->t, first, rel) == 0)
		return 0;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", s->fd);
	fd = open(proc, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		bt_warn("cannot read %s on the remote: %s; skipped", rel, strerror(errno));
		rs->st.errors++;
		return 1;
	}
	rc = bt_remote_copy_whole(&rs->t, fd, &s->st, rel);
	close(fd);
	if (rc == 0) {
		rs->st.bytes += s->st.st_size;
		remember_link(rs, &s->st, rel);
	}
	return rc;
}

/* Creates rel in the target like s (rel is free there). */
static int create_entry(struct bt_restore *rs, const struct src *s, const char *rel)
{
	char target[PATH_MAX + 1];
	ssize_t n;
	int rc;

	if (S_ISREG(s->st.st_mode)) {
		rc = create_file(rs, s, rel);
	} else if (S_ISLNK(s->st.st_mode)) {
		n = readlinkat(s->fd, "", target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		rc = bt_remote_symlink(&rs->t, target, rel); /* recreated, never followed */
		rc = rc ? rc : bt_remote_set_meta(&rs->t, rel, &s->st, s->fd, false);
	} else {
		rc = bt_remote_mknod(&rs->t, rel, s->st.st_mode, s->st.st_rdev);
		rc = rc ? rc : bt_remote_set_meta(&rs->t, rel, &s->st, s->fd, false);
	}
	if (rc == 0)
		rs->st.restored++;
	return rc < 0 ? rc : 0;
}

/* Counting (restore.h): one entry, and its bytes unless another name of
 * the same file came first. */
static void count_entry(struct bt_restore *rs, const struct src *s, const char *rel)
{
	rs->count_entries++;
	if (!S_ISREG(s->st.st_mode) || (s->st.st_nlink > 1 && first_link(rs, &s->st)))
		return;
	rs->count_bytes += s->st.st_size;
	remember_link(rs, &s->st, rel);
}

/* A non-directory of the view: kept if the target already has it, else
 * written after setting aside what differs. */
static int place_entry(struct bt_restore *rs, const struct src *s, const char *rel)
{
	struct stat cur;
	int rc, same;

	if (rs->counting) {
		count_entry(rs, s, rel);
		return 0;
	}
	rc = target_stat(rs, rel, &cur);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	same = rc == 0 ? same_entry(rs, s, rel, &cur, rs->preview) : 0;
	if (same < 0)
		return same;
	if (rs->preview) {
		if (!same)
			printf("%s %s\n", rc == 0 ? "replace" : "new", rel);
		rs->st.restored += !same;
		rs->st.unchanged += same;
		return 0;
	}
	if (same) {
		rs->st.unchanged++;
		if (S_ISREG(cur.st_mode) && !(s->st.st_nlink > 1 && first_link(rs, &s->st)))
			rs->st.unchanged_bytes += s->st.st_size;
		remember_link(rs, &s->st, rel);
		/* In place, its own xattrs stay: the remote's are added to them. */
		return S_ISREG(cur.st_mode) ? bt_remote_set_meta(&rs->t, rel, &s->st, s->fd,
								 !rs->in_place)
					    : 0;
	}
	if (rc == 0 && (rc = set_aside(rs, rel)) < 0)
		return rc;
	return create_entry(rs, s, rel);
}

/* A directory of the view: an existing directory is merged into; anything
 * else in the way is set aside. *made: the directory is new. */
static int place_dir(struct bt_restore *rs, const char *rel, bool *made)
{
	struct stat cur;
	int rc;

	*made = false;
	if (!*rel || rs->counting)
		return 0; /* the target itself; or nothing is placed */
	rc = target_stat(rs, rel, &cur);
	if (rc == 0 && S_ISDIR(cur.st_mode))
		return 0;
	if (rc < 0 && rc != -ENOENT)
		return rc;
	*made = true;
	if (rs->preview) {
		if (rc == 0)
			printf("replace %s (by a directory)\n", rel);
		return 0;
	}
	if (rc == 0 && (rc = set_aside(rs, rel)) < 0)
		return rc;
	return bt_remote_mkdir(&rs->t, rel, 0700);
}

/* Mode, owner, times (and xattrs of a directory we made) after its
 * content; a directory that was already in the live source keeps its own
 * xattrs. */
static int finish_dir(struct bt_restore *rs, const char *rel, bool made)
{
	struct src s;
	int rc;

	if (rs->preview || rs->counting || dir_meta_src(rs, rel, &s) < 0)
		return 0;
	rc = bt_remote_set_meta(&rs->t, rel, &s.st, s.fd, made || !rs->in_place);
	close(s.fd);
	return rc == -ESTALE ? 0 : rc;
}

/* ---- The walk: pending directories on the heap ---- */

struct item {
	char *rel;
	bool finish; /* set the directory's metadata, after its content */
	bool made;   /* the restore created the directory */
};

struct todo {
	struct item *v;
	size_t n, cap;
};

static int push(struct todo *t, const char *rel, bool finish, bool made)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct item *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n].rel = strdup(rel);
	if (!t->v[t->n].rel)
		return -ENOMEM;
	t->v[t->n].made = made;
	t->v[t->n++].finish = finish;
	return 0;
}

/* One name of the view: a directory is queued (metadata after its
 * content), anything else placed now. */
static int visit(struct bt_restore *rs, struct todo *t, const char *rel, size_t layer)
{
	struct src s;
	bool made;
	int rc = open_src(rs, layer, rel, &s);

	if (rc < 0) {
		if (rc == -ENOENT || rs->counting)
			return 0; /* gone meanwhile; or said by the walk that copies */
		bt_warn("cannot read %s on the remote: %s; skipped", rel, strerror(-rc));
		rs->st.errors++;
		return 0;
	}
	if (S_ISDIR(s.st.st_mode)) {
		rc = place_dir(rs, rel, &made);
		rc = rc ? rc : push(t, rel, true, made);
		rc = rc ? rc : push(t, rel, false, made);
	} else {
		rc = place_entry(rs, &s, rel);
	}
	close(s.fd);
	progress(rs, false);
	return rc;
}

static int walk_dir(struct bt_restore *rs, struct todo *t, const char *rel)
{
	struct bt_listing *ls = calloc(rs->nlayers, sizeof(*ls));
	struct merged *v = NULL;
	size_t n = 0;
	int rc = ls ? merge_listings(rs, rel, ls, &v, &n) : -ENOMEM;

	for (size_t i = 0; rc == 0 && i < n; i++) {
		char *child = bt_path_join(rel, v[i].name);

		rc = child ? visit(rs, t, child, v[i].layer) : -ENOMEM;
		free(child);
	}
	for (size_t i = 0; ls && i < rs->nlayers; i++)
		bt_listing_free(&ls[i]);
	free(ls);
	free(v);
	return rc;
}

/* Directories above path: made if missing; their metadata is set last. */
static int place_parents(struct bt_restore *rs, struct todo *t, const char *path)
{
	char *dir;
	int rc;
	bool made;

	if (rs->counting)
		return 0;
	dir = strdup(path);
	rc = dir ? 0 : -ENOMEM;
	for (char *p = dir; rc == 0 && (p = strchr(p, '/')); *p++ = '/') {
		*p = '\0';
		rc = place_dir(rs, dir, &made);
		if (rc == 0 && made)
			rc = push(t, dir, true, true);
	}
	free(dir);
	return rc;
}

static int run(struct bt_restore *rs, struct todo *t)
{
	int rc = 0;

	while (rc == 0 && t->n) {
		struct item it = t->v[--t->n];

		rc = it.finish ? finish_dir(rs, it.rel, it.made) : walk_dir(rs, t, it.rel);
		free(it.rel);
	}
	return rc;
}

int bt_restore_walk(struct bt_restore *rs, const char *path)
{
	struct todo t = { 0 };
	struct src s;
	int rc = find_src(rs, path, &s);

	if (rc < 0)
		return rc;
	rc = place_parents(rs, &t, path);
	if (rc == 0 && *path && !S_ISDIR(s.st.st_mode)) {
		rc = place_entry(rs, &s, path);
	} else if (rc == 0) {
		bool made;

		rc = place_dir(rs, path, &made);
		rc = rc ? rc : push(&t, path, true, made);
		rc = rc ? rc : push(&t, path, false, made);
	}
	close(s.fd);
	rc = rc ? rc : run(rs, &t);
	progress(rs, true);
	for (size_t i = 0; i < t.n; i++)
		free(t.v[i].rel);
	free(t.v);
	for (size_t i = 0; i < rs->nlinks; i++)
		free(rs->links[i].rel);
	free(rs->links);
	rs->links = NULL;
	rs->nlinks = rs->caplinks = 0;
	return rc;
}
