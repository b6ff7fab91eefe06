/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fsops: reproducible filesystem workloads for the integration tests.
 *
 *   fsops random --seed S --ops N [--no-hardlinks] DIR
 *                                       a seeded random sequence
 *   fsops script DIR                    the fixed scripted set
 *   fsops swap DIR A B                  renameat2(RENAME_EXCHANGE)
 *
 * It keeps a model of what exists so almost every operation is valid, and
 * exits 1 on any unexpected error (a bug in the filesystem under test).
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static uint64_t rng_state;

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

/* K_PINNED: an existing file the run must not touch (a hard link under
 * --no-hardlinks); kept so rmdir and directory renames still see it. */
enum kind { K_FILE, K_DIR, K_LINK, K_PINNED };

struct ent {
	char *path;
	enum kind kind;
};

static struct ent ents[100000];
static size_t nents;
static int failures;
static bool no_hardlinks; /* --no-hardlinks: a workload the journal alone must cover */
static long counts[16];
static const char *op_names[16] = {
	"create", "write", "append", "truncate", "rename", "dirrename", "overwrite",
	"unlink", "mkdir", "rmdir", "symlink", "link", "chmod", "utimens", "xattr",
};

static void fail(const char *what, const char *path)
{
	fprintf(stderr, "fsops: %s %s: %s\n", what, path, strerror(errno));
	failures++;
}

static void add(const char *path, enum kind k)
{
	if (nents < sizeof(ents) / sizeof(ents[0])) {
		ents[nents].path = strdup(path);
		ents[nents++].kind = k;
	}
}

static void drop(size_t i)
{
	free(ents[i].path);
	ents[i] = ents[--nents];
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

static void new_name(char *out, size_t len, const char *dir)
{
	static const char cs[] = "abcdefghijklmnopqrstuvwxyz0123456789_- .";
	char name[40];
	size_t n = 1 + below(12), i;

	for (i = 0; i < n; i++)
		name[i] = cs[below(sizeof(cs) - 1)];
	name[i] = '\0';
	if (below(20) == 0)
		name[0] = '\n';          /* newline in a name */
	if (below(20) == 0)
		name[n - 1] = (char)0xff; /* invalid UTF-8 */
	if (!strcmp(name, ".") || !strcmp(name, "..") || name[0] == '.')
		name[0] = 'x';
	snprintf(out, len, "%s%s%s-%llu", dir, *dir ? "/" : "", name,
		 (unsigned long long)below(1000000));
}

static const char *random_dir(void)
{
	long i = below(4) ? pick(K_DIR) : -1;

	return i < 0 ? "" : ents[i].path;
}

static void fill(int fd, off_t off, size_t len)
{
	static char buf[1 << 16];

	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		for (size_t i = 0; i < n; i += 8) {
			uint64_t v = rnd();

			memcpy(buf + i, &v, n - i < 8 ? n - i : 8);
		}
		if (pwrite(fd, buf, n, off) != (ssize_t)n) {
			fail("pwrite", "");
			return;
		}
		off += (off_t)n;
		len -= n;
	}
}

static size_t random_size(void)
{
	switch (below(6)) {
	case 0:
		return 0;
	case 1:
		return 1 + below(2 << 20);
	default:
		return below(20000);
	}
}

static void op_create(void)
{
	char p[512];
	int fd;

	new_name(p, sizeof(p), random_dir());
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return fail("create", p);
	fill(fd, 0, random_size());
	close(fd);
	add(p, K_FILE);
}

static void op_write(int mode)
{
	long i = pick(K_FILE);
	struct stat st;
	int fd;

	if (i < 0)
		return op_create();
	fd = open(ents[i].path, O_WRONLY | (mode == 1 ? O_APPEND : 0));
	if (fd < 0 || fstat(fd, &st) < 0)
		return fail("open", ents[i].path);
	if (mode == 0)
		fill(fd, (off_t)below((uint64_t)st.st_size + 1), 1 + below(100000));
	else if (mode == 1) {
		char buf[4096];
		size_t n = 1 + below(sizeof(buf));

		memset(buf, 'a' + (int)below(26), n);
		if (write(fd, buf, n) != (ssize_t)n)
			fail("append", ents[i].path);
	} else if (ftruncate(fd, (off_t)below((uint64_t)st.st_size * 2 + 10)) < 0)
		fail("truncate", ents[i].path);
	close(fd);
}

static bool under(const char *p, const char *d)
{
	size_t n = strlen(d);

	return !strncmp(p, d, n) && (p[n] == '/' || p[n] == '\0');
}

static void rename_prefix(const char *from, const char *to)
{
	for (size_t i = 0; i < nents; i++) {
		if (under(ents[i].path, from)) {
			char *np;

			if (asprintf(&np, "%s%s", to, ents[i].path + strlen(from)) < 0)
				return;
			free(ents[i].path);
			ents[i].path = np;
		}
	}
}

static void op_rename(bool dir, bool over)
{
	long i = pick(dir ? K_DIR : (below(5) ? K_FILE : K_LINK)), t = -1;
	char p[512], *old;
	struct stat st;

	if (i < 0)
		return;
	if (over) {
		t = pick(K_FILE);
		if (t < 0 || t == i)
			return;
		snprintf(p, sizeof(p), "%s", ents[t].path);
	} else {
		const char *into = random_dir();

		if (dir && under(into, ents[i].path))
			return;
		new_name(p, sizeof(p), into);
	}
	if (rename(ents[i].path, p) < 0)
		return fail("rename", ents[i].path);
	old = strdup(ents[i].path);
	/* Two names of one inode: rename does nothing (POSIX). */
	if (over && lstat(old, &st) == 0) {
		free(old);
		return;
	}
	if (over) {
		free(ents[t].path);
		ents[t].path = strdup("\x01");
	}
	if (dir) {
		rename_prefix(old, p);
	} else {
		free(ents[i].path);
		ents[i].path = strdup(p);
	}
	for (size_t k = 0; over && k < nents; k++)
		if (!strcmp(ents[k].path, "\x01")) {
			drop(k);
			break;
		}
	free(old);
}

static void op_unlink(void)
{
	long i = pick(below(4) ? K_FILE : K_LINK);

	if (i < 0)
		return;
	if (unlink(ents[i].path) < 0)
		return fail("unlink", ents[i].path);
	drop((size_t)i);
}

static void op_mkdir(void)
{
	char p[512];

	new_name(p, sizeof(p), random_dir());
	if (mkdir(p, 0755) < 0)
		return fail("mkdir", p);
	add(p, K_DIR);
}

static void op_rmdir(void)
{
	long i = pick(K_DIR);

	if (i < 0)
		return;
	for (size_t k = 0; k < nents; k++)
		if (k != (size_t)i && under(ents[k].path, ents[i].path))
			return; /* not empty */
	if (rmdir(ents[i].path) < 0)
		return fail("rmdir", ents[i].path);
	drop((size_t)i);
}

static void op_symlink(void)
{
	char p[512];
	long t = pick(K_FILE);

	new_name(p, sizeof(p), random_dir());
	if (symlink(t >= 0 ? ents[t].path : "nowhere", p) < 0)
		return fail("symlink", p);
	add(p, K_LINK);
}

static void op_link(void)
{
	long i = pick(K_FILE);
	char p[512];

	if (i < 0)
		return;
	new_name(p, sizeof(p), random_dir());
	if (link(ents[i].path, p) < 0)
		return fail("link", p);
	add(p, K_FILE);
}

static void op_meta(int what)
{
	long i = pick(below(3) ? K_FILE : K_DIR);
	struct timespec ts[2];

	if (i < 0)
		return;
	if (what == 0 && chmod(ents[i].path, 0600 | (mode_t)below(0200)) < 0)
		fail("chmod", ents[i].path);
	if (what == 1) {
		ts[0].tv_sec = ts[1].tv_sec = (time_t)(1000000000 + below(700000000));
		ts[0].tv_nsec = ts[1].tv_nsec = (long)below(1000000000);
		if (utimensat(AT_FDCWD, ents[i].path, ts, 0) < 0)
			fail("utimensat", ents[i].path);
	}
	if (what == 2 && setxattr(ents[i].path, "user.fsops", "v", 1 + below(1), 0) < 0 &&
	    errno != ENOTSUP)
		fail("setxattr", ents[i].path);
}

static void random_op(void)
{
	int k = (int)below(100);

	if (k < 18) { counts[0]++; op_create(); }
	else if (k < 30) { counts[1]++; op_write(0); }
	else if (k < 36) { counts[2]++; op_write(1); }
	else if (k < 40) { counts[3]++; op_write(2); }
	else if (k < 50) { counts[4]++; op_rename(false, false); }
	else if (k < 54) { counts[5]++; op_rename(true, false); }
	else if (k < 57) { counts[6]++; op_rename(false, true); }
	else if (k < 66) { counts[7]++; op_unlink(); }
	else if (k < 74) { counts[8]++; op_mkdir(); }
	else if (k < 78) { counts[9]++; op_rmdir(); }
	else if (k < 82) { counts[10]++; op_symlink(); }
	else if (k < 86 && no_hardlinks) { counts[0]++; op_create(); }
	else if (k < 86) { counts[11]++; op_link(); }
	else if (k < 91) { counts[12]++; op_meta(0); }
	else if (k < 97) { counts[13]++; op_meta(1); }
	else { counts[14]++; op_meta(2); }
}

/* Starts the model from what DIR already holds, so a run also renames,
 * edits and deletes what earlier runs (or the user) left. Sorted: readdir
 * order is not something a seed can reproduce. */
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
		add(path, K_PINNED); /* fifos and the like: left alone */
	return 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->path, ((const struct ent *)b)->path);
}

static int scan_model(void)
{
	if (nftw(".", scan_one, 32, FTW_PHYS) < 0) {
		fail("scan", ".");
		return -1;
	}
	qsort(ents, nents, sizeof(ents[0]), by_path);
	return 0;
}

static int cmd_random(int argc, char **argv)
{
	long ops = 1000;
	const char *dir = NULL;

	rng_state = 1;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			rng_state = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--ops") && i + 1 < argc)
			ops = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--no-hardlinks"))
			no_hardlinks = true;
		else
			dir = argv[i];
	}
	if (!dir || chdir(dir) < 0) {
		fprintf(stderr, "fsops: usage: fsops random --seed S --ops N [--no-hardlinks] DIR\n");
		return 2;
	}
	if (scan_model() < 0)
		return 1;
	for (long i = 0; i < ops; i++)
		random_op();
	for (int i = 0; i < 15; i++)
		printf("%s=%ld ", op_names[i], counts[i]);
	printf("failures=%d\n", failures);
	return failures ? 1 : 0;
}

/* A shared mapping written and msync'ed: the kernel's writeback path. */
static void script_mmap(int fd)
{
	size_t len = 8192;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 1 << 20);

	if (m == MAP_FAILED) {
		if (errno != ENODEV) /* direct_io mounts refuse shared maps */
			fail("mmap", "big.bin");
		else
			fprintf(stderr, "fsops: note: shared mmap refused (ENODEV), not tested\n");
		return;
	}
	memset(m + 100, 'M', 3000);
	if (msync(m, len, MS_SYNC) < 0)
		fail("msync", "big.bin");
	munmap(m, len);
}

/*
 * The scripted set: every kind of mutation once, plus the syscall-level
 * cases a shell cannot express (writes through an fd after its file was
 * renamed, unlinked or renamed over; RENAME_EXCHANGE and RENAME_NOREPLACE;
 * copy_file_range; a punched hole; an mmap write). Deterministic content.
 */
static bool chk(int rc, const char *what, const char *path)
{
	if (rc < 0)
		fail(what, path);
	return rc >= 0;
}

static void put(const char *path, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (!chk(fd, "create", path))
		return;
	fill(fd, 0, size);
	close(fd);
}

static void put_at(const char *path, int flags, off_t off, size_t len)
{
	int fd = open(path, O_WRONLY | flags);

	if (!chk(fd, "open", path))
		return;
	if (flags & O_APPEND)
		off = lseek(fd, 0, SEEK_END);
	fill(fd, off, len);
	close(fd);
}

static void set_times(const char *path, time_t sec, long nsec, int flags)
{
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { sec, nsec } };

	chk(utimensat(AT_FDCWD, path, ts, flags), "utimensat", path);
}

static void script_tree(void)
{
	chk(mkdir("docs", 0755), "mkdir", "docs");
	chk(mkdir("media", 0755), "mkdir", "media");
	chk(mkdir("media/album", 0755), "mkdir", "media/album");
	chk(mkdir("tmp", 0755), "mkdir", "tmp");
	put("docs/a.txt", 1000);
	put("docs/b.txt", 5000);
	put("docs/empty", 0);
	put("big.bin", 3 << 20);
	for (int i = 1; i <= 5; i++) {
		char p[64];

		snprintf(p, sizeof(p), "media/album/t%d", i);
		put(p, 200 << 10);
	}
}

static void script_data(void)
{
	put_at("big.bin", 0, 1 << 20, 4096);                /* overwrite a range */
	put_at("docs/a.txt", O_APPEND, 0, 333);              /* append */
	chk(truncate("big.bin", (2 << 20) + 123), "truncate down", "big.bin");
	chk(truncate("docs/b.txt", 100000), "truncate up", "docs/b.txt");
	put_at("docs/b.txt", 0, 70000, 10);                  /* write into the hole */
}

static void script_names(void)
{
	chk(rename("docs/a.txt", "docs/a-renamed.txt"), "rename", "docs/a.txt");
	chk(rename("media/album", "media/Album 2024"), "rename dir", "media/album");
	chk(rename("media/Album 2024/t1", "docs/t1"), "move", "media/Album 2024/t1");
	chk(rename("docs/b.txt", "docs/empty"), "rename over", "docs/b.txt");
	chk(unlink("media/Album 2024/t2"), "unlink", "media/Album 2024/t2");
	chk(mkdir("tmp/x", 0755), "mkdir", "tmp/x");
	chk(rmdir("tmp/x"), "rmdir", "tmp/x");
	chk(rmdir("tmp"), "rmdir", "tmp");
	chk(symlink("../big.bin", "docs/link"), "symlink", "docs/link");
	chk(symlink("nowhere/at all", "docs/dangling"), "symlink", "docs/dangling");
	chk(link("media/Album 2024/t3", "docs/t3-hard"), "link", "docs/t3-hard");
	put_at("docs/t3-hard", 0, 10, 100);                  /* seen by both names */
	chk(link("media/Album 2024/t5", "docs/t5-only"), "link", "docs/t5-only");
	chk(unlink("media/Album 2024/t5"), "unlink", "media/Album 2024/t5");
	put_at("docs/t5-only", O_APPEND, 0, 50);
	chk(mkdir("deep", 0755), "mkdir", "deep");
	chk(mkdir("deep/a", 0755), "mkdir", "deep/a");
	chk(mkdir("deep/a/b", 0755), "mkdir", "deep/a/b");
	put("deep/a/b/file", 77);
	chk(mkdir("deeper", 0755), "mkdir", "deeper");
	chk(rename("deep", "deeper"), "rename dir over an empty dir", "deep");
	put("docs/name with spaces", 10);
	put("docs/new\nline", 11);
	put("docs/bytes \xff\xfe", 12);
	chk(mkfifo("docs/pipe", 0640), "mkfifo", "docs/pipe");
}

static void script_renameat2(void)
{
	chk(renameat2(AT_FDCWD, "docs/t1", AT_FDCWD, "media/Album 2024/t4",
		      RENAME_EXCHANGE), "RENAME_EXCHANGE", "docs/t1");
	chk(renameat2(AT_FDCWD, "docs/link", AT_FDCWD, "docs/dangling",
		      RENAME_EXCHANGE), "RENAME_EXCHANGE symlinks", "docs/link");
	if (renameat2(AT_FDCWD, "docs/t3-hard", AT_FDCWD, "docs/empty",
		      RENAME_NOREPLACE) == 0 || errno != EEXIST)
		fail("RENAME_NOREPLACE over an existing name did not say EEXIST", "docs/empty");
	chk(renameat2(AT_FDCWD, "docs/a-renamed.txt", AT_FDCWD, "docs/a-final.txt",
		      RENAME_NOREPLACE), "RENAME_NOREPLACE", "docs/a-renamed.txt");
}

/* Writes through file descriptors whose names changed under them. */
static void script_open_fds(void)
{
	int fd;

	fd = open("docs/a-final.txt", O_WRONLY);
	if (chk(fd, "open", "docs/a-final.txt")) {
		chk(rename("docs/a-final.txt", "media/a-moved.txt"), "rename", "docs/a-final.txt");
		fill(fd, 200, 300);                        /* lands in the moved file */
		close(fd);
	}
	put("docs/scratch", 4000);
	fd = open("docs/scratch", O_WRONLY);
	if (chk(fd, "open", "docs/scratch")) {
		chk(unlink("docs/scratch"), "unlink", "docs/scratch");
		fill(fd, 0, 9000);                         /* an orphan: never mirrored */
		close(fd);
	}
	put("docs/victim", 3000);
	put("docs/winner", 2000);
	fd = open("docs/victim", O_WRONLY);
	if (chk(fd, "open", "docs/victim")) {
		chk(rename("docs/winner", "docs/victim"), "rename over", "docs/winner");
		fill(fd, 0, 5000);                         /* old inode, name is winner's */
		close(fd);
	}
	fd = open("media/Album 2024/t3", O_WRONLY);
	if (chk(fd, "open", "media/Album 2024/t3")) {
		chk(rename("media/Album 2024", "media/Album (final)"), "rename dir", "media");
		fill(fd, 1000, 2000);                      /* its directory moved meanwhile */
		close(fd);
	}
}

static void script_special_io(void)
{
	int in = open("big.bin", O_RDONLY);
	int out = open("docs/copy.bin", O_WRONLY | O_CREAT | O_EXCL, 0644);
	loff_t off_in = 4096, off_out = 0;
	ssize_t n = 0;

	if (chk(in, "open", "big.bin") && chk(out, "create", "docs/copy.bin"))
		n = copy_file_range(in, &off_in, out, &off_out, 1 << 20, 0);
	if (n != 1 << 20)
		fail("copy_file_range (short or failed)", "docs/copy.bin");
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	out = open("big.bin", O_RDWR);
	if (chk(out, "open", "big.bin")) {
		if (fallocate(out, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      512 << 10, 64 << 10) < 0) {
			if (errno != EOPNOTSUPP)
				fail("fallocate punch hole", "big.bin");
			else
				fprintf(stderr, "fsops: note: hole punching not supported, not tested\n");
		}
		script_mmap(out);
		close(out);
	}
}

static void script_meta(void)
{
	chk(chmod("docs/t1", 0600), "chmod", "docs/t1");
	chk(chmod("media/Album (final)", 0700), "chmod", "media/Album (final)");
	if (geteuid() == 0)
		chk(chown("docs/t1", 1234, 5678), "chown", "docs/t1");
	chk(setxattr("docs/t1", "user.tag", "blue", 4, 0), "setxattr", "docs/t1");
	chk(setxattr("docs/t1", "user.gone", "x", 1, 0), "setxattr", "docs/t1");
	chk(removexattr("docs/t1", "user.gone"), "removexattr", "docs/t1");
	chk(setxattr("media", "user.dir", "d", 1, 0), "setxattr", "media");
	set_times("docs/t1", 1320966671, 123456789, 0);
	set_times("docs/link", 1000000000, 5, AT_SYMLINK_NOFOLLOW);
	set_times("docs/pipe", 1111111111, 999999999, 0);
	set_times("docs", 1300000000, 1, 0);               /* after its last change */
	set_times("media/Album (final)", 1400000000, 42, 0);
}

static int cmd_script(int argc, char **argv)
{
	if (argc != 1 || chdir(argv[0]) < 0) {
		fprintf(stderr, "fsops: usage: fsops script DIR\n");
		return 2;
	}
	rng_state = 42;
	script_tree();
	script_data();
	script_names();
	script_renameat2();
	script_open_fds();
	script_special_io();
	script_meta();
	printf("script done, failures=%d\n", failures);
	return failures ? 1 : 0;
}

static int cmd_swap(int argc, char **argv)
{
	if (argc != 3 || chdir(argv[0]) < 0)
		return 2;
	if (renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) < 0) {
		perror("fsops: renameat2 RENAME_EXCHANGE");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "random"))
		return cmd_random(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "script"))
		return cmd_script(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "swap"))
		return cmd_swap(argc - 2, argv + 2);
	fprintf(stderr, "usage: fsops random --seed S --ops N DIR | fsops script DIR |\n"
		"       fsops swap DIR A B\n");
	return 2;
}
