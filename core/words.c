/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdio.h>

#include "btsoot/words.h"

const char *bt_plural(int64_t n, const char *one, const char *many)
{
	return n == 1 || n == -1 ? one : many;
}

char *bt_fmt_bytes(int64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024 && bytes > -1024) {
		snprintf(buf, len, "%" PRId64 " B", bytes);
		return buf;
	}
	while ((v >= 1024 || v <= -1024) && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

char *bt_fmt_age(time_t t, time_t now, char *buf, size_t len)
{
	int64_t d = (int64_t)now - (int64_t)t;

	if (d < 0)
		snprintf(buf, len, "in the future (clock changed?)");
	else if (d < 5)
		snprintf(buf, len, "just now");
	else if (d < 120)
		snprintf(buf, len, "%" PRId64 " s ago", d);
	else if (d < 2 * 3600)
		snprintf(buf, len, "%" PRId64 " min ago", d / 60);
	else if (d < 2 * 86400)
		snprintf(buf, len, "%" PRId64 " h ago", d / 3600);
	else
		snprintf(buf, len, "%" PRId64 " days ago", d / 86400);
	return buf;
}

char *bt_fmt_local(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S %Z", &tm))
		snprintf(buf, len, "@%lld", (long long)t);
	return buf;
}

char *bt_fmt_local_ns(int64_t sec, long nsec, char *buf, size_t len)
{
	char day[32], zone[16];
	time_t t = (time_t)sec;
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm) ||
	    !strftime(zone, sizeof(zone), "%z", &tm)) {
		snprintf(buf, len, "@%" PRId64 ".%09ld", sec, nsec);
		return buf;
	}
	snprintf(buf, len, "%s.%09ld %s", day, nsec, zone);
	return buf;
}
