/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hashes many files on a pool of threads. Callers queue both sides of each
 * pair next to each other, so a file's source and remote copies are read at
 * the same time and the slow side sets the pace.
 */
#ifndef BTSOOT_SYNC_HASHPOOL_H
#define BTSOOT_SYNC_HASHPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "btsoot/hash.h"

struct bt_hash_job {
	int dirfd;          /* directory holding name */
	const char *name;   /* one plain component */
	bool no_devices;    /* dirfd's tree cannot hold devices we must not open */
	struct bt_hash128 out;
	long long bytes;
	int err;            /* 0 or -errno */
};

/* Runs every job; threads <= 0 means one per online CPU. */
void bt_hash_many(struct bt_hash_job *jobs, size_t n, int threads);

#endif
