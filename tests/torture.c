/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * torture: the seeded random workload of the concurrency torture test
 * (tests/integration/it_torture_live_writes_and_syncs_converge.sh).
 *
 *   torture --seed S DIR [--ops N] [--seconds T] [--no-hardlinks]
 *           [--no-sneaky] [--skip OP,OP...] [--ctl CTLDIR]
 *
 * Runs N operations (or until T seconds passed, or CTLDIR/stop exists) on
 * DIR: creations of small and > 64 KiB files, writes at random offsets,
 * appends, truncates, renames of files and directories to new names, into
 * other directories and over existing names, three-step swaps (a -> t,
 * b -> a, t -> b), RENAME_EXCHANGE, hard links, file <-> directory <->
 * symlink replacement at the same name (also "mv a b; create a"), chmod,
 * utimes to a few fixed nanosecond times, user.* xattrs, unlinks, rmdir and
 * rm -rf of subtrees. --no-sneaky leaves out the adversary's edit that keeps
 * a file's size and sets its mtime back to what it was; --skip leaves out
 * the named operations (the names the summary line prints).
 *
 * The sequence of operations depends on the seed, the operation count and
 * DIR's initial contents only (never on timing), so --ops N replays a run.
 * A model of what exists keeps every operation valid; any failure is a bug
 * of the filesystem under test: printed, counted, exit 1.
 *
 * CTLDIR (outside DIR) is how the test pauses the workload while it
 * remounts DIR: when CTLDIR/pause exists, the workload closes everything it
 * holds in DIR, creates CTLDIR/paused and waits until pause is gone. It
 * stops when CTLDIR/stop exists or CTLDIR is gone, and rewrites
 * CTLDIR/status ("ops N") every 100 operations.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

enum kind { K_FILE, K_DIR, K_LINK, K_PINNED };

struct ent {
	char *path;
	enum kind kind;
};

#define MAX_ENTS 4000
#define SOFT_ENTS 500 /* above this, creations turn into deletions */

static struct ent ents[MAX_ENTS];
static size_t nents;
static int dfd = -1;            /* DIR, reopened after every pause */
static const char *root;
static const char *ctl;
static bool no_hardlinks, no_sneaky;
static uint64_t rng_state;
static long failures, serial;

enum op_id {
	OP_CREATE, OP_BIG, OP_WRITE, OP_APPEND, OP_TRUNC, OP_SNEAKY, OP_RENAME, OP_MOVEDIR,
	OP_OVER, OP_SWAP3, OP_EXCHANGE, OP_LINK, OP_REPLACE, OP_MOVE_RECREATE, OP_SYMLINK,
	OP_UNLINK, OP_MKDIR, OP_RMDIR, OP_RMRF, OP_CHMOD, OP_UTIMES, OP_XATTR, OP_COUNT
};

static const char *op_names[OP_COUNT] = {
	"create", "big", "write", "append", "truncate", "sneaky", "rename", "movedir",
	"over", "swap3", "exchange", "link", "replace", "move_recreate", "symlink",
	"unlink", "mkdir", "rmdir", "rmrf", "chmod", "utimes", "xattr",
};

static const unsigned op_weight[OP_COUNT] = {
	10, 2, 10, 5, 4, 3, 8, 4,
	5, 3, 3, 4, 5, 4, 3,
	6, 6, 2, 1, 4, 5, 5,
};

static long counts[OP_COUNT];
static bool skipped[OP_COUNT]; /* --skip: never drawn */

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void fail(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "torture: %s %s%s%s: %s\n", what, a, b ? " -> " : "", b ? b : "",
		strerror(errno));
	failures++;
}

/* ---- the model ---------------------------------------------------------- */

static void add(const char *path, enum kind k)
{
	if (nents < MAX_ENTS) {
		ents[nents].path = strdup(path);
		ents[nents++].kind = k;
	}
}

static void drop(size_t i)
{
	free(ents[i].path);
	ents[i] = ents[--nents];
}

static bool under(const char *p, const char *d)
{
	size_t n = strlen(d);

	return !strncmp(p, d, n) && (p[n] == '/' || p[n] == '\0');
}

static bool nested(const char *a, const char *b)
{
	return under(a, b) || under(b, a);
}

/* D and everything beneath it leave the model. */
static void drop_under(const char *d)
{
	char *copy = strdup(d);

	for (size_t i = nents; i-- > 0;)
		if (under(ents[i].path, copy))
			drop(i);
	free(copy);
}

static bool holds_pinned(const char *d)
{
	for (size_t i = 0; i < nents; i++)
		if (ents[i].kind == K_PINNED && under(ents[i].path, d))
			return true;
	return false;
}

static bool is_empty_dir(const char *d)
{
	for (size_t i = 0; i < nents; i++)
		if (under(ents[i].path, d) && strcmp(ents[i].path, d))
			return false;
	return true;
}

/* Everything at FROM (and beneath it) is now at TO. */
static void move_prefix(const char *from, const char *to)
{
	size_t n = strlen(from);
	char *f = strdup(from);

	for (size_t i = 0; i < nents; i++) {
		char *np;

		if (!under(ents[i].path, f))
			continue;
		if (asprintf(&np, "%s%s", to, ents[i].path + n) < 0)
			break;
		free(ents[i].path);
		ents[i].path = np;
	}
	free(f);
}

/* The model after a swap of the names A and B (rename's three steps or
 * RENAME_EXCHANGE). */
static void swap_prefix(const char *a, const char *b)
{
	char *ca = strdup(a), *cb = strdup(b);

	move_prefix(ca, "\x01swap");
	move_prefix(cb, ca);
	move_prefix("\x01swap", cb);
	free(ca);
	free(cb);
}

static long pick(enum kind k)
{
	size_t tries = nents * 2 + 8;

	while (nents && tries--) {
		size_t i = below(nents);

		if (ents[i].kind == k)
			return (long)i;
	}
	return -1;
}

/* Any entry that may be moved or removed whole: no pinned file in it. */
static long pick_any(void)
{
	for (int tries = 0; nents && tries < 20; tries++) {
		size_t i = below(nents);

		if (ents[i].kind != K_PINNED && !holds_pinned(ents[i].path))
			return (long)i;
	}
	return -1;
}

static const char *random_dir(void)
{
	long i = below(4) ? pick(K_DIR) : -1;

	return i < 0 ? "" : ents[i].path;
}

static void new_name(char *out, size_t len, const char *dir)
{
	static const char cs[] = "abcdefghijklmnopqrstuvwxyz0123456789_- ";
	char name[16];
	size_t n = 1 + below(8), i;

	for (i = 0; i < n; i++)
		name[i] = cs[below(sizeof(cs) - 1)];
	name[i] = '\0';
	if (below(30) == 0)
		name[0] = '\n';           /* a newline in a name */
	if (below(30) == 0)
		name[n - 1] = (char)0xff; /* not UTF-8 */
	snprintf(out, len, "%s%sx%s-%ld", dir, *dir ? "/" : "", name, ++serial);
}

/* ---- file contents ------------------------------------------------------ */

static void fill(int fd, off_t off, size_t len, const char *path)
{
	static char buf[1 << 16];

	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		for (size_t i = 0; i < n; i += 8) {
			uint64_t v = rnd();

			memcpy(buf + i, &v, n - i < 8 ? n - i : 8);
		}
		if (pwrite(fd, buf, n, off) != (ssize_t)n) {
			fail("pwrite", path, NULL);
			return;
		}
		off += (off_t)n;
		len -= n;
	}
}

/* Small files mostly, 0 bytes now and then; BIG: over 64 KiB, up to 1.5 MiB. */
static size_t random_size(bool big)
{
	if (big)
		return (64 << 10) + 1 + below(1 << 20 | 1 << 19);
	return below(5) ? below(20000) : 0;
}

static bool make_file(const char *p, bool big)
{
	int fd = openat(dfd, p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0) {
		fail("create", p, NULL);
		return false;
	}
	fill(fd, 0, random_size(big), p);
	close(fd);
	add(p, K_FILE);
	return true;
}

static void op_create(bool big)
{
	char p[1024];

	new_name(p, sizeof(p), random_dir());
	make_file(p, big);
}

static int open_file(long i, int flags, struct stat *st)
{
	int fd = openat(dfd, ents[i].path, flags | O_CLOEXEC);

	if (fd < 0 || fstat(fd, st) < 0) {
		fail("open", ents[i].path, NULL);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* 0: write at a random offset, 1: append, 2: truncate. */
static void op_data(int mode)
{
	long i = pick(K_FILE);
	struct stat st;
	int fd;

	if (i < 0)
		return op_create(false);
	fd = open_file(i, O_WRONLY | (mode == 1 ? O_APPEND : 0), &st);
	if (fd < 0)
		return;
	if (mode == 0) {
		fill(fd, (off_t)below((uint64_t)st.st_size + 1), 1 + below(70000), ents[i].path);
	} else if (mode == 1) {
		char buf[4096];
		size_t n = 1 + below(sizeof(buf));

		memset(buf, 'a' + (int)below(26), n);
		if (write(fd, buf, n) != (ssize_t)n)
			fail("append", ents[i].path, NULL);
	} else if (ftruncate(fd, (off_t)below((uint64_t)st.st_size * 2 + 10)) < 0) {
		fail("truncate", ents[i].path, NULL);
	}
	close(fd);
}

/* The adversary: new bytes, same size, and the old mtime (to the ns) put
 * back, so size + mtime say nothing changed. */
static void op_sneaky(void)
{
	long i = pick(K_FILE);
	struct stat st;
	int fd;

	if (i < 0)
		return;
	fd = open_file(i, O_WRONLY, &st);
	if (fd < 0)
		return;
	if (st.st_size > 0) {
		off_t off = (off_t)below((uint64_t)st.st_size);
		size_t len = 1 + below((uint64_t)(st.st_size - off));

		fill(fd, off, len < 4096 ? len : 4096, ents[i].path);
		struct timespec ts[2] = { st.st_atim, st.st_mtim };

		if (futimens(fd, ts) < 0)
			fail("futimens", ents[i].path, NULL);
	}
	close(fd);
}

/* ---- names -------------------------------------------------------------- */

static bool same_inode(const char *a, const char *b)
{
	struct stat sa, sb;

	return fstatat(dfd, a, &sa, AT_SYMLINK_NOFOLLOW) == 0 &&
	       fstatat(dfd, b, &sb, AT_SYMLINK_NOFOLLOW) == 0 && sa.st_ino == sb.st_ino &&
	       sa.st_dev == sb.st_dev;
}

static bool do_rename(const char *a, const char *b, unsigned flags)
{
	if (renameat2(dfd, a, dfd, b, flags) == 0)
		return true;
	fail(flags ? "renameat2 exchange" : "rename", a, b);
	return false;
}

/* To a new name, in this or another directory. DIRS: a directory only. */
static void op_rename(bool dirs)
{
	long i = dirs ? pick(K_DIR) : pick_any();
	const char *into = random_dir();
	char p[1024];

	if (i < 0 || ents[i].kind == K_PINNED || holds_pinned(ents[i].path) ||
	    under(into, ents[i].path))
		return;
	new_name(p, sizeof(p), into);
	if (do_rename(ents[i].path, p, 0))
		move_prefix(ents[i].path, p);
}

/* Over an existing name: a file or symlink over a file or symlink, a
 * directory over an empty directory. */
static void op_over(void)
{
	long i = pick_any(), t = pick_any();
	char a[1024], b[1024];

	if (i < 0 || t < 0 || i == t || nested(ents[i].path, ents[t].path) ||
	    same_inode(ents[i].path, ents[t].path))
		return;
	if ((ents[i].kind == K_DIR) != (ents[t].kind == K_DIR))
		return;
	if (ents[t].kind == K_DIR && !is_empty_dir(ents[t].path))
		return;
	snprintf(a, sizeof(a), "%s", ents[i].path);
	snprintf(b, sizeof(b), "%s", ents[t].path);
	if (!do_rename(a, b, 0))
		return;
	drop_under(b);
	move_prefix(a, b);
}

/* Swaps of two unrelated names (any kinds): a -> t, b -> a, t -> b, or
 * one RENAME_EXCHANGE. */
static void op_swap(bool exchange)
{
	long i = pick_any(), j = pick_any();
	char a[1024], b[1024], t[1024], dir[1024], *slash;

	if (i < 0 || j < 0 || i == j || nested(ents[i].path, ents[j].path) ||
	    same_inode(ents[i].path, ents[j].path))
		return;
	snprintf(a, sizeof(a), "%s", ents[i].path);
	snprintf(b, sizeof(b), "%s", ents[j].path);
	if (exchange) {
		if (do_rename(a, b, RENAME_EXCHANGE))
			swap_prefix(a, b);
		return;
	}
	snprintf(dir, sizeof(dir), "%s", a);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	new_name(t, sizeof(t), slash ? dir : "");
	if (!do_rename(a, t, 0))
		return;
	move_prefix(a, t);
	if (!do_rename(b, a, 0))
		return;
	move_prefix(b, a);
	if (do_rename(t, b, 0))
		move_prefix(t, b);
}

static void op_link(void)
{
	long i = pick(K_FILE);
	char p[1024];

	if (i < 0)
		return;
	new_name(p, sizeof(p), random_dir());
	if (linkat(dfd, ents[i].path, dfd, p, 0) < 0)
		return fail("link", ents[i].path, p);
	add(p, K_FILE);
}

static bool make_symlink(const char *p)
{
	long t = pick(K_FILE);

	if (symlinkat(t >= 0 ? ents[t].path : "nowhere", dfd, p) < 0) {
		fail("symlink", p, NULL);
		return false;
	}
	add(p, K_LINK);
	return true;
}

static bool make_dir(const char *p)
{
	char f[1100];

	if (mkdirat(dfd, p, 0755) < 0) {
		fail("mkdir", p, NULL);
		return false;
	}
	add(p, K_DIR);
	if (below(2)) {
		snprintf(f, sizeof(f), "%s/inside", p);
		make_file(f, false);
	}
	return true;
}

/* Something new of kind K (a file with content, a directory, a symlink)
 * at P. */
static void make_kind(const char *p, enum kind k)
{
	if (k == K_DIR)
		make_dir(p);
	else if (k == K_LINK)
		make_symlink(p);
	else
		make_file(p, below(8) == 0);
}

/* Deepest first, as rm -rf does; the model loses the subtree. */
static bool remove_tree(const char *p)
{
	char *top = strdup(p);
	bool ok = true;

	for (;;) {
		long deepest = -1;

		for (size_t i = 0; i < nents; i++)
			if (under(ents[i].path, top) &&
			    (deepest < 0 || strlen(ents[i].path) > strlen(ents[deepest].path)))
				deepest = (long)i;
		if (deepest < 0)
			break;
		if (unlinkat(dfd, ents[deepest].path,
			     ents[deepest].kind == K_DIR ? AT_REMOVEDIR : 0) < 0) {
			fail("rm -rf", ents[deepest].path, NULL);
			ok = false;
			break;
		}
		drop((size_t)deepest);
	}
	free(top);
	return ok;
}

/* File <-> directory <-> symlink at the same name. */
static void op_replace(void)
{
	long i = pick_any();
	enum kind k;
	char p[1024];

	if (i < 0)
		return;
	k = ents[i].kind;
	snprintf(p, sizeof(p), "%s", ents[i].path);
	if (!remove_tree(p))
		return;
	make_kind(p, (enum kind)((k + 1 + below(2)) % 3));
}

/* "mv a b; echo new > a": the old entry goes to a new or an existing
 * name, something new (any kind) takes its place. */
static void op_move_recreate(void)
{
	long i = pick_any();
	char a[1024], b[1024];

	if (i < 0)
		return;
	snprintf(a, sizeof(a), "%s", ents[i].path);
	if (below(2)) {
		long t = pick_any();

		if (t < 0 || t == i || nested(a, ents[t].path) || same_inode(a, ents[t].path) ||
		    (ents[t].kind == K_DIR) != (ents[i].kind == K_DIR) ||
		    (ents[t].kind == K_DIR && !is_empty_dir(ents[t].path)))
			return;
		snprintf(b, sizeof(b), "%s", ents[t].path);
		if (!do_rename(a, b, 0))
			return;
		drop_under(b);
	} else {
		const char *into = random_dir();

		if (under(into, a))
			into = "";
		new_name(b, sizeof(b), into);
		if (!do_rename(a, b, 0))
			return;
	}
	move_prefix(a, b);
	make_kind(a, (enum kind)below(3));
}

static void op_symlink(void)
{
	char p[1024];

	new_name(p, sizeof(p), random_dir());
	make_symlink(p);
}

static void op_unlink(void)
{
	long i = pick(below(4) ? K_FILE : K_LINK);

	if (i < 0)
		return;
	if (unlinkat(dfd, ents[i].path, 0) < 0)
		return fail("unlink", ents[i].path, NULL);
	drop((size_t)i);
}

static void op_rmdir(void)
{
	long i = pick(K_DIR);

	if (i < 0 || !is_empty_dir(ents[i].path))
		return;
	if (unlinkat(dfd, ents[i].path, AT_REMOVEDIR) < 0)
		return fail("rmdir", ents[i].path, NULL);
	drop((size_t)i);
}

/* rm -rf of a subtree of at most a quarter of the tree. */
static void op_rmrf(void)
{
	long i = pick(K_DIR);
	size_t n = 0;

	if (i < 0 || holds_pinned(ents[i].path) || nents < 40)
		return;
	for (size_t k = 0; k < nents; k++)
		n += under(ents[k].path, ents[i].path);
	if (n > nents / 4)
		return;
	remove_tree(ents[i].path);
}

static void op_mkdir(void)
{
	char p[1024];

	new_name(p, sizeof(p), random_dir());
	make_dir(p);
}

static void op_chmod(void)
{
	long i = pick(below(3) ? K_FILE : K_DIR);
	mode_t m;

	if (i < 0)
		return;
	m = ents[i].kind == K_DIR ? 0700 | (mode_t)below(0100) : 0600 | (mode_t)below(0200);
	if (fchmodat(dfd, ents[i].path, m, 0) < 0)
		fail("chmod", ents[i].path, NULL);
}

/* A few fixed times, to the nanosecond: many entries end up with the
 * very same mtime, as an adversary (or a restore, or an unpacked
 * archive) would arrange. */
static void op_utimes(void)
{
	static const struct timespec fixed[] = {
		{ 1600000000, 123456789 }, { 1600000000, 123456789 + 1 },
		{ 1000000000, 0 }, { 1700000000, 999999999 },
	};
	long i = pick_any();
	struct timespec ts[2];

	if (i < 0)
		return;
	ts[0] = fixed[below(4)];
	ts[1] = fixed[below(4)];
	if (utimensat(dfd, ents[i].path, ts, AT_SYMLINK_NOFOLLOW) < 0)
		fail("utimensat", ents[i].path, NULL);
}

static void op_xattr(void)
{
	static const char *names[] = { "user.a", "user.b", "user.torture.c" };
	long i = pick(below(3) ? K_FILE : K_DIR);
	const char *name = names[below(3)];
	char val[64];
	int fd;

	if (i < 0)
		return;
	fd = openat(dfd, ents[i].path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return fail("open for xattr", ents[i].path, NULL);
	if (below(4) == 0) {
		if (fremovexattr(fd, name) < 0 && errno != ENODATA)
			fail("removexattr", ents[i].path, name);
	} else {
		int n = snprintf(val, sizeof(val), "v%llu", (unsigned long long)below(1000));

		if (fsetxattr(fd, name, val, (size_t)n, 0) < 0)
			fail("setxattr", ents[i].path, name);
	}
	close(fd);
}

/* ---- the run ------------------------------------------------------------ */

static enum op_id draw_op(void)
{
	unsigned total = 0, r;
	int k;

	for (k = 0; k < OP_COUNT; k++)
		total += skipped[k] ? 0 : op_weight[k];
	r = (unsigned)below(total);
	for (k = 0; skipped[k] || r >= op_weight[k]; k++)
		r -= skipped[k] ? 0 : op_weight[k];
	if (no_hardlinks && k == OP_LINK)
		k = OP_CREATE;
	if (no_sneaky && k == OP_SNEAKY)
		k = OP_WRITE;
	if (skipped[k]) /* a replacement above was skipped itself */
		k = skipped[OP_WRITE] ? OP_CHMOD : OP_WRITE;
	if (nents > SOFT_ENTS && (k == OP_CREATE || k == OP_BIG || k == OP_MKDIR ||
				  k == OP_LINK || k == OP_SYMLINK))
		k = below(3) ? OP_UNLINK : OP_RMRF;
	return (enum op_id)k;
}

static void run_op(enum op_id k)
{
	counts[k]++;
	switch (k) {
	case OP_CREATE: op_create(false); break;
	case OP_BIG: op_create(true); break;
	case OP_WRITE: op_data(0); break;
	case OP_APPEND: op_data(1); break;
	case OP_TRUNC: op_data(2); break;
	case OP_SNEAKY: op_sneaky(); break;
	case OP_RENAME: op_rename(false); break;
	case OP_MOVEDIR: op_rename(true); break;
	case OP_OVER: op_over(); break;
	case OP_SWAP3: op_swap(false); break;
	case OP_EXCHANGE: op_swap(true); break;
	case OP_LINK: op_link(); break;
	case OP_REPLACE: op_replace(); break;
	case OP_MOVE_RECREATE: op_move_recreate(); break;
	case OP_SYMLINK: op_symlink(); break;
	case OP_UNLINK: op_unlink(); break;
	case OP_MKDIR: op_mkdir(); break;
	case OP_RMDIR: op_rmdir(); break;
	case OP_RMRF: op_rmrf(); break;
	case OP_CHMOD: op_chmod(); break;
	case OP_UTIMES: op_utimes(); break;
	case OP_XATTR: op_xattr(); break;
	default: break;
	}
}

/* --skip a,b,c: operation names as printed at the end. */
static int parse_skip(char *list)
{
	for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
		int k;

		for (k = 0; k < OP_COUNT && strcmp(op_names[k], name); k++)
			;
		if (k == OP_COUNT) {
			fprintf(stderr, "torture: --skip: no operation named '%s'\n", name);
			return -1;
		}
		skipped[k] = true;
	}
	return 0;
}

static bool ctl_exists(const char *name)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/%s", ctl, name);
	return access(p, F_OK) == 0;
}

static void ctl_touch(const char *name, bool on)
{
	char p[4096];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", ctl, name);
	if (!on) {
		unlink(p);
		return;
	}
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

static void ctl_status(long done)
{
	char p[4096], tmp[4096];
	FILE *f;

	snprintf(p, sizeof(p), "%s/status", ctl);
	snprintf(tmp, sizeof(tmp), "%s/status.tmp", ctl);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "ops %ld\n", done);
	if (fclose(f) == 0)
		rename(tmp, p);
}

static int open_root(void)
{
	dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		fail("open", root, NULL);
	return dfd;
}

/* While CTLDIR/pause exists: hold nothing in DIR, say so, wait. */
static void maybe_pause(void)
{
	if (!ctl || !ctl_exists("pause"))
		return;
	close(dfd);
	dfd = -1;
	ctl_touch("paused", true);
	while (ctl_exists("pause"))
		usleep(10000);
	/* (pause also "goes" with CTLDIR itself: main() then stops) */
	ctl_touch("paused", false);
	open_root();
}

static int scan_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)f;
	if (!strcmp(path, "."))
		return 0;
	path += 2; /* "./" */
	if (type == FTW_D)
		add(path, K_DIR);
	else if (type == FTW_SL)
		add(path, K_LINK);
	else if (S_ISREG(st->st_mode))
		add(path, no_hardlinks && st->st_nlink > 1 ? K_PINNED : K_FILE);
	else
		add(path, K_PINNED);
	return 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->path, ((const struct ent *)b)->path);
}

/* The model starts from what DIR holds, sorted (readdir order is not
 * something a seed reproduces). */
static int scan_model(void)
{
	char cwd[4096];
	int rc;

	if (!getcwd(cwd, sizeof(cwd)) || chdir(root) < 0)
		return -1;
	rc = nftw(".", scan_one, 32, FTW_PHYS);
	if (chdir(cwd) < 0 || rc < 0)
		return -1;
	qsort(ents, nents, sizeof(ents[0]), by_path);
	/* Names made by this run never collide with earlier runs' names. */
	serial = (long)(rng_state % 1000000) * 1000;
	return 0;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long ops = -1, done;
	double seconds = -1, t0 = now();

	rng_state = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			rng_state = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--ops") && i + 1 < argc)
			ops = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--ctl") && i + 1 < argc)
			ctl = argv[++i];
		else if (!strcmp(argv[i], "--no-hardlinks"))
			no_hardlinks = true;
		else if (!strcmp(argv[i], "--no-sneaky"))
			no_sneaky = true;
		else if (!strcmp(argv[i], "--skip") && i + 1 < argc) {
			if (parse_skip(argv[++i]) < 0)
				return 2;
		}
		else
			root = argv[i];
	}
	if (!root || (ops < 0 && seconds < 0)) {
		fprintf(stderr, "usage: torture --seed S DIR [--ops N] [--seconds T] "
				"[--no-hardlinks] [--no-sneaky] [--skip OP,...] [--ctl CTLDIR]\n");
		return 2;
	}
	if (scan_model() < 0 || open_root() < 0) {
		perror("torture: reading DIR");
		return 2;
	}
	for (done = 0; ops < 0 || done < ops; done++) {
		maybe_pause();
		if ((seconds >= 0 && now() - t0 >= seconds) ||
		    (ctl && (ctl_exists("stop") || access(ctl, F_OK) < 0)))
			break;
		run_op(draw_op());
		if (ctl && done % 100 == 0)
			ctl_status(done);
	}
	if (ctl)
		ctl_status(done);
	printf("ops=%ld", done);
	for (int k = 0; k < OP_COUNT; k++)
		printf(" %s=%ld", op_names[k], counts[k]);
	printf(" failures=%ld\n", failures);
	return failures ? 1 : 0;
}
