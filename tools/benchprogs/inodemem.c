/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-inodemem [N]: the memory btsootfs's inode table takes for N inodes
 * (default 1,000,000), measured, not computed: the real table code
 * (fs/inode.c, the library btsootfs links too) is fed N distinct (dev, ino) pairs and the
 * process's resident memory is read before and after. The descriptors the
 * daemon would hold are kernel memory, not the daemon's, and are left out
 * (fd -1): this host's descriptor limit could not hold a million anyway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "fs.h"

static long rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	static struct bt_fs fs;
	struct stat st = { .st_mode = S_IFREG | 0644, .st_nlink = 1, .st_dev = 2049 };
	long before, after;

	fs.fd_soft = (size_t)-1;
	if (bt_inodes_init(&fs) < 0)
		return 1;
	before = rss_kib();
	for (size_t i = 0; i < n; i++) {
		st.st_ino = 1000 + i * 7;
		if (!bt_inode_ref(&fs, -1, &st)) {
			fprintf(stderr, "bench-inodemem: out of memory at %zu\n", i);
			return 1;
		}
	}
	after = rss_kib();
	printf("inodes %zu rss_before_kib %ld rss_after_kib %ld bytes_per_inode %.1f "
	       "struct %zu buckets %zu\n", n, before, after,
	       (double)(after - before) * 1024 / (double)n, sizeof(struct bt_inode), fs.nbuckets);
	return 0;
}
