/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the benchmark helpers: a monotonic clock, a fast PRNG to fill
 * buffers, and one way to fail. Benchmarks only: nothing here is installed. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>

static inline double bench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static inline uint64_t bench_rand(uint64_t *s) /* xorshift64* */
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static inline void bench_fill(void *buf, size_t n, uint64_t *s)
{
	uint64_t v;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		v = bench_rand(s);
		memcpy((char *)buf + i, &v, 8);
	}
	for (v = bench_rand(s); i < n; i++, v >>= 8)
		((char *)buf)[i] = (char)v;
}

#define bench_die(...) \
	do { \
		fprintf(stderr, __VA_ARGS__); \
		fprintf(stderr, ": %s\n", strerror(errno)); \
		exit(1); \
	} while (0)
#endif
