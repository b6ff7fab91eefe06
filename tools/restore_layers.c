/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The layers of a restore (see restore.h): the trash run folders dated
 * after the requested date, oldest first, then the remote root.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btsoot/config.h"
#include "btsoot/log.h"
#include "btsoot/pathsafe.h"
#include "listing.h"
#include "strv.h"
#include "restore.h"

static int add_layer(struct bt_restore *rs, int fd)
{
	int *v = realloc(rs->layers, (rs->nlayers + 1) * sizeof(*v));
	bool *l = v ? realloc(rs->legacy, (rs->nlayers + 1) * sizeof(*l)) : NULL;
	struct stat st;

	if (v)
		rs->layers = v;
	if (l)
		rs->legacy = l;
	if (!v || !l) {
		close(fd);
		return -ENOMEM;
	}
	/* A run folder with its own .btsoot (reserved at the block root, so
	 * never a retired entry) has the unambiguous layout and a log. */
	rs->legacy[rs->nlayers] = fstatat(fd, BT_REMOTE_AREA, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
				  !S_ISDIR(st.st_mode);
	rs->layers[rs->nlayers++] = fd;
	return 0;
}

/* Run folders newer than as_of, in name order, which is date order. */
static int add_trash_runs(struct bt_restore *rs, struct bt_remote *src, time_t as_of,
			  time_t *oldest)
{
	struct bt_listing l;
	int tfd, rc;

	tfd = bt_open_beneath(src->areafd, "trash", O_PATH | O_DIRECTORY, 0);
	if (tfd == -ENOENT)
		return 0; /* nothing was ever deleted or overwritten */
	if (tfd < 0)
		return tfd;
	rc = bt_listing_read(src->areafd, "trash", &l);
	if (rc < 0) {
		close(tfd);
		return rc;
	}
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		time_t when;
		int fd;

		if (!bt_trash_run_time(l.names[i], &when))
			continue; /* not a run folder: not ours */
		if (!*oldest)
			*oldest = when;
		if (when <= as_of)
			continue;
		fd = bt_open_beneath(tfd, l.names[i], O_PATH | O_DIRECTORY, 0);
		if (fd == -ELOOP || fd == -ENOTDIR || fd == -ENOENT)
			continue; /* planted or pruned meanwhile: hold nothing */
		rc = fd < 0 ? fd : add_layer(rs, fd);
	}
	bt_listing_free(&l);
	close(tfd);
	return rc;
}

int bt_restore_layers(struct bt_restore *rs, struct bt_remote *src, bool has_date,
		      time_t as_of, time_t *oldest)
{
	int rc = 0, fd;

	*oldest = 0;
	if (has_date)
		rc = add_trash_runs(rs, src, as_of, oldest);
	if (rc < 0)
		return rc;
	fd = bt_open_beneath(src->rootfd, "", O_PATH | O_DIRECTORY, 0);
	rc = fd < 0 ? fd : add_layer(rs, fd);
	if (rc == 0)
		rs->legacy[rs->nlayers - 1] = false; /* the mirror: names are names */
	return rc;
}

/* ---- Following renames through the run folders' logs ---- */

struct log {
	char *buf;
	size_t len, pos;
};

/* Each run folder's log, read once for every path followed. */
struct bt_restore_log {
	struct log lg;
	bool read;
};

/* The run folder's log, whole (a run's renames and retirements). */
static int read_log(int layer, struct log *lg)
{
	int fd = bt_open_beneath(layer, BT_REMOTE_AREA "/log", O_RDONLY, 0);
	struct stat st;
	ssize_t n;

	*lg = (struct log){ 0 };
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0; /* not ours */
	}
	lg->buf = malloc((size_t)st.st_size + 1);
	n = lg->buf ? read(fd, lg->buf, (size_t)st.st_size) : -1;
	close(fd);
	if (n < 0) {
		free(lg->buf);
		lg->buf = NULL;
		return errno == ENOMEM || !lg->buf ? -ENOMEM : 0;
	}
	lg->len = (size_t)n;
	return 0;
}

/* The next record: kind and two fields; false at the end (a truncated
 * last record, from a crash, is ignored). */
static bool next_record(struct log *lg, char *kind, const char **a, const char **b)
{
	const char *f[3];

	for (int i = 0; i < 3; i++) {
		char *nul;

		if (lg->pos >= lg->len) /* also an empty log, which has no buffer */
			return false;
		nul = memchr(lg->buf + lg->pos, '\0', lg->len - lg->pos);
		if (!nul)
			return false;
		f[i] = lg->buf + lg->pos;
		lg->pos = (size_t)(nul - lg->buf) + 1;
	}
	*kind = f[0][0];
	*a = f[1];
	*b = f[2];
	return true;
}

/* cur with its prefix from replaced by to, if cur is from or below it. */
static int carry(char **cur, const char *from, const char *to, bool *moved)
{
	char *next = bt_path_rename(*cur, from, to, moved);

	if (!next)
		return *moved ? -ENOMEM : 0;
	free(*cur);
	*cur = next;
	return 0;
}

/* One run's log applied to cur (the path's name when the run started):
 * *found when the run retired it (cur then names its place in the run
 * folder), else cur is its name after the run. */
static int follow_run(struct log *lg, char **cur, bool *found)
{
	const char *a, *b;
	char kind;
	bool moved;
	int rc = 0;

	while (rc == 0 && !*found && next_record(lg, &kind, &a, &b)) {
		if (kind == 'T' && bt_path_is_under(*cur, a) && *a) {
			rc = carry(cur, a, b, &moved);
			*found = true;
		} else if (kind == 'R') {
			rc = carry(cur, a, b, &moved);
		} else if (kind == 'X') {
			rc = carry(cur, a, b, &moved);
			if (rc == 0 && !moved)
				rc = carry(cur, b, a, &moved);
		}
	}
	return rc;
}

/* A cursor at the start of layer i's log (an empty one for the mirror and
 * for legacy run folders). */
static int layer_log(struct bt_restore *rs, size_t i, struct log *lg)
{
	struct bt_restore_log *l;
	int rc = 0;

	*lg = (struct log){ 0 };
	if (i + 1 == rs->nlayers || rs->legacy[i])
		return 0;
	if (!rs->logs && !(rs->logs = calloc(rs->nlayers, sizeof(*rs->logs))))
		return -ENOMEM;
	l = &rs->logs[i];
	if (!l->read) {
		rc = read_log(rs->layers[i], &l->lg);
		l->read = rc == 0;
	}
	*lg = l->lg;
	lg->pos = 0;
	return rc;
}

static void free_bases(struct bt_restore *rs)
{
	for (size_t i = 0; rs->bases && i < rs->nlayers; i++)
		free(rs->bases[i]);
	free(rs->bases);
	free(rs->root);
	rs->bases = NULL;
	rs->root = NULL;
}

int bt_restore_follow(struct bt_restore *rs, const char *path)
{
	char *cur = strdup(path);
	bool found = false;
	int rc;

	free_bases(rs);
	rc = cur && (rs->root = strdup(path)) ? 0 : -ENOMEM;
	rs->bases = rc ? NULL : calloc(rs->nlayers, sizeof(*rs->bases));
	if (!rs->bases)
		rc = -ENOMEM;
	for (size_t i = 0; rc == 0 && i < rs->nlayers && !found; i++) {
		struct log lg = { 0 };

		if (*path)
			rc = layer_log(rs, i, &lg);
		rc = rc ? rc : follow_run(&lg, &cur, &found);
		if (rc == 0 && found) {
			rs->bases[i] = cur; /* its place in this run folder */
			cur = NULL;
		} else if (rc == 0) {
			/* A run that did not retire it holds only what was
			 * below it under its name at the run's start. */
			rs->bases[i] = strdup(cur);
			rc = rs->bases[i] ? 0 : -ENOMEM;
		}
	}
	free(cur);
	return rc;
}

/* True if p lies at or below one of v's names. */
static bool under_any(const struct bt_strv *v, const char *p)
{
	for (size_t i = 0; i < v->n; i++)
		if (bt_path_is_under(p, v->v[i]))
			return true;
	return false;
}

/* A name of the date (not made by an earlier rename) below path. */
static int candidate(struct bt_strv *out, const struct bt_strv *made, const char *path,
		     const char *name)
{
	if (!strcmp(name, path) || !bt_path_is_under(name, path) || under_any(made, name) ||
	    under_any(out, name))
		return 0;
	return bt_strv_push(out, name);
}

/* Each followed name reads every log once more: a bound on the time a
 * restore after a mass rename takes. */
#define MAX_FOLLOWED 1000

/* A name an earlier rename made, that a candidate may lie below. */
static int note_made(struct bt_strv *made, const char *path, const char *name)
{
	if (!bt_path_is_under(name, path) && !bt_path_is_under(path, name))
		return 0;
	return bt_strv_push(made, name);
}

int bt_restore_renamed(struct bt_restore *rs, const char *path, struct bt_strv *out)
{
	struct bt_strv made = { 0 };
	size_t start = out->n;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i + 1 < rs->nlayers; i++) {
		const char *a, *b;
		struct log lg;
		char kind;

		rc = layer_log(rs, i, &lg);
		while (rc == 0 && out->n - start <= MAX_FOLLOWED &&
		       next_record(&lg, &kind, &a, &b)) {
			if (kind != 'R' && kind != 'X')
				continue;
			rc = candidate(out, &made, path, a);
			if (rc == 0 && kind == 'X')
				rc = candidate(out, &made, path, b);
			rc = rc ? rc : note_made(&made, path, b);
			if (rc == 0 && kind == 'X')
				rc = note_made(&made, path, a);
		}
	}
	if (rc == 0 && out->n - start > MAX_FOLLOWED) {
		bt_warn("more than %d entries below '%s' were renamed after the date: the rest "
			"come back under their current names", MAX_FOLLOWED, *path ? path : ".");
		while (out->n - start > MAX_FOLLOWED)
			free(out->v[--out->n]);
	}
	bt_strv_free(&made);
	return rc;
}

char *bt_restore_layer_rel(const struct bt_restore *rs, size_t i, const char *rel,
			   bool *left_out)
{
	const char *base;
	bool moved;
	char *out;

	*left_out = false;
	if (!rs->bases || !bt_path_is_under(rel, rs->root))
		return strdup(rel); /* the directories above it: by name */
	base = rs->bases[i];
	if (!base) {
		*left_out = true;
		return NULL;
	}
	out = bt_path_rename(rel, rs->root, base, &moved);
	return out || moved ? out : strdup(rel);
}

void bt_restore_free(struct bt_restore *rs)
{
	free_bases(rs);
	for (size_t i = 0; i < rs->nlayers; i++) {
		close(rs->layers[i]);
		if (rs->logs)
			free(rs->logs[i].lg.buf);
	}
	free(rs->layers);
	free(rs->legacy);
	free(rs->logs);
	rs->layers = NULL;
	rs->legacy = NULL;
	rs->logs = NULL;
	rs->nlayers = 0;
}
