/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The copy ledger: what whole copies a replay published, so a retried
 * replay does not copy them again.
 *
 * A sync that stops (ENOSPC, a kill) keeps its journal rows, so the retry
 * replays every file again; each publish would move the earlier, identical
 * copy into the trash: twice the space, on a remote that was full. The
 * ledger, .btsoot/copied, lists each whole copy published since the last
 * complete replay, one record each:
 *   rel NUL "v1 <ino> <size> <mtime s> <ns> <ctime s> <ns> <run start>" NUL
 * (the remote file's inode, size, mtime and ctime right after the publish;
 * in ns, when that run first used the ledger, before it copied anything).
 * A whole copy of rel is skipped only when all of these hold:
 *  - the remote file at rel is still that inode with that ctime and size:
 *    nothing wrote, truncated, chmod'ed or touched it since (each of these
 *    sets the ctime), so it holds what that run wrote;
 *  - the source has that size and the mtime that copy was given;
 *  - the source's ctime is older than that run's start, less a second (the
 *    kernel stamps ctime from a coarse clock, which lags by a tick; the
 *    second also covers a source clock a little behind ours). A
 *    write, truncate, chmod, utimes or rename of the source sets its ctime:
 *    the source has not changed since before that run began, so the run
 *    read this very content. A file rewritten after that with its size and
 *    mtime kept (touch -d, tar x, cp -p) has a newer ctime and is copied.
 * Anything unreadable in the ledger (a record torn by a crash or a full
 * disk) matches no remote inode and only costs a copy.
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

#include "btsoot/fsclock.h"
#include "btsoot/log.h"
#include "btsoot/pathsafe.h"
#include "remote_priv.h"

#define LEDGER "copied"

struct entry {
	const char *rel;   /* into buf */
	size_t order;      /* later records win */
	uint64_t ino;
	int64_t size, mtime_s, mtime_ns, ctime_s, ctime_ns, start;
};

struct bt_ledger {
	int fd;          /* for appending, -1 until the first note */
	bool loaded;
	char *buf;       /* the ledger as read at the first lookup */
	struct entry *v;
	size_t n;
	int64_t start;   /* this run's start (ns): before any copy of it */
};

static struct bt_ledger *ledger(struct bt_remote *r)
{
	if (!r->ledger) {
		r->ledger = calloc(1, sizeof(*r->ledger));
		if (!r->ledger)
			return NULL;
		struct timespec now;

		r->ledger->fd = -1;
		clock_gettime(CLOCK_REALTIME, &now);
		r->ledger->start = bt_ts_ns(&now);
	}
	return r->ledger;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->rel, y->rel);

	return c ? c : (x->order > y->order) - (x->order < y->order);
}

static bool parse(const char *rel, const char *nums, size_t order, struct entry *e)
{
	unsigned long long ino;
	long long f[6];
	int end = -1;

	if (sscanf(nums, "v1 %llu %lld %lld %lld %lld %lld %lld%n", &ino, &f[0], &f[1], &f[2],
		   &f[3], &f[4], &f[5], &end) != 7 || end < 0 || nums[end])
		return false;
	*e = (struct entry){ rel, order, ino, f[0], f[1], f[2], f[3], f[4], f[5] };
	return true;
}

/* Reads the ledger once: sorted by rel, the last record of a rel last. */
static void load(struct bt_remote *r, struct bt_ledger *l)
{
	int fd = bt_open_beneath(r->areafd, LEDGER, O_RDONLY, 0);
	struct stat st;
	size_t len = 0, pos = 0;
	ssize_t n = -1;

	l->loaded = true;
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (l->buf = malloc(st.st_size + 1)))
		n = read(fd, l->buf, (size_t)st.st_size);
	close(fd);
	if (n <= 0)
		return;
	len = (size_t)n;
	l->buf[len] = '\0';
	l->v = malloc((len / 16 + 1) * sizeof(*l->v)); /* a record takes 19 bytes or more */
	while (l->v && pos < len) {
		const char *rel = l->buf + pos, *nums = rel + strlen(rel) + 1;

		if (nums >= l->buf + len)
			break;
		pos = (size_t)(nums - l->buf) + strlen(nums) + 1;
		if (parse(rel, nums, l->n, &l->v[l->n]))
			l->n++;
	}
	if (l->v)
		qsort(l->v, l->n, sizeof(*l->v), cmp_entry);
}

static const struct entry *find(struct bt_ledger *l, const char *rel)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) { /* the first entry with a name >= rel */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(l->v[mid].rel, rel) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == l->n || strcmp(l->v[lo].rel, rel))
		return NULL;
	while (lo + 1 < l->n && !strcmp(l->v[lo + 1].rel, rel))
		lo++;
	return &l->v[lo];
}

bool bt_remote_copied_before(struct bt_remote *r, const struct stat *src, const char *rel)
{
	struct bt_ledger *l = ledger(r);
	const struct entry *e;
	struct stat cur;
	const char *leaf;
	int pfd;
	bool same;

	if (!l || !S_ISREG(src->st_mode))
		return false;
	if (!l->loaded)
		load(r, l);
	e = find(l, rel);
	if (!e || bt_ts_ns(&src->st_ctim) >= e->start - 1000000000LL)
		return false; /* unknown, or the source changed since that run began */
	pfd = bt_open_parent(r->rootfd, rel, &leaf);
	if (pfd < 0)
		return false;
	same = fstatat(pfd, leaf, &cur, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(cur.st_mode) &&
	       cur.st_ino == e->ino && cur.st_size == e->size && cur.st_size == src->st_size &&
	       cur.st_mtim.tv_sec == e->mtime_s && cur.st_mtim.tv_nsec == e->mtime_ns &&
	       cur.st_ctim.tv_sec == e->ctime_s && cur.st_ctim.tv_nsec == e->ctime_ns &&
	       bt_remote_same_time(r, &src->st_mtim, &cur.st_mtim);
	close(pfd);
	if (same)
		bt_debug("copy %s: the remote holds the copy an earlier run made; kept", rel);
	return same;
}

void bt_remote_note_copied(struct bt_remote *r, const char *rel)
{
	struct bt_ledger *l = ledger(r);
	char rec[PATH_MAX + 256];
	struct stat cur;
	const char *leaf;
	int pfd, len, ok;

	if (!l || l->fd == -2)
		return;
	pfd = bt_open_parent(r->rootfd, rel, &leaf);
	ok = pfd >= 0 && fstatat(pfd, leaf, &cur, AT_SYMLINK_NOFOLLOW) == 0;
	if (pfd >= 0)
		close(pfd);
	if (!ok)
		return;
	if (l->fd < 0)
		l->fd = bt_open_beneath(r->areafd, LEDGER, O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (l->fd < 0) {
		l->fd = -2; /* no ledger this run: a retry copies again */
		return;
	}
	len = snprintf(rec, sizeof(rec), "%s%cv1 %llu %lld %lld %ld %lld %ld %lld%c", rel, '\0',
		       (unsigned long long)cur.st_ino, (long long)cur.st_size,
		       (long long)cur.st_mtim.tv_sec, cur.st_mtim.tv_nsec,
		       (long long)cur.st_ctim.tv_sec, cur.st_ctim.tv_nsec, (long long)l->start,
		       '\0');
	/* One write per record; a short one (full disk) ends the ledger for
	 * this run rather than gluing a torn record to the next. */
	if (len <= 0 || len >= (int)sizeof(rec) || write(l->fd, rec, (size_t)len) != len) {
		close(l->fd);
		l->fd = -2;
	}
}

void bt_remote_ledger_clear(struct bt_remote *r)
{
	struct bt_ledger *l = ledger(r);

	if (l && l->fd >= 0)
		close(l->fd);
	if (l)
		l->fd = -2; /* nothing more is noted after a complete replay */
	if (unlinkat(r->areafd, LEDGER, 0) < 0 && errno != ENOENT)
		bt_warn("cannot remove %s/.btsoot/" LEDGER ": %s", "the remote", strerror(errno));
}

void bt_remote_ledger_free(struct bt_remote *r)
{
	if (!r->ledger)
		return;
	if (r->ledger->fd >= 0)
		close(r->ledger->fd);
	free(r->ledger->buf);
	free(r->ledger->v);
	free(r->ledger);
	r->ledger = NULL;
}
