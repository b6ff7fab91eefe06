/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Namespace operations on the remote, each idempotent, each reached through
 * the root descriptor (see include/btsoot/remote.h for the contract).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "btsoot/log.h"
#include "btsoot/pathsafe.h"
#include "progress.h"
#include "remote_priv.h"
#include "strv.h"

#define MARKER "marker"

/* Fault injection for the crash tests: BTSOOT_CRASH_AFTER_OPS=N makes the
 * process SIGKILL itself at its N-th remote mutation, an exact and
 * repeatable crash point. Unset in normal use. */
void bt_remote_tick(struct bt_remote *r)
{
	static long limit = -1, count;

	r->st.ops++;
	bt_progress_set(r->progress, r->st.files_written, r->st.bytes_written);
	if (limit == -1) {
		const char *v = getenv("BTSOOT_CRASH_AFTER_OPS");

		limit = v && *v ? strtol(v, NULL, 10) : 0;
	}
	if (limit > 0 && ++count >= limit)
		raise(SIGKILL);
}

static int write_marker(struct bt_remote *r, const struct bt_block *b)
{
	char buf[256];
	int len = snprintf(buf, sizeof(buf), "block=%s\nid=%s\n", b->name, b->id);
	int fd, rc = 0;

	fd = openat(r->areafd, "marker.new", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
					      O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)len) != len || fsync(fd) < 0)
		rc = errno ? -errno : -EIO;
	close(fd);
	if (rc == 0 && renameat(r->areafd, "marker.new", r->areafd, MARKER) < 0)
		rc = -errno;
	return rc;
}

int bt_remote_read_marker(int areafd, const struct bt_block *b, char *found, size_t flen)
{
	char buf[512], want[256];
	int fd = bt_open_beneath(areafd, MARKER, O_RDONLY, 0);
	ssize_t n;

	if (fd == -ENOENT)
		return -ENODATA;
	if (fd < 0)
		return fd;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	snprintf(want, sizeof(want), "block=%s\nid=%s\n", b->name, b->id);
	if (!strcmp(buf, want))
		return 0;
	/* Written by whoever can write the remote: shown on one line, escaped. */
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	bt_path_printable(buf, found, flen);
	return -EPERM;
}

static void clean_tmp(struct bt_remote *r)
{
	DIR *d = bt_opendir_beneath(r->areafd, "tmp");
	struct dirent *e;

	if (!d)
		return;
	/* Only our own temp files live here: leftovers of a killed run. */
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

/* What to do about a remote that cannot be opened: a dead network mount
 * (sshfs whose connection dropped, a killed FUSE daemon) answers ENOTCONN. */
static const char *dead_mount_hint(int rc)
{
	return rc == -ENOTCONN ? "its mount is dead: detach it with `umount -l` and mount "
				 "it again, then rerun" : "is it mounted?";
}

static int open_area(struct bt_remote *r, int flags, char *err, size_t errlen,
		     const char *remote)
{
	if (flags & BT_REMOTE_WRITE_MARKER) {
		if (mkdirat(r->rootfd, BT_REMOTE_AREA, 0700) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s/%s: %s", remote,
				 BT_REMOTE_AREA, strerror(errno));
			return -errno;
		}
	}
	r->areafd = bt_open_beneath(r->rootfd, BT_REMOTE_AREA, O_PATH | O_DIRECTORY, 0);
	if (r->areafd == -ENOENT) {
		snprintf(err, errlen, "remote %s has no btsoot marker: is the share mounted? "
			 "(run `btsoot init-remote` to adopt it)", remote);
		return -ENODATA;
	}
	if (r->areafd < 0) {
		bool dead = r->areafd == -ENOTCONN;

		snprintf(err, errlen, "remote %s/%s: %s%s%s%s", remote, BT_REMOTE_AREA,
			 strerror(-r->areafd), dead ? " (" : "",
			 dead ? dead_mount_hint(r->areafd) : "", dead ? ")" : "");
		return r->areafd;
	}
	return 0;
}

int bt_remote_open(struct bt_remote *r, const struct bt_block *b, int flags,
		   char *err, size_t errlen)
{
	char found[512] = "";
	time_t now = time(NULL);
	int rc;

	memset(r, 0, sizeof(*r));
	r->areafd = r->tmpfd = r->trashfd = -1;
	r->is_root = geteuid() == 0;
	strftime(r->run, sizeof(r->run), "%Y%m%dT%H%M%SZ", gmtime(&now));
	r->rootfd = open(b->remote, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->rootfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "remote %s: %s (%s)", b->remote, strerror(errno),
			 dead_mount_hint(rc));
		return rc;
	}
	rc = open_area(r, flags, err, errlen, b->remote);
	if (rc < 0)
		goto fail;
	rc = bt_remote_read_marker(r->areafd, b, found, sizeof(found));
	if (rc == -ENODATA && (flags & BT_REMOTE_WRITE_MARKER))
		rc = write_marker(r, b);
	if (rc == -ENODATA)
		snprintf(err, errlen, "remote %s has no btsoot marker: is the share mounted? "
			 "(run `btsoot init-remote %s` to adopt it)", b->remote, b->name);
	else if (rc == -EPERM)
		snprintf(err, errlen, "remote %s belongs to another block (%s); not touching it",
			 b->remote, found);
	else if (rc < 0)
		snprintf(err, errlen, "remote %s marker: %s", b->remote, strerror(-rc));
	if (rc < 0)
		goto fail;
	if (mkdirat(r->areafd, "tmp", 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s/.btsoot/tmp: %s", b->remote,
			 strerror(errno));
		goto fail;
	}
	r->tmpfd = bt_open_beneath(r->areafd, "tmp", O_PATH | O_DIRECTORY, 0);
	if (r->tmpfd < 0) {
		rc = r->tmpfd;
		snprintf(err, errlen, "%s/.btsoot/tmp: %s", b->remote, strerror(-rc));
		goto fail;
	}
	clean_tmp(r);
	bt_remote_probe(r);
	return 0;
fail:
	bt_remote_close(r);
	return rc;
}

void bt_remote_close(struct bt_remote *r)
{
	int *fds[] = { &r->rootfd, &r->areafd, &r->tmpfd, &r->trashfd };

	if (r->trashfd >= 0 && r->logfd >= 0)
		close(r->logfd);
	bt_remote_ledger_free(r);

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int bt_remote_mkdir(struct bt_remote *r, const char *rel, mode_t mode)
{
	const char *leaf;
	struct stat st;
	int pfd = bt_open_parent(r->rootfd, rel, &leaf), rc = 0;

	if (pfd < 0)
		return pfd;
	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(st.st_mode))
			goto out; /* done before */
		rc = bt_retire_at(r, pfd, leaf, rel);
		if (rc < 0)
			goto out;
	}
	bt_remote_tick(r);
	if (mkdirat(pfd, leaf, mode) < 0 && errno != EEXIST)
		rc = -errno;
out:
	close(pfd);
	return rc;
}

int bt_remote_rename(struct bt_remote *r, const char *from, const char *to)
{
	const char *lf, *lt;
	struct stat sf, stt;
	int pf = -1, pt = -1, rc;
	bool has_to;

	pf = bt_open_parent(r->rootfd, from, &lf);
	pt = pf < 0 ? -1 : bt_open_parent(r->rootfd, to, &lt);
	rc = pf < 0 ? pf : pt < 0 ? pt : 0;
	if (rc < 0)
		goto out;
	has_to = fstatat(pt, lt, &stt, AT_SYMLINK_NOFOLLOW) == 0;
	if (fstatat(pf, lf, &sf, AT_SYMLINK_NOFOLLOW) < 0) {
		/* Source gone and target there: this rename was done before. */
		rc = errno == ENOENT && has_to ? 0 : -errno;
		goto out;
	}
	if (has_to && (sf.st_ino != stt.st_ino || sf.st_dev != stt.st_dev)) {
		rc = bt_retire_at(r, pt, lt, to);
		if (rc < 0)
			goto out;
	}
	bt_debug("remote: rename %s (ino %llu) -> %s", from, (unsigned long long)sf.st_ino, to);
	bt_remote_tick(r);
	rc = renameat(pf, lf, pt, lt) < 0 ? -errno : 0;
	if (rc == 0) {
		r->st.renamed++;
		bt_trash_log(r, 'R', from, to); /* restore --as-of follows it */
	}
out:
	if (pf >= 0)
		close(pf);
	if (pt >= 0)
		close(pt);
	return rc;
}

static bool exists(struct bt_remote *r, int base, const char *rel)
{
	int fd = bt_open_beneath(base, rel, O_PATH, 0);

	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

/* Renames between the tree and the area, for the exchange's parking spot;
 * never over an entry (a diverged remote's entry is not the exchange's to
 * replace): -EEXIST. */
static int move_between(struct bt_remote *r, int fromroot, const char *from,
			int toroot, const char *to)
{
	const char *lf, *lt;
	struct stat st;
	int pf = bt_open_parent(fromroot, from, &lf), pt, rc;

	if (pf < 0)
		return pf;
	pt = bt_open_parent(toroot, to, &lt);
	if (pt < 0) {
		close(pf);
		return pt;
	}
	bt_remote_tick(r);
	if (fstatat(pt, lt, &st, AT_SYMLINK_NOFOLLOW) == 0)
		rc = -EEXIST;
	else
		rc = renameat(pf, lf, pt, lt) < 0 ? -errno : 0;
	close(pf);
	close(pt);
	return rc;
}

/* The parked entry (a's, moved away by step 1) when the exchange cannot
 * complete: back to a if a is free, else into the trash as a's. */
static void unpark(struct bt_remote *r, const char *park, const char *a)
{
	if (!exists(r, r->areafd, park))
		return;
	if (move_between(r, r->areafd, park, r->rootfd, a) == 0)
		return;
	if (bt_retire_at(r, r->areafd, park, a) < 0)
		bt_warn("exchange: cannot put the parked %s back nor into the trash; it stays "
			"in .btsoot/%s", a, park);
}

/* The exchange stopped at a step because the remote diverged (rc): it is
 * abandoned, nothing parked stays behind, and the caller reconciles. */
static int abandon(struct bt_remote *r, const char *park, const char *a, int rc)
{
	bt_warn("exchange %s: the remote diverged (%s); the parked entry goes back",
		a, strerror(-rc));
	unpark(r, park, a);
	/* An entry in the way is a divergence like a missing one: the replay
	 * reconciles on ENOENT, where a retry would only meet it again. */
	return rc == -EEXIST ? -ENOENT : rc;
}

int bt_remote_exchange(struct bt_remote *r, const char *a, const char *b, int *step)
{
	char park[64];
	int rc = 0;

	/* Step 1: a -> park; 2: b -> a; 3: park -> b. The caller persisted
	 * *step before each call, so a repeated step finds its own result. A
	 * step that finds neither its work to do nor its result done is a
	 * diverged remote: the exchange is abandoned with -ENOENT (or the
	 * step's error) and the parked entry put back. */
	snprintf(park, sizeof(park), "xchg-%lld", (long long)r->cur_seq);
	switch (*step) {
	case 0:
	case 1:
		if (!exists(r, r->areafd, park)) {
			if (!exists(r, r->rootfd, a))
				return -ENOENT; /* nothing moved yet */
			rc = move_between(r, r->rootfd, a, r->areafd, park);
			if (rc < 0)
				return rc;
		}
		*step = 2;
		return -EINPROGRESS;
	case 2:
		if (exists(r, r->rootfd, b))
			rc = move_between(r, r->rootfd, b, r->rootfd, a);
		else if (!exists(r, r->rootfd, a) || !exists(r, r->areafd, park))
			rc = -ENOENT; /* b missing and not moved to a before */
		if (rc < 0)
			return abandon(r, park, a, rc);
		*step = 3;
		return -EINPROGRESS;
	default:
		if (exists(r, r->areafd, park))
			rc = move_between(r, r->areafd, park, r->rootfd, b);
		if (rc < 0)
			return abandon(r, park, a, rc);
		*step = 0;
		bt_trash_log(r, 'X', a, b);
		return 0;
	}
}

/* Names "xchg-<seq>" in .btsoot: *seq gets the number. */
static bool park_name(const char *name, long long *seq)
{
	char *end;

	if (strncmp(name, "xchg-", 5) || !name[5])
		return false;
	errno = 0;
	*seq = strtoll(name + 5, &end, 10);
	return !*end && !errno;
}

int bt_remote_unpark_stale(struct bt_remote *r, int64_t keep_from, int64_t keep_to)
{
	DIR *d = bt_opendir_beneath(r->areafd, "");
	struct bt_strv stale = { 0 };
	struct dirent *e;
	long long seq;
	int rc = 0;

	if (!d)
		return -errno;
	for (errno = 0; rc == 0 && (e = readdir(d)); errno = 0)
		if (park_name(e->d_name, &seq) && (seq < keep_from || seq > keep_to))
			rc = bt_strv_push(&stale, e->d_name);
	closedir(d);
	for (size_t i = 0; rc == 0 && i < stale.n; i++) {
		char rel[96];

		snprintf(rel, sizeof(rel), BT_REMOTE_AREA "/parked/%s", stale.v[i]);
		bt_notice("remote: .btsoot/%s was parked by an exchange that will not finish; "
			  "moved to the trash (%s)", stale.v[i], rel);
		rc = bt_retire_at(r, r->areafd, stale.v[i], rel);
	}
	bt_strv_free(&stale);
	return rc;
}

int bt_remote_symlink(struct bt_remote *r, const char *target, const char *rel)
{
	char cur[PATH_MAX + 1];
	const char *leaf;
	int pfd = bt_open_parent(r->rootfd, rel, &leaf), rc = 0;
	ssize_t n;

	if (pfd < 0)
		return pfd;
	n = readlinkat(pfd, leaf, cur, sizeof(cur) - 1);
	if (n >= 0) {
		cur[n] = '\0';
		if (!strcmp(cur, target))
			goto out;
	}
	rc = bt_retire_at(r, pfd, leaf, rel);
	if (rc == 0) {
		bt_remote_tick(r);
		rc = symlinkat(target, pfd, leaf) < 0 ? -errno : 0;
	}
out:
	close(pfd);
	return rc;
}

int bt_remote_link(struct bt_remote *r, const char *existing, const char *newrel)
{
	const char *le, *ln;
	struct stat se, sn;
	int pe, pn = -1, rc;

	pe = bt_open_parent(r->rootfd, existing, &le);
	pn = pe < 0 ? -1 : bt_open_parent(r->rootfd, newrel, &ln);
	rc = pe < 0 ? pe : pn < 0 ? pn : 0;
	if (rc < 0)
		goto out;
	if (fstatat(pe, le, &se, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = -errno;
		goto out;
	}
	if (fstatat(pn, ln, &sn, AT_SYMLINK_NOFOLLOW) == 0) {
		if (sn.st_ino == se.st_ino && sn.st_dev == se.st_dev)
			goto out; /* done before */
		rc = bt_retire_at(r, pn, ln, newrel);
		if (rc < 0)
			goto out;
	}
	bt_debug("remote: link %s (ino %llu) -> %s", existing, (unsigned long long)se.st_ino,
		 newrel);
	bt_remote_tick(r);
	if (linkat(pe, le, pn, ln, 0) < 0)
		rc = (errno == EPERM || errno == EXDEV || errno == EOPNOTSUPP ||
		      errno == EMLINK) ? -ENOTSUP : -errno;
out:
	if (pe >= 0)
		close(pe);
	if (pn >= 0)
		close(pn);
	return rc;
}

int bt_remote_mknod(struct bt_remote *r, const char *rel, mode_t mode, dev_t rdev)
{
	const char *leaf;
	struct stat st;
	int pfd = bt_open_parent(r->rootfd, rel, &leaf), rc = 0;

	if (pfd < 0)
		return pfd;
	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if ((st.st_mode & S_IFMT) == (mode & S_IFMT) && st.st_rdev == rdev)
			goto out;
		rc = bt_retire_at(r, pfd, leaf, rel);
		if (rc < 0)
			goto out;
	}
	bt_remote_tick(r);
	if (mknodat(pfd, leaf, (mode & S_IFMT) | 0600, rdev) < 0)
		rc = -errno;
out:
	close(pfd);
	return rc;
}
