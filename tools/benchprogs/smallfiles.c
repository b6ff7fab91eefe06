/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-smallfiles DIR N [SIZE]: N files in DIR (which must be empty), each
 * phase over all files timed on its own, one process so that the
 * filesystem is measured, not fork/exec:
 *   create  open(O_CREAT|O_EXCL) + write SIZE bytes (default 1024) + close
 *   stat    fstatat
 *   rename  renameat f<i> -> r<i> (same directory)
 *   unlink  unlinkat
 * Prints "PHASE SECONDS" lines.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv)
{
	char a[32], b[32], buf[65536];
	uint64_t seed = 42;
	struct stat st;
	double t0;
	long n, size;
	int dfd;

	if (argc < 3)
		return fprintf(stderr, "usage: bench-smallfiles DIR N [SIZE]\n"), 2;
	n = atol(argv[2]);
	size = argc > 3 ? atol(argv[3]) : 1024;
	if (size < 0 || size > (long)sizeof(buf))
		return fprintf(stderr, "bench-smallfiles: SIZE up to %zu\n", sizeof(buf)), 2;
	bench_fill(buf, sizeof(buf), &seed);
	dfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		bench_die("%s", argv[1]);

	t0 = bench_now();
	for (long i = 0; i < n; i++) {
		int fd;

		snprintf(a, sizeof(a), "f%ld", i);
		fd = openat(dfd, a, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || write(fd, buf, size) != size || close(fd) < 0)
			bench_die("create %s", a);
	}
	printf("create %.6f\n", bench_now() - t0);

	t0 = bench_now();
	for (long i = 0; i < n; i++) {
		snprintf(a, sizeof(a), "f%ld", i);
		if (fstatat(dfd, a, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_size != size)
			bench_die("stat %s", a);
	}
	printf("stat %.6f\n", bench_now() - t0);

	t0 = bench_now();
	for (long i = 0; i < n; i++) {
		snprintf(a, sizeof(a), "f%ld", i);
		snprintf(b, sizeof(b), "r%ld", i);
		if (renameat(dfd, a, dfd, b) < 0)
			bench_die("rename %s", a);
	}
	printf("rename %.6f\n", bench_now() - t0);

	t0 = bench_now();
	for (long i = 0; i < n; i++) {
		snprintf(b, sizeof(b), "r%ld", i);
		if (unlinkat(dfd, b, 0) < 0)
			bench_die("unlink %s", b);
	}
	printf("unlink %.6f\n", bench_now() - t0);
	return 0;
}
