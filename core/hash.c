/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <xxhash.h>

#include "btsoot/hash.h"

int bt_hash_fd(int fd, struct bt_hash128 *out)
{
	XXH3_state_t *st = XXH3_createState();
	char *buf = malloc(BT_HASH_CHUNK);
	off_t off = 0;
	int rc = 0;

	if (!st || !buf) {
		rc = -ENOMEM;
		goto out;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	XXH3_128bits_reset(st);
	for (;;) {
		ssize_t n = pread(fd, buf, BT_HASH_CHUNK, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		XXH3_128bits_update(st, buf, (size_t)n);
		off += n;
	}
	XXH128_hash_t h = XXH3_128bits_digest(st);
	out->hi = h.high64;
	out->lo = h.low64;
out:
	free(buf);
	XXH3_freeState(st);
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
