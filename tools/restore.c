/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * btsoot restore <block> [path] [--to DIR | --in-place [--override]]
 *                [--as-of DATE]
 *
 * Copies back from the remote, never deleting anything: into a NEW (or
 * empty) directory, or, with --in-place, over the live source while the
 * block is unmounted, setting aside every differing entry first. --as-of
 * brings back what the trash says existed at DATE (restore.h has how).
 * The remote is only read; the walk is in restore_walk.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "btsoot/config.h"
#include "btsoot/exitcodes.h"
#include "btsoot/lockfile.h"
#include "btsoot/log.h"
#include "btsoot/mounts.h"
#include "btsoot/rescan_note.h"
#include "btsoot/pathsafe.h"
#include "btsoot/remote.h"
#include "btsoot/words.h"
#include "restore.h"
#include "strv.h"

#define COUNTDOWN_SECONDS 15
#define USAGE "usage: btsoot restore <block> [path] [--to DIR | --in-place [--override]] " \
	      "[--as-of YYYY-mm-dd[THH:MM:SS]]"

struct args {
	const char *block, *path, *to, *date_text;
	bool in_place, override, has_date;
	time_t as_of;
};

/* "YYYY-mm-dd" (midnight) or "YYYY-mm-ddTHH:MM:SS", UTC, optional 'Z'. */
static int parse_date(const char *s, time_t *out)
{
	struct tm tm = { 0 }, back;
	const char *end = strptime(s, "%Y-%m-%d", &tm);

	if (end && *end == 'T')
		end = strptime(end + 1, "%H:%M:%S", &tm);
	if (end && *end == 'Z')
		end++;
	if (!end || *end || strlen(s) < 10)
		return -EINVAL;
	back = tm;
	*out = timegm(&back);
	/* strptime takes "2026-02-30": refuse what timegm had to move. */
	return back.tm_mday == tm.tm_mday && back.tm_mon == tm.tm_mon ? 0 : -EINVAL;
}

static int usage_error(const char *what, const char *arg)
{
	bt_err("%s%s%s; " USAGE, what, arg ? " " : "", arg ? arg : "");
	return BT_EXIT_USAGE;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	*a = (struct args){ .block = argc > 1 ? argv[1] : NULL, .path = NULL };
	if (argc < 2)
		return usage_error("missing block name", NULL);
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--to") && i + 1 < argc)
			a->to = argv[++i];
		else if (!strcmp(argv[i], "--as-of") && i + 1 < argc)
			a->date_text = argv[++i];
		else if (!strcmp(argv[i], "--in-place"))
			a->in_place = true;
		else if (!strcmp(argv[i], "--override"))
			a->override = true;
		else if (argv[i][0] == '-' || a->path)
			return usage_error("unexpected argument", argv[i]);
		else
			a->path = argv[i];
	}
	if (!a->path)
		a->path = "";
	if (a->in_place && a->to)
		return usage_error("--in-place restores into the source: it takes no --to", NULL);
	if (a->override && !a->in_place)
		return usage_error("--override only skips the wait of --in-place", NULL);
	if (a->date_text && parse_date(a->date_text, &a->as_of) < 0)
		return usage_error("--as-of wants YYYY-mm-dd or YYYY-mm-ddTHH:MM:SS (UTC), not",
				   a->date_text);
	a->has_date = a->date_text != NULL;
	if (a->path[0] != '/' && !bt_path_valid(a->path)) {
		bt_err("invalid path '%s': give it relative to the block root, without '..'",
		       a->path);
		return BT_EXIT_USAGE;
	}
	return 0;
}

/* path with the directory dir (no trailing '/') taken off its front:
 * "dir" itself is "", "dir/a/b/" is "a/b"; NULL when path is not inside. */
static const char *below(const char *path, const char *dir, char *out, size_t len)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (strncmp(path, dir, n) || (path[n] != '/' && path[n] != '\0'))
		return NULL;
	path += n;
	while (*path == '/')
		path++;
	snprintf(out, len, "%s", path);
	for (size_t k = strlen(out); k > 0 && out[k - 1] == '/'; k--)
		out[k - 1] = '\0';
	return out;
}

/* An absolute path inside the block's source (as written in the block
 * file, or as that resolves) becomes the path relative to the block root;
 * anything else absolute is refused. The path need not exist any more: a
 * restore is often of what was deleted. */
static int relative_to_block(struct args *a, const struct bt_block *b, char *buf, size_t len)
{
	char real[PATH_MAX];

	if (a->path[0] != '/')
		return 0;
	if (below(a->path, b->source, buf, len) ||
	    (realpath(b->source, real) && below(a->path, real, buf, len))) {
		if (*buf && !bt_path_valid(buf)) {
			bt_err("invalid path '%s': no '..' or '.' components inside the source",
			       a->path);
			return BT_EXIT_USAGE;
		}
		a->path = buf;
		return 0;
	}
	bt_err("path %s is not inside the source %s of block '%s': give it relative to the "
	       "block root, or as an absolute path inside that source", a->path, b->source,
	       b->name);
	return BT_EXIT_USAGE;
}

/* ---- The target ---- */

/* Canonical form of p, which may not exist yet (its parent must). */
static int canonical(const char *p, char *out)
{
	char *copy, *dir, *base;
	char parent[PATH_MAX];
	int rc = 0;

	if (realpath(p, out))
		return 0;
	copy = strdup(p);
	base = copy ? strdup(basename(copy)) : NULL;
	dir = copy ? dirname(copy) : NULL;
	if (!base)
		rc = -ENOMEM;
	else if (!realpath(dir, parent))
		rc = -errno;
	else if (snprintf(out, PATH_MAX, "%s/%s", strcmp(parent, "/") ? parent : "",
			  base) >= PATH_MAX)
		rc = -ENAMETOOLONG;
	free(base);
	free(copy);
	return rc;
}

static bool inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0' || n == 1);
}

/* Writing into the live source needs --in-place (with its checks); into
 * the mirror, never. */
static int check_target(const struct bt_block *b, const char *target)
{
	char t[PATH_MAX], src[PATH_MAX], rem[PATH_MAX];
	int rc = canonical(target, t);

	if (rc < 0) {
		bt_err("restore target %s: %s", target, strerror(-rc));
		return BT_EXIT_USAGE;
	}
	if (realpath(b->source, src) && inside(t, src)) {
		bt_err("restore target %s is inside the source of block '%s': use --in-place "
		       "(with the block unmounted) to restore over the source", target, b->name);
		return BT_EXIT_USAGE;
	}
	if (realpath(b->remote, rem) && inside(t, rem)) {
		bt_err("restore target %s is inside the remote of block '%s': choose another "
		       "directory", target, b->name);
		return BT_EXIT_USAGE;
	}
	return 0;
}

/* The default target SOURCE.restored-STAMP, made new: a name that exists
 * (a restore earlier in the same second) gets a suffix -2, -3, ...; an
 * existing directory is never reused, even an empty one another restore
 * may be about to fill. */
static int default_target(const struct bt_block *b, const char *stamp, char *out, size_t len)
{
	int rc;

	for (int k = 1; k <= 1000; k++) {
		if (k == 1)
			snprintf(out, len, "%s.restored-%s", b->source, stamp);
		else
			snprintf(out, len, "%s.restored-%s-%d", b->source, stamp, k);
		if (k == 1 && (rc = check_target(b, out)))
			return rc;
		if (mkdir(out, 0700) == 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	bt_err("cannot make a restore directory %s: %s; give one with --to DIR", out,
	       strerror(errno));
	return BT_EXIT_USAGE;
}

static int pick_target(const struct bt_block *b, const char *to, const char *stamp,
		       char *out, size_t len)
{
	int rc;

	if (!to)
		return default_target(b, stamp, out, len);
	snprintf(out, len, "%s", to);
	rc = check_target(b, out);
	if (rc)
		return rc;
	if (mkdir(out, 0700) == 0)
		return 0;
	if (errno == EEXIST && rmdir(out) == 0 && mkdir(out, 0700) == 0)
		return 0; /* it existed but was empty */
	bt_err("restore target %s must be a new or empty directory (%s)", out,
	       errno == EEXIST || errno == ENOTEMPTY ? "it is not empty" : strerror(errno));
	return BT_EXIT_USAGE;
}

/* A bt_remote writing into dir; its scratch area comes with open_area. */
static int open_target(struct bt_remote *t, const char *dir)
{
	memset(t, 0, sizeof(*t));
	t->areafd = t->tmpfd = t->trashfd = -1;
	t->is_root = geteuid() == 0;
	snprintf(t->run, sizeof(t->run), "restore");
	t->rootfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC); /* given by the user */
	return t->rootfd < 0 ? -errno : 0;
}

/* dir/.btsoot/tmp, where files are written before their rename into place
 * (removed again by close_target). Made only when writing starts, so a
 * restore stopped during its countdown leaves the source as it was. */
static int open_area(struct bt_remote *t)
{
	if (mkdirat(t->rootfd, BT_REMOTE_AREA, 0700) < 0 && errno != EEXIST)
		return -errno;
	t->areafd = bt_open_beneath(t->rootfd, BT_REMOTE_AREA, O_PATH | O_DIRECTORY, 0);
	if (t->areafd < 0)
		return t->areafd;
	if (mkdirat(t->areafd, "tmp", 0700) < 0 && errno != EEXIST)
		return -errno;
	t->tmpfd = bt_open_beneath(t->areafd, "tmp", O_PATH | O_DIRECTORY, 0);
	return t->tmpfd < 0 ? t->tmpfd : 0;
}

static void close_target(struct bt_remote *t)
{
	char proc[64];
	struct stat st;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", t->rootfd);
	if (t->areafd >= 0 && fstat(t->rootfd, &st) == 0) {
		unlinkat(t->areafd, "tmp", AT_REMOVEDIR);
		/* Removing the area (if empty) must not undo the root's restored times. */
		if (unlinkat(t->rootfd, BT_REMOTE_AREA, AT_REMOVEDIR) == 0)
			utimensat(AT_FDCWD, proc, (struct timespec[2]){ st.st_atim, st.st_mtim }, 0);
	}
	bt_remote_close(t);
}

/* ---- In place ---- */

/* Restoring over the source behind a running btsootfs would bypass its
 * journal, and a sync would then mirror a half-restored tree. */
static int check_unmounted(const struct bt_block *b)
{
	char path[PATH_MAX + 32];
	struct stat st;
	pid_t pid;

	if (bt_btsootfs_at(b->source)) {
		bt_err("block '%s': %s is mounted (btsootfs); unmount it (fusermount3 -u %s) "
		       "before restoring in place", b->name, b->source, b->source);
		return BT_EXIT_SOURCE;
	}
	snprintf(path, sizeof(path), "%s/daemon.lock", b->state);
	pid = bt_lock_holder(path);
	if (pid > 0) {
		bt_err("block '%s': btsootfs (pid %d) still runs; unmount it before restoring "
		       "in place", b->name, (int)pid);
		return BT_EXIT_SOURCE;
	}
	if (stat(b->source, &st) < 0 || !S_ISDIR(st.st_mode)) {
		bt_err("block '%s': source %s is missing or not a directory", b->name, b->source);
		return BT_EXIT_SOURCE;
	}
	return 0;
}

/* path, then each name below it that a sync renamed after the date,
 * followed to where it went (restore.h). */
static int walk_all(struct bt_restore *rs, const char *path)
{
	struct bt_strv moved = { 0 };
	int rc = bt_restore_follow(rs, path);

	rc = rc ? rc : bt_restore_walk(rs, path);
	rc = rc ? rc : bt_restore_renamed(rs, path, &moved);
	for (size_t i = 0; rc == 0 && i < moved.n; i++) {
		rc = bt_restore_follow(rs, moved.v[i]);
		rc = rc ? rc : bt_restore_walk(rs, moved.v[i]);
		if (rc == -ENOENT)
			rc = 0; /* it did not exist at the date: created, then renamed */
	}
	bt_strv_free(&moved);
	return rc;
}

/* A wait the user can interrupt: redrawn each second on a terminal, two
 * plain lines otherwise (no '\r' in a log or a mail). */
static void countdown(int seconds)
{
	bool tty = isatty(STDERR_FILENO);

	if (!tty)
		fprintf(stderr, "btsoot: restoring in place in %d s (Ctrl-C or SIGTERM cancels)\n",
			seconds);
	for (int s = seconds; s > 0; s--) {
		if (tty)
			fprintf(stderr, "\rbtsoot: restoring in place in %2d s (Ctrl-C cancels) ", s);
		sleep(1);
	}
	fprintf(stderr, tty ? "\rbtsoot: restoring in place now\033[K\n"
			    : "btsoot: restoring in place now\n");
}

/* What will change, then a visible wait the user can interrupt. */
static int announce(struct bt_restore *rs, const struct args *a, const struct bt_block *b)
{
	int rc;

	rs->preview = true;
	rc = walk_all(rs, a->path);
	rs->preview = false;
	if (rc < 0)
		return rc;
	printf("restore into %s: %" PRId64 " %s to write (listed above), %" PRId64
	       " %s unchanged; what differs is first kept as NAME.btsoot-before-restore-%s; "
	       "nothing is deleted\n", b->source, rs->st.restored,
	       bt_plural(rs->st.restored, "entry", "entries"), rs->st.unchanged,
	       rs->st.unchanged == 1 ? "looks" : "look", rs->stamp);
	fflush(stdout);
	rs->st = (struct bt_restore_stats){ 0 };
	if (!a->override)
		countdown(COUNTDOWN_SECONDS);
	return 0;
}

/* The source changed behind btsootfs' back: the next sync must rescan. */
static void mark_rescan(const struct bt_block *b)
{
	int rc = bt_rescan_note_set(b->state, "btsoot restore --in-place changed the source "
				    "while unmounted");

	if (rc < 0)
		bt_warn("cannot write %s/NEEDS_RESCAN (%s): run btsoot-verify --repair %s "
			"after mounting", b->state, strerror(-rc), b->name);
}

/* ---- The command ---- */

/* The block's sync lock, held for the whole restore: opening the remote
 * empties its .btsoot/tmp, which would pull a running sync's temp files
 * from under it, and a sync would prune the trash an --as-of reads. */
static int take_lock(const struct bt_block *b, int *lockfd)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/sync.lock", b->state);
	*lockfd = bt_block_make_state_dir(b) < 0 ? -errno : bt_lock_try(path, true);
	if (*lockfd == -EWOULDBLOCK) {
		bt_err("a sync or verify --repair of block '%s' is running (pid %d); restore "
		       "when it is done", b->name, (int)bt_lock_holder(path));
		return BT_EXIT_BUSY;
	}
	if (*lockfd < 0) {
		bt_err("cannot lock %s: %s", path, strerror(-*lockfd));
		return BT_EXIT_JOURNAL;
	}
	return 0;
}

/* The remote, checked like the sync checks it (mount point, marker). */
static int open_remote(const struct bt_block *b, struct bt_remote *src)
{
	char err[PATH_MAX + 256];

	if (b->remote_is_mount && !bt_is_mount_point(b->remote)) {
		bt_err("remote %s is not mounted (it was a mount point when block '%s' was "
		       "added); mount it and retry", b->remote, b->name);
		return BT_EXIT_REMOTE;
	}
	if (bt_remote_open(src, b, 0, err, sizeof(err)) < 0) {
		bt_err("%s", err);
		return BT_EXIT_REMOTE;
	}
	return 0;
}

static int exit_code(int rc, const struct args *a, const struct bt_block *b,
		     const char *target)
{
	if (rc == -ENOENT) {
		bt_err("'%s' is not on the remote %s%s%s", *a->path ? a->path : ".", b->remote,
		       a->has_date ? " nor in its trash after " : "",
		       a->has_date ? a->date_text : "");
		return BT_EXIT_USAGE;
	}
	bt_err("restore of '%s' from %s into %s failed: %s; rerun after fixing it, nothing "
	       "was deleted", *a->path ? a->path : ".", b->remote, target, strerror(-rc));
	return rc == -ENOMEM ? BT_EXIT_INTERNAL : BT_EXIT_IO;
}

/* How far back the trash reaches, when the date is before that. */
static void say_reach(const struct args *a, time_t oldest)
{
	char when[32];

	if (!a->has_date || (oldest && oldest <= a->as_of))
		return;
	if (!oldest) {
		bt_warn("the trash is empty: everything comes back as the remote holds it now");
		return;
	}
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&oldest));
	bt_warn("the trash reaches back to %s only: what changed before that comes back as "
		"it was then, not as of %s", when, a->date_text);
}

/* The progress line on a terminal, with its total: a first walk of the
 * view that lists and stats it, reading no file data (restore.h); the
 * walk that copies then counts the same. */
static int progress_start(struct bt_restore *rs, const char *path)
{
	int rc;

	rs->counting = true;
	rs->count_entries = rs->count_bytes = 0;
	rc = walk_all(rs, path);
	rs->counting = false;
	bt_progress_init(&rs->prog, "btsoot restore", true);
	rs->prog.v.entries = true;
	if (rc == 0)
		bt_progress_total(&rs->prog, rs->count_entries, rs->count_bytes);
	return rc;
}

static int restore(struct bt_restore *rs, const struct args *a, const struct bt_block *b,
		   const char *target)
{
	char size[32];
	int rc = open_target(&rs->t, target);

	bool on = isatty(2) && !rs->preview;

	rs->in_place = a->in_place;
	bt_progress_init(&rs->prog, "btsoot restore", false);
	if (rc == 0 && a->in_place)
		rc = announce(rs, a, b);
	if (rc == 0)
		rc = open_area(&rs->t);
	if (rc == 0 && on)
		rc = progress_start(rs, a->path);
	if (rc == 0)
		rc = walk_all(rs, a->path);
	if (a->in_place && (rs->st.restored || rs->st.set_aside))
		mark_rescan(b);
	close_target(&rs->t);
	if (rc < 0)
		return exit_code(rc, a, b, target);
	printf("restored %" PRId64 " %s (%s) into %s; %" PRId64 " already there, %" PRId64
	       " set aside\n", rs->st.restored, bt_plural(rs->st.restored, "entry", "entries"),
	       bt_fmt_bytes(rs->st.bytes, size, sizeof(size)), target, rs->st.unchanged,
	       rs->st.set_aside);
	if (rs->st.errors) {
		bt_err("%" PRId64 " %s could not be read from the remote (see above); "
		       "the rest is restored", rs->st.errors,
		       bt_plural(rs->st.errors, "entry", "entries"));
		return BT_EXIT_IO;
	}
	return 0;
}

int bt_cmd_restore(const struct bt_dirs *d, int argc, char **argv)
{
	char err[PATH_MAX + 256], target[PATH_MAX], rel[PATH_MAX];
	struct bt_restore rs = { 0 };
	struct bt_remote src;
	struct bt_block b;
	struct args a;
	time_t now = time(NULL), oldest;
	int rc, lockfd = -1;
	bool made = false;

	rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	if (bt_block_load(d, a.block, &b, err, sizeof(err)) < 0) {
		bt_err("%s", err);
		return BT_EXIT_USAGE;
	}
	if ((rc = relative_to_block(&a, &b, rel, sizeof(rel))))
		return rc;
	rc = take_lock(&b, &lockfd);
	rc = rc ? rc : open_remote(&b, &src);
	if (rc) {
		if (lockfd >= 0)
			bt_lock_release(lockfd);
		return rc;
	}
	strftime(rs.stamp, sizeof(rs.stamp), "%Y%m%dT%H%M%SZ", gmtime(&now));
	if (a.in_place) {
		snprintf(target, sizeof(target), "%s", b.source);
		rc = check_unmounted(&b);
	} else {
		rc = pick_target(&b, a.to, rs.stamp, target, sizeof(target));
		made = rc == 0;
	}
	if (rc == 0 && (rc = bt_restore_layers(&rs, &src, a.has_date, a.as_of, &oldest)) < 0)
		rc = exit_code(rc, &a, &b, target);
	if (rc == 0) {
		say_reach(&a, oldest);
		rc = restore(&rs, &a, &b, target);
	}
	if (rc && !a.in_place && made)
		rmdir(target); /* only if nothing was restored into it */
	bt_restore_free(&rs);
	bt_remote_close(&src);
	if (lockfd >= 0)
		bt_lock_release(lockfd);
	return rc;
}
