/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-mktree DIR NFILES PER_DIR MINSIZE MAXSIZE [SEED]: creates NFILES
 * files of random content and a size drawn uniformly from [MINSIZE,
 * MAXSIZE] bytes, PER_DIR files in each directory DIR/dNNNNN/fNNNNNNN
 * (PER_DIR 0: all directly in DIR). Fast enough for a million files.
 * Prints the total bytes written.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	long nfiles, per_dir, lo, hi, total = 0;
	uint64_t seed;
	char name[64];
	int root, dfd;

	if (argc < 6)
		return fprintf(stderr, "usage: bench-mktree DIR NFILES PER_DIR MINSIZE MAXSIZE "
				       "[SEED]\n"), 2;
	nfiles = atol(argv[2]);
	per_dir = atol(argv[3]);
	lo = atol(argv[4]);
	hi = atol(argv[5]);
	seed = argc > 6 ? strtoull(argv[6], NULL, 10) * 2 + 1 : 12345;
	if (lo < 0 || hi < lo)
		return fprintf(stderr, "bench-mktree: bad sizes\n"), 2;
	mkdir(argv[1], 0755);
	root = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (root < 0)
		bench_die("%s", argv[1]);
	dfd = root;
	for (long i = 0; i < nfiles; i++) {
		long size = lo + (hi > lo ? (long)(bench_rand(&seed) % (uint64_t)(hi - lo + 1)) : 0);
		int fd;

		if (per_dir > 0 && i % per_dir == 0) {
			if (dfd != root)
				close(dfd);
			snprintf(name, sizeof(name), "d%05ld", i / per_dir);
			if (mkdirat(root, name, 0755) < 0 && errno != EEXIST)
				bench_die("mkdir %s", name);
			dfd = openat(root, name, O_RDONLY | O_DIRECTORY);
			if (dfd < 0)
				bench_die("%s", name);
		}
		snprintf(name, sizeof(name), "f%07ld", i);
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			bench_die("create %s", name);
		for (long left = size; left > 0;) {
			long n = left < (long)sizeof(buf) ? left : (long)sizeof(buf);

			bench_fill(buf, (size_t)n, &seed);
			if (write(fd, buf, (size_t)n) != n)
				bench_die("write %s", name);
			left -= n;
		}
		close(fd);
		total += size;
	}
	printf("%ld\n", total);
	return 0;
}
