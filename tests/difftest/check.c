/* SPDX-License-Identifier: BSD-3-Clause */
/* Comparing the two sides' results and reporting the first difference. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dt.h"

void dt_desc(struct dt *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->desc, sizeof(t->desc), fmt, ap);
	va_end(ap);
	if (t->verbose)
		fprintf(stderr, "[%ld]%s %s\n", t->op, t->who, t->desc);
}

void dt_res_add(struct dt_res *r, const void *data, size_t n)
{
	char *p = realloc(r->out, r->outlen + n + 1);

	if (!p) {
		perror("difftest: realloc");
		exit(2);
	}
	memcpy(p + r->outlen, data, n);
	r->outlen += n;
	p[r->outlen] = '\0';
	r->out = p;
}

void dt_res_printf(struct dt_res *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	dt_res_add(r, buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static bool is_old(struct dt *t, const struct timespec *ts);

static void add_time(struct dt *t, struct dt_res *r, const char *what,
		     const struct timespec *ts)
{
	if (t->copy || ts->tv_sec < t->t0.tv_sec)
		dt_res_printf(r, " %s=%lld.%09ld", what, (long long)ts->tv_sec, ts->tv_nsec);
	else
		dt_res_printf(r, " %s=recent", what);
}

void dt_res_stat(struct dt *t, struct dt_res *r, const struct stat *st)
{
	dt_res_printf(r, "type=%o mode=%04o", (unsigned)(st->st_mode & S_IFMT) >> 12,
		      (unsigned)(st->st_mode & 07777));
	if (!t->copy) /* a copy: see cmptree --copy */
		dt_res_printf(r, " nlink=%lu", (unsigned long)st->st_nlink);
	dt_res_printf(r, " uid=%u gid=%u", (unsigned)st->st_uid, (unsigned)st->st_gid);
	if (!S_ISDIR(st->st_mode))
		dt_res_printf(r, " size=%lld", (long long)st->st_size);
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		dt_res_printf(r, " rdev=%llx", (unsigned long long)st->st_rdev);
	if (!S_ISFIFO(st->st_mode))
		add_time(t, r, "mtime", &st->st_mtim);
}

static bool is_old(struct dt *t, const struct timespec *ts)
{
	return t->copy || ts->tv_sec < t->t0.tv_sec;
}

/* One time by the "old is exact, new is recent" rule, except that the
 * mount may keep an old time where the bare side moved to now. */
static void same_time(struct dt *t, const char *what, const struct timespec *a,
		      const struct timespec *b)
{
	char x[64], y[64];

	if (!is_old(t, a) && is_old(t, b))
		return;
	if (is_old(t, a) == is_old(t, b) &&
	    (!is_old(t, a) || (a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec)))
		return;
	snprintf(x, sizeof(x), "%s %lld.%09ld", what, (long long)a->tv_sec, a->tv_nsec);
	snprintf(y, sizeof(y), "%s %lld.%09ld", what, (long long)b->tv_sec, b->tv_nsec);
	dt_mismatch(t, "times differ", x, y);
}

void dt_same_times(struct dt *t, const struct stat st[DT_SIDES])
{
	if (t->copy)
		return; /* a copy: reading the source for it moved its atimes */
	same_time(t, "atime", &st[0].st_atim, &st[1].st_atim);
	if (S_ISFIFO(st[0].st_mode))
		same_time(t, "mtime", &st[0].st_mtim, &st[1].st_mtim);
}

/* The whole outcome as one line, for messages. */
static void show(const struct dt_res *r, char *buf, size_t len)
{
	int n;

	if (r->ret < 0)
		n = snprintf(buf, len, "ret=-1 errno=%s (%d)", strerrorname_np(r->err) ?
			     strerrorname_np(r->err) : "?", r->err);
	else
		n = snprintf(buf, len, "ret=%s%ld", r->ret_is_fd ? "fd " : "", r->ret);
	if (r->out && n > 0 && (size_t)n < len) {
		size_t room = len - (size_t)n - 8, shown = r->outlen < room ? r->outlen : room;

		shown = shown < 160 ? shown : 160; /* enough to see where they part */
		snprintf(buf + n, len - (size_t)n, " out[%zu]=", r->outlen);
		n = (int)strlen(buf);
		for (size_t i = 0; i < shown && (size_t)n + 5 < len; i++) {
			unsigned char c = (unsigned char)r->out[i];

			n += c >= 32 && c < 127 ? snprintf(buf + n, len - (size_t)n, "%c", c)
						: snprintf(buf + n, len - (size_t)n, "\\x%02x", c);
		}
	}
}

void dt_mismatch(struct dt *t, const char *what, const char *a, const char *b)
{
	t->mismatches++;
	fprintf(stderr, "difftest: MISMATCH seed=%llu op=%ld%s: %s\n  %s\n  %s:  %s\n  %s: %s\n",
		(unsigned long long)t->seed, t->op, t->who, t->desc, what, t->s[0].label, a,
		t->s[1].label, b);
	if (t->replayable)
		fprintf(stderr, "  replay: difftest run --seed %llu --ops %ld -v BARE MOUNT\n",
			(unsigned long long)t->seed, t->op + 1);
	if (!t->keep_going)
		exit(1);
}

/* Where two outputs part, so long outputs show the interesting bytes. */
static void show_from_diff(struct dt_res r[DT_SIDES], char *a, char *b, size_t len)
{
	size_t i = 0, skip;
	struct dt_res c[DT_SIDES];

	while (i < r[0].outlen && i < r[1].outlen && r[0].out[i] == r[1].out[i])
		i++;
	skip = i > 64 ? i - 64 : 0;
	for (int s = 0; s < DT_SIDES; s++) {
		c[s] = r[s];
		c[s].out = r[s].out ? r[s].out + (skip < r[s].outlen ? skip : r[s].outlen) : NULL;
		c[s].outlen = r[s].outlen > skip ? r[s].outlen - skip : 0;
	}
	show(&c[0], a, len);
	show(&c[1], b, len);
	if (skip) {
		char note[64];

		snprintf(note, sizeof(note), " (output from byte %zu)", skip);
		strncat(a, note, len - strlen(a) - 1);
		strncat(b, note, len - strlen(b) - 1);
	}
}

bool dt_same(struct dt *t, struct dt_res r[DT_SIDES])
{
	bool ok = true, succeeded = r[0].ret >= 0;
	char a[1200], b[1200];

	t->checks++;
	t->succeeded += succeeded;
	if ((r[0].ret < 0) != (r[1].ret < 0) || r[0].err != r[1].err)
		ok = false;
	if (!r[0].ret_is_fd && r[0].ret != r[1].ret)
		ok = false;
	if (r[0].outlen != r[1].outlen ||
	    (r[0].outlen && memcmp(r[0].out, r[1].out, r[0].outlen)))
		ok = false;
	if (!ok) {
		show_from_diff(r, a, b, sizeof(a));
		dt_mismatch(t, "results differ", a, b);
	}
	for (int s = 0; s < DT_SIDES; s++) {
		free(r[s].out);
		r[s].out = NULL;
		r[s].outlen = 0;
	}
	return succeeded;
}

void dt_taint(struct dt *t, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || dt_tainted(t, st.st_ino))
		return;
	if (t->ntaint < sizeof(t->taint) / sizeof(*t->taint))
		t->taint[t->ntaint++] = st.st_ino;
}

bool dt_tainted(struct dt *t, ino_t ino)
{
	for (size_t i = 0; i < t->ntaint; i++)
		if (t->taint[i] == ino)
			return true;
	return false;
}
