/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the remote filesystem can hold, read once per run from btsoot's own
 * entries there, without writing anything (a refused or dry-run sync must
 * leave the remote as it was):
 * - how finely it keeps times: the ctimes of the remote root, .btsoot,
 *   .btsoot/tmp and the marker are set by the remote filesystem itself
 *   (nobody can set a ctime), so when all four are whole seconds, the
 *   remote keeps seconds (sshfs: SFTP carries seconds; SMB: 100 ns). Four
 *   samples: a filesystem with nanoseconds passes for one with 100 ns
 *   steps once in 10^8 runs. (FAT's 2 s steps are not told apart from
 *   seconds: half its files would differ);
 * - as root, whether it keeps owners: `btsoot add` wrote the marker as
 *   root, so a marker owned by someone else means the remote maps owners
 *   (NFS root_squash, SMB uid=, sshfs as a user).
 * - whether it holds extended attributes at all (listxattr of its root:
 *   sshfs answers ENOTSUP);
 * - whether it is mounted nodev: then verify may open its files directly,
 *   with no O_PATH step (no device node there can be opened).
 * Nothing here prints: bt_remote_limits() describes what falls short and
 * the caller says it once per block (sync/context.c).
 * Comparisons then ask no more than the remote can hold, so such a remote
 * is not "different" in every file on every run (and not rewritten by
 * every repair).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "btsoot/fsclock.h"
#include "btsoot/log.h"
#include "remote_priv.h"

/* The coarsest usual step that every sample is a multiple of (1: none). */
static int64_t granularity(const int64_t *ns, size_t n)
{
	static const int64_t steps[] = { 1000000000, 1000000, 1000, 100 };

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		size_t k = 0;

		while (k < n && ns[k] % steps[i] == 0)
			k++;
		if (n && k == n)
			return steps[i];
	}
	return 1;
}

/* marker: the stat of .btsoot/marker, or NULL if it cannot be read. */
static void probe_times(struct bt_remote *r, const struct stat *marker)
{
	const int fds[] = { r->rootfd, r->areafd, r->tmpfd };
	int64_t ns[4];
	size_t n = 0;
	struct stat st;

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0 && fstat(fds[i], &st) == 0)
			ns[n++] = bt_ts_ns(&st.st_ctim);
	if (marker)
		ns[n++] = bt_ts_ns(&marker->st_ctim);
	r->time_gran_ns = n == 4 ? granularity(ns, n) : 1;
}

static void probe_owner(struct bt_remote *r, const struct stat *marker)
{
	if (!r->is_root || !marker || (marker->st_uid == 0 && marker->st_gid == 0))
		return;
	r->no_owner = true;
	r->warned_owner = true; /* the sync does not try (and fail) on every file */
	r->marker_uid = marker->st_uid;
	r->marker_gid = marker->st_gid;
}

static void probe_xattrs(struct bt_remote *r)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", r->rootfd);
	if (listxattr(proc, NULL, 0) < 0 && (errno == ENOTSUP || errno == ENOSYS)) {
		r->no_xattr = true;
		r->warned_xattr = true; /* said by bt_remote_limits' caller instead */
	}
}

void bt_remote_limits(const struct bt_remote *r, char *buf, size_t len)
{
	int64_t g = r->time_gran_ns;
	size_t n = 0;

	buf[0] = '\0';
	if (g > 1)
		n += (size_t)snprintf(buf + n, len - n, "keeps file times to %lld %s only",
				      (long long)(g % 1000000000 == 0 ? g / 1000000000 : g),
				      g % 1000000000 == 0 ? "s" : "ns");
	if (r->no_owner && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%sdoes not keep file owners (its "
				      "marker is owned by %u:%u)", n ? ", " : "",
				      r->marker_uid, r->marker_gid);
	if (r->no_xattr && n < len)
		snprintf(buf + n, len - n, "%scannot hold extended attributes", n ? ", " : "");
}

void bt_remote_probe(struct bt_remote *r)
{
	struct stat st;
	struct statvfs sv;
	bool have = fstatat(r->areafd, "marker", &st, AT_SYMLINK_NOFOLLOW) == 0;

	probe_times(r, have ? &st : NULL);
	probe_owner(r, have ? &st : NULL);
	probe_xattrs(r);
	r->nodev = fstatvfs(r->rootfd, &sv) == 0 && (sv.f_flag & ST_NODEV);
}

bool bt_remote_same_time(const struct bt_remote *r, const struct timespec *a,
			 const struct timespec *b)
{
	int64_t g = r->time_gran_ns > 1 ? r->time_gran_ns : 1, x = bt_ts_ns(a), y = bt_ts_ns(b);

	return x - (x % g + g) % g == y - (y % g + g) % g;
}
