/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the remote filesystem can hold, found once per run on a scratch file
 * in .btsoot/tmp: how finely it keeps file times (sshfs keeps whole
 * seconds, SMB 100 ns, FAT 2 s) and, as root, whether it keeps owners.
 * Comparisons then ask no more than the remote can hold, so a remote that
 * rounds times is not "different" in every file on every run (and not
 * rewritten by every repair).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btsoot/log.h"
#include "remote_priv.h"

#define PROBE "timeprobe"

static int64_t ns_of(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* The finest of the usual granularities that explains what came back. */
static int64_t granularity(int64_t want, int64_t got)
{
	static const int64_t steps[] = { 1, 100, 1000, 1000000, 1000000000, 2000000000 };
	int64_t d = llabs(want - got);

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (d < steps[i])
			return steps[i];
	return 1; /* nothing sensible came back: compare exactly */
}

static void probe_times(struct bt_remote *r, int fd)
{
	/* An odd second and every nanosecond digit set. */
	struct timespec ts[2] = { { 1700000001, 123456789 }, { 1700000001, 123456789 } };
	struct stat st;
	int64_t g;

	if (futimens(fd, ts) < 0 || fstat(fd, &st) < 0)
		return;

	r->time_gran_ns = g = granularity(ns_of(&ts[1]), ns_of(&st.st_mtim));
	if (g > 1)
		bt_warn("the remote filesystem keeps file times to %lld %s only: times are "
			"compared to that precision (a known limitation of this remote, not a "
			"difference)", (long long)(g % 1000000000 == 0 ? g / 1000000000 : g),
			g % 1000000000 == 0 ? "s" : "ns");
}

static void probe_owner(struct bt_remote *r, int fd)
{
	struct stat st;

	if (!r->is_root)
		return;
	if (fchown(fd, 1, 1) == 0 && fstat(fd, &st) == 0 && st.st_uid == 1 && st.st_gid == 1)
		return;
	r->no_owner = true;
	r->warned_owner = true; /* the sync does not try (and fail) on every file */
	bt_warn("the remote filesystem cannot hold file owners: not copied or compared "
		"(a known limitation of this remote, not a difference)");
}

void bt_remote_probe(struct bt_remote *r)
{
	int fd = openat(r->tmpfd, PROBE, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
			0600);

	r->time_gran_ns = 1;
	if (fd < 0)
		return; /* compare exactly; a failing remote shows up soon enough */
	probe_times(r, fd);
	probe_owner(r, fd);
	close(fd);
	unlinkat(r->tmpfd, PROBE, 0);
}

bool bt_remote_same_time(const struct bt_remote *r, const struct timespec *a,
			 const struct timespec *b)
{
	int64_t g = r->time_gran_ns > 1 ? r->time_gran_ns : 1;

	return llabs(ns_of(a) - ns_of(b)) < g;
}
