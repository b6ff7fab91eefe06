/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-readdir DIR [stat]: lists DIR with readdir (and fstatat of each
 * entry with "stat", like ls -l). Prints "ENTRIES SECONDS".
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv)
{
	struct dirent *e;
	struct stat st;
	long n = 0;
	double t0;
	DIR *d;
	int with_stat = argc > 2 && !strcmp(argv[2], "stat");

	if (argc < 2)
		return fprintf(stderr, "usage: bench-readdir DIR [stat]\n"), 2;
	t0 = bench_now();
	d = opendir(argv[1]);
	if (!d)
		bench_die("%s", argv[1]);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		if (with_stat && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			bench_die("stat %s", e->d_name);
		n++;
	}
	closedir(d);
	printf("%ld %.6f\n", n, bench_now() - t0);
	return 0;
}
