/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-randwrite FILE COUNT [FSYNC_EVERY]: COUNT random 4 KiB-aligned
 * 4 KiB pwrites into the existing FILE (its size bounds the offsets), with
 * an fsync after every FSYNC_EVERY writes (default 100) and at the end.
 * Prints the seconds taken.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv)
{
	char buf[4096];
	uint64_t seed = 7, blocks;
	struct stat st;
	long count, every;
	double t0;
	int fd;

	if (argc < 3)
		return fprintf(stderr, "usage: bench-randwrite FILE COUNT [FSYNC_EVERY]\n"), 2;
	count = atol(argv[2]);
	every = argc > 3 ? atol(argv[3]) : 100;
	fd = open(argv[1], O_WRONLY);
	if (fd < 0 || fstat(fd, &st) < 0)
		bench_die("%s", argv[1]);
	blocks = (uint64_t)st.st_size / sizeof(buf);
	if (blocks == 0)
		return fprintf(stderr, "bench-randwrite: %s is smaller than 4 KiB\n", argv[1]), 2;
	t0 = bench_now();
	for (long i = 1; i <= count; i++) {
		off_t off = (off_t)(bench_rand(&seed) % blocks) * (off_t)sizeof(buf);

		bench_fill(buf, sizeof(buf), &seed);
		if (pwrite(fd, buf, sizeof(buf), off) != (ssize_t)sizeof(buf))
			bench_die("pwrite");
		if (every > 0 && i % every == 0 && fsync(fd) < 0)
			bench_die("fsync");
	}
	if (fsync(fd) < 0 || close(fd) < 0)
		bench_die("fsync");
	printf("%.6f\n", bench_now() - t0);
	return 0;
}
