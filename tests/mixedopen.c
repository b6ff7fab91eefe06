/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mixed opens of one file, the same on any directory, for comparing a bare
 * directory with btsootfs (where readers may pass through to the backing
 * file while writers are journaled: fs/passthrough.c).
 *
 *   mixedopen prepare DIR     makes each scenario's file (1 MiB, patterned)
 *   mixedopen scenarios DIR   runs every scenario in DIR on its file (made
 *                             by prepare, earlier: files made here would
 *                             reach a remote whole, whatever the journal
 *                             holds) and prints what each one read and the
 *                             file's final size and checksum; exit 1 when a
 *                             call fails
 *   mixedopen readfd FD       reads FD to its end with read() alone (no
 *                             open, no stat) and prints the bytes and sum
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE (1 << 20)

static const char *scen = "setup";
static int failed;

static void die(const char *what)
{
	printf("%s: %s failed: %s\n", scen, what, strerror(errno));
	fflush(stdout);
	exit(1);
}

static uint64_t fnv(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static int xopen(const char *path, int flags)
{
	int fd = open(path, flags, 0644);

	if (fd < 0)
		die(path);
	return fd;
}

/* pread of n bytes at off: prints their sum under label. */
static void show_read(int fd, size_t n, off_t off, const char *label)
{
	char *buf = malloc(n);
	ssize_t got = buf ? pread(fd, buf, n, off) : -1;

	if (got < 0)
		die("pread");
	printf("%s: %s %zd %016llx\n", scen, label, got, (unsigned long long)fnv(buf, (size_t)got));
	free(buf);
}

static void fill(int fd, char c, size_t n, off_t off)
{
	char *buf = malloc(n);

	if (!buf)
		die("malloc");
	memset(buf, c, n);
	if (pwrite(fd, buf, n, off) != (ssize_t)n)
		die("pwrite");
	free(buf);
}

/* A fresh file of SIZE patterned bytes. */
static void make(const char *path)
{
	char *buf = malloc(SIZE);
	int fd = xopen(path, O_WRONLY | O_CREAT | O_TRUNC);

	for (size_t i = 0; buf && i < SIZE; i++)
		buf[i] = (char)(i * 31 + 7);
	if (!buf || write(fd, buf, SIZE) != SIZE)
		die("write");
	free(buf);
	close(fd);
}

static void show_file(const char *path)
{
	char *buf = malloc(SIZE * 2);
	int fd = xopen(path, O_RDONLY);
	ssize_t n = buf ? read(fd, buf, SIZE * 2) : -1;

	if (n < 0)
		die("read");
	printf("%s: final %zd %016llx\n", scen, n, (unsigned long long)fnv(buf, (size_t)n));
	free(buf);
	close(fd);
}

static char *map(int fd, int prot)
{
	char *p = mmap(NULL, SIZE, prot, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

static void reader_then_writer(void)
{
	int r, w;

	r = xopen("rw", O_RDONLY);
	show_read(r, 4096, 0, "reader");
	w = xopen("rw", O_WRONLY);
	fill(w, 'A', 5000, 300000);
	show_read(r, 5000, 300000, "reader sees the writer");
	close(w);
	show_read(r, 5000, 300000, "reader after the writer closed");
	close(r);
	show_file("rw");
}

static void writer_then_reader(void)
{
	int r, w;

	w = xopen("wr", O_RDWR);
	fill(w, 'B', 7000, 10000);
	r = xopen("wr", O_RDONLY);
	show_read(r, 7000, 10000, "reader sees the earlier write");
	fill(w, 'C', 100, 900000);
	show_read(r, 100, 900000, "reader sees the later write");
	close(r);
	close(w);
	show_file("wr");
}

/* The writer opens while a reader passes through: its shared mapping
 * writes the backing file behind btsootfs. */
static void mmap_write_while_reader(void)
{
	int r, w;
	char *p;

	r = xopen("mw", O_RDONLY);
	show_read(r, 4096, 0, "reader");
	w = xopen("mw", O_RDWR);
	p = map(w, PROT_READ | PROT_WRITE);
	memset(p + 200000, 'M', 3000);
	memset(p + 700001, 'N', 10);
	if (msync(p, SIZE, MS_SYNC) < 0)
		die("msync");
	munmap(p, SIZE);
	close(w);
	show_read(r, 3000, 200000, "reader sees the mapping's write");
	close(r);
	show_file("mw");
}

/* A writer maps the file first; a reader opens while the mapping lives. */
static void mmap_write_then_reader(void)
{
	int r, w;
	char *p;

	w = xopen("mr", O_RDWR);
	p = map(w, PROT_READ | PROT_WRITE);
	memset(p + 400000, 'P', 5000);
	r = xopen("mr", O_RDONLY);
	show_read(r, 5000, 400000, "reader sees the mapping");
	memset(p + 4096, 'p', 10);
	munmap(p, SIZE);
	close(w);
	show_read(r, 10, 4096, "reader after the unmap");
	close(r);
	show_file("mr");
}

/* A read-only shared mapping sees a writer that opens later. */
static void mmap_readonly_sees_writer(void)
{
	int r, w;
	char *q;

	r = xopen("mo", O_RDONLY);
	q = map(r, PROT_READ);
	printf("%s: mapping %016llx\n", scen, (unsigned long long)fnv(q, 4096));
	w = xopen("mo", O_WRONLY);
	fill(w, 'Q', 4096, 8192);
	close(w);
	printf("%s: mapping sees the writer %016llx\n", scen,
	       (unsigned long long)fnv(q + 8192, 4096));
	munmap(q, SIZE);
	close(r);
	show_file("mo");
}

/* O_TRUNC opens (a writer's, and a read-only one's) while a reader is open. */
static void truncating_opens_while_reader(void)
{
	struct stat st;
	int r, w;

	r = xopen("tr", O_RDONLY);
	show_read(r, 4096, 0, "reader");
	w = xopen("tr", O_WRONLY | O_TRUNC);
	fill(w, 'T', 1234, 0);
	close(w);
	if (fstat(r, &st) < 0)
		die("fstat");
	printf("%s: reader's size %lld\n", scen, (long long)st.st_size);
	show_read(r, 4096, 0, "reader after O_TRUNC");
	w = xopen("tr", O_RDONLY | O_TRUNC);
	close(w);
	show_read(r, 4096, 0, "reader after read-only O_TRUNC");
	w = xopen("tr", O_WRONLY | O_APPEND);
	if (write(w, "appended", 8) != 8)
		die("append");
	close(w);
	show_read(r, 4096, 0, "reader after append");
	close(r);
	show_file("tr");
}

/* Cached reads fill btsootfs's page cache, a passing-through writer maps
 * and writes, then a cached open must not see the old pages. */
static void cached_open_after_mapped_writer(void)
{
	int r, w;
	char *p;

	w = xopen("cs", O_RDWR);
	show_read(w, SIZE, 0, "cached read");
	close(w);
	r = xopen("cs", O_RDONLY);
	w = xopen("cs", O_RDWR);
	p = map(w, PROT_READ | PROT_WRITE);
	memset(p + 500000, 'S', 2000);
	munmap(p, SIZE);
	close(w);
	close(r);
	w = xopen("cs", O_RDWR);
	show_read(w, 2000, 500000, "cached open sees the mapped write");
	close(w);
	show_file("cs");
}

static void child_reader(const char *path)
{
	char *buf = malloc(SIZE);
	int fd = xopen(path, O_RDONLY);

	for (int i = 0; buf && i < 40; i++)
		if (pread(fd, buf, SIZE, 0) < 0)
			die("child pread");
	close(fd);
	exit(buf ? 0 : 1);
}

static void child_writer(const char *path, int k)
{
	int fd = xopen(path, O_RDWR);

	for (int i = 0; i < 20; i++)
		fill(fd, (char)('0' + k), 10000, (off_t)k * 100000 + i * 7);
	if (fsync(fd) < 0)
		die("child fsync");
	close(fd);
	exit(0);
}

/* Readers and writers in several processes at once. */
static void several_processes(void)
{
	pid_t pids[6];
	int status;

	fflush(stdout);
	for (int k = 0; k < 6; k++) {
		pids[k] = fork();
		if (pids[k] < 0)
			die("fork");
		if (pids[k] == 0) {
			if (k % 2)
				child_writer("mp", k);
			child_reader("mp");
		}
	}
	for (int k = 0; k < 6; k++) {
		if (waitpid(pids[k], &status, 0) < 0)
			die("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("%s: child %d failed (%d)\n", scen, k, status);
			failed = 1;
		}
	}
	show_file("mp");
}

static const char *const files[] = { "rw", "wr", "mw", "mr", "mo", "tr", "cs", "mp", "st" };

static int prepare(const char *dir)
{
	if (chdir(dir) < 0)
		die(dir);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		make(files[i]);
	return 0;
}

/* One process of the storm: opens, uses and closes the file 300 times,
 * as a reader or a writer (whose ranges are its own), some writers through
 * a shared mapping; any failed call ends it with 1. */
static void storm_child(const char *path, int k)
{
	char *buf = malloc(1 << 16), *p;
	int fd;

	for (int i = 0; buf && i < 300; i++) {
		if ((i + k) % 3) {
			fd = xopen(path, O_RDONLY);
			if (pread(fd, buf, 1 << 16, (off_t)((i * 7919 + k) % 16) << 16) < 0)
				die("storm pread");
		} else {
			fd = xopen(path, O_RDWR);
			fill(fd, (char)('a' + k), 4096, (off_t)k * 65536 + (i % 8) * 4096);
			if (i % 10 == 0) {
				p = map(fd, PROT_READ | PROT_WRITE);
				memset(p + k * 65536 + 40000, 'A' + k, 16);
				munmap(p, SIZE);
			}
		}
		close(fd);
	}
	exit(buf ? 0 : 1);
}

/* Eight processes open and close one file as readers and writers at once,
 * so opens and releases of both kinds cross each other. */
static void open_close_storm(void)
{
	pid_t pids[8];
	int status;

	fflush(stdout);
	for (int k = 0; k < 8; k++) {
		pids[k] = fork();
		if (pids[k] < 0)
			die("fork");
		if (pids[k] == 0)
			storm_child("st", k);
	}
	for (int k = 0; k < 8; k++) {
		if (waitpid(pids[k], &status, 0) < 0)
			die("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("%s: child %d failed (%d)\n", scen, k, status);
			failed = 1;
		}
	}
	show_file("st");
}

static int scenarios(const char *dir)
{
	static const struct {
		const char *name;
		void (*run)(void);
	} all[] = {
		{ "reader_then_writer", reader_then_writer },
		{ "writer_then_reader", writer_then_reader },
		{ "mmap_write_while_reader", mmap_write_while_reader },
		{ "mmap_write_then_reader", mmap_write_then_reader },
		{ "mmap_readonly_sees_writer", mmap_readonly_sees_writer },
		{ "truncating_opens_while_reader", truncating_opens_while_reader },
		{ "cached_open_after_mapped_writer", cached_open_after_mapped_writer },
		{ "several_processes", several_processes },
		{ "open_close_storm", open_close_storm },
	};

	if (chdir(dir) < 0)
		die(dir);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		scen = all[i].name;
		all[i].run();
	}
	return failed;
}

static int readfd(int fd)
{
	static char buf[1 << 16];
	uint64_t h = 1469598103934665603ull;
	long long total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ (unsigned char)buf[i]) * 1099511628211ull;
		total += n;
	}
	if (n < 0)
		die("read");
	printf("read %lld %016llx\n", total, (unsigned long long)h);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "prepare"))
		return prepare(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "scenarios"))
		return scenarios(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "readfd"))
		return readfd(atoi(argv[2]));
	fprintf(stderr, "usage: mixedopen prepare|scenarios DIR | mixedopen readfd FD\n");
	return 2;
}
