/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
/* Debian builds libxxhash for baseline x86-64 (SSE2); the _dispatch entry
 * points pick AVX2/AVX-512 at run time, which xxhsum itself uses: without
 * them hashing runs at ~0.6 of xxhsum per core. Same digests. */
#include <xxh_x86dispatch.h>
#endif

#include "btsoot/hash.h"

int bt_hasher_init(struct bt_hasher *h)
{
	h->state = XXH3_createState();
	h->buf = malloc(BT_HASH_CHUNK);
	if (h->state && h->buf)
		return 0;
	bt_hasher_free(h);
	return -ENOMEM;
}

void bt_hasher_free(struct bt_hasher *h)
{
	free(h->buf);
	XXH3_freeState(h->state);
	h->buf = NULL;
	h->state = NULL;
}

int64_t bt_hasher_fd(struct bt_hasher *h, int fd, int64_t size, struct bt_hash128 *out)
{
	XXH3_state_t *st = h->state;
	XXH128_hash_t sum;
	off_t off = 0;

	if (size < 0 || size > 4 * (int64_t)BT_HASH_CHUNK) /* readahead pays off */
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	XXH3_128bits_reset(st);
	for (;;) {
		ssize_t n = pread(fd, h->buf, BT_HASH_CHUNK, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		XXH3_128bits_update(st, h->buf, (size_t)n);
		off += n;
		/* A short read at the size seen at open is the end: one read
		 * less per small file. A file that grew reads on to EOF. */
		if (n == 0 || (n < (ssize_t)BT_HASH_CHUNK && size >= 0 && off >= size))
			break;
	}
	sum = XXH3_128bits_digest(st);
	out->hi = sum.high64;
	out->lo = sum.low64;
	return off;
}

int bt_hash_fd(int fd, struct bt_hash128 *out)
{
	struct bt_hasher h;
	int rc = bt_hasher_init(&h);

	if (!rc) {
		int64_t n = bt_hasher_fd(&h, fd, -1, out);

		rc = n < 0 ? (int)n : 0;
	}
	bt_hasher_free(&h);
	return rc;
}

void bt_hash_buf(const void *buf, size_t len, struct bt_hash128 *out)
{
	XXH128_hash_t h = XXH3_128bits(buf, len);

	out->hi = h.high64;
	out->lo = h.low64;
}

bool bt_hash_equal(const struct bt_hash128 *a, const struct bt_hash128 *b)
{
	return a->hi == b->hi && a->lo == b->lo;
}

void bt_hash_hex(const struct bt_hash128 *h, char out[33])
{
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)h->hi,
		 (unsigned long long)h->lo);
}
