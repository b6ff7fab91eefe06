/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fsops: reproducible filesystem workloads for the integration tests.
 *
 *   fsops random --seed S --ops N DIR   a seeded random sequence
 *   fsops script DIR                    the fixed scripted set
 *   fsops swap DIR A B                  renameat2(RENAME_EXCHANGE)
 *
 * It keeps a model of what exists so almost every operation is valid, and
 * exits 1 on any unexpected error (a bug in the filesystem under test).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

enum kind { K_FILE, K_DIR, K_LINK };

struct ent {
	char *path;
	enum kind kind;
};

static struct ent ents[100000];
static size_t nents;
static int failures;
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
	else if (k < 86) { counts[11]++; op_link(); }
	else if (k < 91) { counts[12]++; op_meta(0); }
	else if (k < 97) { counts[13]++; op_meta(1); }
	else { counts[14]++; op_meta(2); }
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
		else
			dir = argv[i];
	}
	if (!dir || chdir(dir) < 0) {
		fprintf(stderr, "fsops: usage: fsops random --seed S --ops N DIR\n");
		return 2;
	}
	for (long i = 0; i < ops; i++)
		random_op();
	for (int i = 0; i < 15; i++)
		printf("%s=%ld ", op_names[i], counts[i]);
	printf("failures=%d\n", failures);
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
	if (argc >= 2 && !strcmp(argv[1], "swap"))
		return cmd_swap(argc - 2, argv + 2);
	fprintf(stderr, "usage: fsops random --seed S --ops N DIR | fsops swap DIR A B\n");
	return 2;
}
