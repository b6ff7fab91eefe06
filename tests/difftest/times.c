/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which timestamps an operation moves, on both sides: the ctime and mtime
 * of the object and of its directory (what pjdfstest checks around each
 * call). The random run cannot compare that: times within one clock tick
 * look unchanged. Here each operation waits past a clock tick first, so
 * "changed" means changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "dt.h"

struct step {
	const char *what;
	const char *obj;  /* whose times are watched, with its directory "d" */
	int (*fn)(int root);
};

static int f_write(int root)
{
	int fd = openat(root, "d/f", O_WRONLY);
	int rc = fd < 0 ? -1 : (int)write(fd, "abc", 3);

	if (fd >= 0)
		close(fd);
	return rc < 0 ? -1 : 0;
}

static int f_create(int root)
{
	int fd = openat(root, "d/n", O_WRONLY | O_CREAT | O_EXCL, 0644);

	return fd < 0 ? -1 : close(fd);
}

static int f_open_trunc(int root)
{
	int fd = openat(root, "d/f", O_WRONLY | O_TRUNC);

	return fd < 0 ? -1 : close(fd);
}

static int f_chmod(int root) { return fchmodat(root, "d/f", 0640, 0); }
static int f_chown(int root) { return fchownat(root, "d/f", 65534, 65534, 0); }
static int f_chown_same(int root) { return fchownat(root, "d/f", (uid_t)-1, (gid_t)-1, 0); }
static int f_truncate(int root)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/self/fd/%d/d/f", root);
	return truncate(p, 10);
}
static int f_link(int root) { return linkat(root, "d/f", root, "d/f2", 0); }
static int f_unlink_link(int root) { return unlinkat(root, "d/f2", 0); }
static int f_rename(int root) { return renameat(root, "d/f", root, "d/g"); }
static int f_rename_back(int root) { return renameat(root, "d/g", root, "d/f"); }
static int f_mkdir(int root) { return mkdirat(root, "d/s", 0755); }
static int f_rmdir(int root) { return unlinkat(root, "d/s", AT_REMOVEDIR); }
static int f_symlink(int root) { return symlinkat("f", root, "d/l"); }
static int f_mkfifo(int root) { return mknodat(root, "d/p", S_IFIFO | 0600, 0); }

static int f_utimes_now(int root)
{
	return utimensat(root, "d/f", NULL, 0);
}

static int f_xattr(int root)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/self/fd/%d/d/f", root);
	return setxattr(p, "user.t", "v", 1, 0);
}

static const struct step steps[] = {
	{ "write", "d/f", f_write },           { "create", "d/n", f_create },
	{ "open O_TRUNC", "d/f", f_open_trunc }, { "write again", "d/f", f_write },
	{ "chmod", "d/f", f_chmod },           { "chown", "d/f", f_chown },
	{ "chown -1 -1", "d/f", f_chown_same }, { "link", "d/f", f_link },
	{ "unlink one name", "d/f", f_unlink_link }, { "rename", "d/g", f_rename },
	{ "rename back", "d/f", f_rename_back }, { "mkdir", "d/s", f_mkdir },
	{ "rmdir", "d", f_rmdir },             { "symlink", "d/l", f_symlink },
	{ "mkfifo", "d/p", f_mkfifo },         { "utimensat NULL", "d/f", f_utimes_now },
	{ "setxattr", "d/f", f_xattr },        { "truncate", "d/f", f_truncate },
};

/* Times of obj and of "d". Before the change straight from the filesystem
 * (AT_STATX_FORCE_SYNC: FUSE asks btsootfs, not its cache); after it as
 * programs see them: the kernel's cache must have been told. */
static void times_of(int root, const char *obj, struct statx sx[2], int sync)
{
	memset(sx, 0, 2 * sizeof(*sx));
	statx(root, obj, AT_SYMLINK_NOFOLLOW | sync, STATX_CTIME | STATX_MTIME, &sx[0]);
	statx(root, "d", sync, STATX_CTIME | STATX_MTIME, &sx[1]);
}

static bool moved(const struct statx_timestamp *a, const struct statx_timestamp *b)
{
	return a->tv_sec != b->tv_sec || a->tv_nsec != b->tv_nsec;
}

static void run_step(struct dt *t, const struct step *st)
{
	struct dt_res r[DT_SIDES] = { 0 };
	struct statx before[DT_SIDES][2], after[DT_SIDES][2];
	struct timespec tick = { 0, 20 * 1000 * 1000 };

	for (int s = 0; s < DT_SIDES; s++)
		times_of(t->s[s].root, st->obj, before[s], AT_STATX_FORCE_SYNC);
	nanosleep(&tick, NULL); /* past the filesystem clock's tick */
	dt_desc(t, "times: %s", st->what);
	DT_BOTH(t, r, st->fn(S->root));
	for (int s = 0; s < DT_SIDES; s++) {
		times_of(t->s[s].root, st->obj, after[s], AT_STATX_SYNC_AS_STAT);
		dt_res_printf(&r[s], "%s: ctime %s, mtime %s; its dir: ctime %s, mtime %s",
			      st->obj,
			      moved(&before[s][0].stx_ctime, &after[s][0].stx_ctime) ? "moved" : "kept",
			      moved(&before[s][0].stx_mtime, &after[s][0].stx_mtime) ? "moved" : "kept",
			      moved(&before[s][1].stx_ctime, &after[s][1].stx_ctime) ? "moved" : "kept",
			      moved(&before[s][1].stx_mtime, &after[s][1].stx_mtime) ? "moved" : "kept");
	}
	dt_same(t, r);
}

int dt_cmd_times(int argc, char **argv)
{
	static struct dt t;

	if (argc != 2) {
		fprintf(stderr, "usage: difftest times BARE MOUNT\n");
		return 2;
	}
	t.s[0].label = "bare";
	t.s[1].label = "mount";
	t.keep_going = true;
	for (int s = 0; s < DT_SIDES; s++) {
		int fd;

		t.s[s].root = open(argv[s], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (t.s[s].root < 0 || mkdirat(t.s[s].root, "d", 0755) < 0 ||
		    (fd = openat(t.s[s].root, "d/f", O_WRONLY | O_CREAT | O_EXCL, 0644)) < 0) {
			perror(argv[s]);
			return 2;
		}
		close(fd);
	}
	for (size_t i = 0; i < sizeof(steps) / sizeof(*steps); i++)
		run_step(&t, &steps[i]);
	printf("difftest times: %zu operations, %ld differences\n",
	       sizeof(steps) / sizeof(*steps), t.mismatches);
	return t.mismatches ? 1 : 0;
}
