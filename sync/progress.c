/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "btsoot/log.h"
#include "btsoot/words.h"
#include "progress.h"

#define DEFAULT_INTERVAL_MS 250

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

static struct bt_progress *shown; /* the one whose line a log message erases */

static void clear_shown(void)
{
	bt_progress_clear(shown);
}

void bt_progress_init(struct bt_progress *p, const char *label, bool on)
{
	const char *ms = getenv("BTSOOT_PROGRESS_MS");

	memset(p, 0, sizeof(*p));
	p->on = on;
	p->label = label;
	p->v.total_files = p->v.total_bytes = -1;
	p->interval_ms = ms && *ms ? strtol(ms, NULL, 10) : DEFAULT_INTERVAL_MS;
	if (p->interval_ms < 0)
		p->interval_ms = DEFAULT_INTERVAL_MS;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
	if (on) {
		shown = p;
		bt_log_before_stderr(clear_shown);
	}
}

void bt_progress_total(struct bt_progress *p, int64_t files, int64_t bytes)
{
	if (!p)
		return;
	p->v.total_files = files < 0 ? -1 : files;
	p->v.total_bytes = bytes < 0 ? -1 : bytes;
}

void bt_progress_total_add(struct bt_progress *p, int64_t files, int64_t bytes)
{
	if (!p)
		return;
	p->v.total_files = (p->v.total_files < 0 ? 0 : p->v.total_files) + files;
	p->v.total_bytes = (p->v.total_bytes < 0 ? 0 : p->v.total_bytes) + bytes;
}

void bt_progress_base(struct bt_progress *p, int64_t files, int64_t bytes)
{
	if (!p)
		return;
	p->base_files = files;
	p->base_bytes = bytes;
}

/* The terminal's width, or 80. */
static size_t columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static void draw(struct bt_progress *p)
{
	char text[256], line[320];
	size_t width = columns() - 1; /* the last column would wrap on some terminals */

	bt_progress_format(&p->v, text, sizeof(text));
	snprintf(line, sizeof(line), "%s: %s", p->label, text);
	if (strlen(line) > width)
		line[width] = '\0';
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	p->drawn = true;
}

void bt_progress_set(struct bt_progress *p, int64_t files, int64_t bytes)
{
	struct timespec now;

	if (!p || !p->on)
		return;
	p->v.files = files - p->base_files;
	p->v.bytes = bytes - p->base_bytes;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (p->drawn && since(&p->last, &now) * 1000 < (double)p->interval_ms)
		return;
	if (!p->drawn && p->interval_ms && since(&p->start, &now) * 1000 < (double)p->interval_ms)
		return; /* a run over in a blink draws nothing */
	p->last = now;
	p->v.secs = since(&p->start, &now);
	draw(p);
}

void bt_progress_clear(struct bt_progress *p)
{
	if (!p || !p->drawn)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	p->drawn = false;
}

void bt_progress_end(struct bt_progress *p)
{
	if (!p)
		return;
	bt_progress_clear(p);
	p->on = false;
	if (shown == p) {
		shown = NULL;
		bt_log_before_stderr(NULL);
	}
}

char *bt_progress_eta(double secs, char *buf, size_t len)
{
	int64_t s = secs < 0 ? 0 : (int64_t)(secs + 0.5);

	if (s < 60)
		snprintf(buf, len, "%" PRId64 " s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRId64 " min %02" PRId64 " s", s / 60, s % 60);
	else
		snprintf(buf, len, "%" PRId64 " h %02" PRId64 " min", s / 3600, s / 60 % 60);
	return buf;
}

/* Percent of done in total, clamped to 0..100. */
static int percent(int64_t done, int64_t total)
{
	double pc = total > 0 ? 100.0 * (double)done / (double)total : 100.0;

	return pc < 0 ? 0 : pc > 100 ? 100 : (int)pc;
}

/* ", 35.2 MiB of 600.0 MiB (5%), 12.1 MiB/s, 47 s left" and its parts. */
static void tail(const struct bt_progress_view *v, char *buf, size_t len)
{
	bool by_bytes = v->total_bytes > 0 || v->total_files <= 0;
	int64_t done = by_bytes ? v->bytes : v->files;
	int64_t total = by_bytes ? v->total_bytes : v->total_files;
	double rate = v->secs > 0 ? (double)done / v->secs : 0;
	char b[32], tb[32], r[32], eta[32];
	size_t n = 0;

	bt_fmt_bytes(v->bytes, b, sizeof(b));
	if (v->total_bytes >= 0)
		n += snprintf(buf + n, len - n, ", %s of %s", b,
			      bt_fmt_bytes(v->total_bytes, tb, sizeof(tb)));
	else
		n += snprintf(buf + n, len - n, ", %s", b);
	if (n < len && total >= 0 && v->total_files >= 0)
		n += snprintf(buf + n, len - n, " (%d%%)", percent(done, total));
	if (n < len && v->secs > 0 && v->bytes >= 0)
		n += snprintf(buf + n, len - n, ", %s/s",
			      bt_fmt_bytes((int64_t)((double)v->bytes / v->secs), r, sizeof(r)));
	if (n < len && total >= 0 && rate > 0 && done < total)
		snprintf(buf + n, len - n, ", %s left",
			 bt_progress_eta((double)(total - done) / rate, eta, sizeof(eta)));
}

char *bt_progress_format(const struct bt_progress_view *v, char *buf, size_t len)
{
	const char *one = v->entries ? "entry" : "file", *many = v->entries ? "entries" : "files";
	char rest[160];
	int n;

	if (v->total_files >= 0)
		n = snprintf(buf, len, "%" PRId64 "/%" PRId64 " %s", v->files, v->total_files,
			     bt_plural(v->total_files, one, many));
	else
		n = snprintf(buf, len, "%" PRId64 " %s", v->files,
			     bt_plural(v->files, one, many));
	tail(v, rest, sizeof(rest));
	if (n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, "%s", rest);
	return buf;
}
