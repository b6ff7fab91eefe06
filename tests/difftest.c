/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * difftest: differential POSIX test of btsootfs against a bare directory.
 *
 *   difftest run [--seed S] [--ops N] [--root-only] [--keep-going]
 *                [--paranoid] [-v] BARE MOUNT
 *       the same seeded random syscalls on both trees (see difftest/dt.h),
 *       every result compared; then the whole trees (--paranoid: after
 *       every operation). Exit 1 on the first difference (--keep-going:
 *       after all of them). -v prints each operation.
 *   difftest cmptree [--copy] A B
 *       compares two existing trees the way `run` ends (deeper than
 *       PATH_MAX too). --copy: B is a copy of A (a synced remote): every
 *       mtime exactly, no atimes, bytes but not hole maps, the hard-link
 *       structure but not link counts (a trash may hold more names), and
 *       not B's top-level .btsoot.
 *   difftest deep BARE MOUNT [LEVELS]
 *       mkdir + chdir step by step past PATH_MAX on both sides.
 *   difftest socket DIR
 *       bind, connect and talk over a unix socket in DIR.
 *   difftest times BARE MOUNT
 *       which ctimes and mtimes each kind of change moves (difftest/times.c).
 *
 * Must run as root: a fifth of the operations run as other users
 * (seteuid/setegid/setgroups), to compare permission checks, set-id bit
 * clearing and ownership of new files.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "difftest/dt.h"

struct op {
	void (*fn)(struct dt *t);
	unsigned weight;
};

static const struct op ops[] = {
	{ dt_op_open, 9 },     { dt_op_close, 3 },    { dt_op_mkdir, 6 },
	{ dt_op_rmdir, 3 },    { dt_op_unlink, 5 },   { dt_op_rename, 8 },
	{ dt_op_link, 3 },     { dt_op_symlink, 3 },  { dt_op_readlink, 2 },
	{ dt_op_mknod, 2 },    { dt_op_rmtree, 1 },   { dt_op_truncate, 3 },
	{ dt_op_read, 7 },     { dt_op_write, 9 },    { dt_op_seek, 4 },
	{ dt_op_ftruncate, 3 }, { dt_op_fallocate, 3 }, { dt_op_fsync, 1 },
	{ dt_op_fstat, 4 },    { dt_op_mmap, 2 },     { dt_op_fdmeta, 3 },
	{ dt_op_getdents, 1 }, { dt_op_relink, 1 },   { dt_op_chmod, 4 },
	{ dt_op_chown, 3 },    { dt_op_utimens, 4 },  { dt_op_stat, 5 },
	{ dt_op_readdir, 3 },  { dt_op_access, 2 },   { dt_op_xattr, 6 },
	{ dt_op_acl, 2 },      { dt_op_umask, 1 },    { dt_op_copy_range, 2 },
};

struct ident {
	uid_t uid;
	gid_t gid;
	size_t ngroups;
	gid_t groups[2];
};

static const struct ident idents[] = {
	{ 65534, 65534, 0, { 0 } },
	{ 65533, 65533, 1, { 65532 } },
	{ 65532, 65532, 2, { 65533, 65534 } },
};

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void become(struct dt *t, const struct ident *id)
{
	if (setgroups(id->ngroups, id->groups) < 0 || setegid(id->gid) < 0 ||
	    seteuid(id->uid) < 0)
		die("difftest: switching user");
	snprintf(t->who, sizeof(t->who), " as uid %u gid %u", id->uid, id->gid);
}

static void become_root(struct dt *t)
{
	if (seteuid(0) < 0 || setegid(0) < 0 || setgroups(0, NULL) < 0)
		die("difftest: back to root");
	t->who[0] = '\0';
}

static const struct op *pick_op(struct dt *t)
{
	static const struct op rmtree = { dt_op_rmtree, 0 };
	static unsigned total;
	unsigned k;

	if (!total)
		for (size_t i = 0; i < sizeof(ops) / sizeof(*ops); i++)
			total += ops[i].weight;
	dt_pool_scan(t);
	if (t->npool > 250 && dt_chance(t, 15)) /* keep the tree small */
		return &rmtree;
	k = (unsigned)dt_below(t, total);
	for (size_t i = 0; i < sizeof(ops) / sizeof(*ops); i++) {
		if (k < ops[i].weight)
			return &ops[i];
		k -= ops[i].weight;
	}
	return &ops[0];
}

static void open_roots(struct dt *t, const char *a, const char *b)
{
	const char *dirs[DT_SIDES] = { a, b };

	for (int s = 0; s < DT_SIDES; s++) {
		t->s[s].root = open(dirs[s], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (t->s[s].root < 0)
			die(dirs[s]);
		for (int i = 0; i < DT_SLOTS; i++)
			t->s[s].fd[i] = -1;
	}
	clock_gettime(CLOCK_REALTIME, &t->t0);
	t->t0.tv_sec -= 2; /* file times come from a coarser clock */
	t->pool_dirty = true;
}

static void run_ops(struct dt *t, long nops, bool users)
{
	for (t->op = 0; t->op < nops; t->op++) {
		const struct op *o = pick_op(t);
		bool as_user = users && dt_chance(t, 20);

		if (as_user)
			become(t, &idents[dt_below(t, sizeof(idents) / sizeof(*idents))]);
		o->fn(t);
		if (as_user)
			become_root(t);
		if (t->paranoid) /* finds the operation that made trees part */
			dt_compare_trees(t);
	}
	for (int i = 0; i < DT_SLOTS; i++)
		if (t->slot[i].open)
			dt_close_slot(t, i);
}

static int cmd_run(int argc, char **argv)
{
	static struct dt t;
	const char *dirs[2] = { NULL, NULL };
	long nops = 1000;
	bool users = true;
	int nd = 0;

	t.s[0].label = "bare";
	t.s[1].label = "mount";
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			t.seed = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--ops") && i + 1 < argc)
			nops = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--root-only"))
			users = false;
		else if (!strcmp(argv[i], "--keep-going"))
			t.keep_going = true;
		else if (!strcmp(argv[i], "-v"))
			t.verbose = true;
		else if (!strcmp(argv[i], "--paranoid"))
			t.paranoid = true;
		else if (nd < 2)
			dirs[nd++] = argv[i];
	}
	if (nd != 2) {
		fprintf(stderr, "usage: difftest run [--seed S] [--ops N] [--root-only] "
			"[--keep-going] [-v] BARE MOUNT\n");
		return 2;
	}
	if (users && geteuid() != 0) {
		fprintf(stderr, "difftest: run as root (or with --root-only)\n");
		return 2;
	}
	t.rng = t.seed;
	t.replayable = true;
	umask(022);
	open_roots(&t, dirs[0], dirs[1]);
	dt_desc(&t, "chmod 0777 of both roots (before the run)");
	for (int s = 0; s < DT_SIDES && users; s++)
		if (fchmod(t.s[s].root, 0777) < 0)
			die("difftest: fchmod root");
	t.op = -1;
	dt_compare_trees(&t); /* the same start */
	run_ops(&t, nops, users);
	t.op = nops;
	t.pool_dirty = true;
	dt_pool_scan(&t);
	dt_compare_trees(&t);
	printf("difftest: seed %llu: %ld operations, %ld comparisons (%ld successful calls), "
	       "%zu entries at the end, %ld differences\n", (unsigned long long)t.seed, nops,
	       t.checks, t.succeeded, t.npool, t.mismatches);
	return t.mismatches ? 1 : 0;
}

static int cmd_cmptree(int argc, char **argv)
{
	static struct dt t;
	const char *dirs[2] = { NULL, NULL };
	int nd = 0;

	t.s[0].label = "first";
	t.s[1].label = "second";
	t.keep_going = true;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--copy"))
			t.copy = t.no_holes = true;
		else if (nd < 2)
			dirs[nd++] = argv[i];
	}
	if (nd != 2) {
		fprintf(stderr, "usage: difftest cmptree [--copy] A B\n");
		return 2;
	}
	open_roots(&t, dirs[0], dirs[1]);
	t.op = 0;
	dt_compare_trees(&t);
	printf("difftest cmptree: %ld comparisons, %ld differences\n", t.checks, t.mismatches);
	return t.mismatches ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN); /* a fifo without readers: EPIPE, compared */
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "cmptree"))
		return cmd_cmptree(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "deep"))
		return dt_cmd_deep(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "socket"))
		return dt_cmd_socket(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "times"))
		return dt_cmd_times(argc - 2, argv + 2);
	fprintf(stderr, "usage: difftest run|cmptree|deep|socket|times ... (see tests/difftest.c)\n");
	return 2;
}
