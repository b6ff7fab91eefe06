/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exit codes shared by btsoot, btsoot-sync and btsoot-verify.
 * Documented in README.md and in each man page; never renumber.
 */
#ifndef BTSOOT_EXITCODES_H
#define BTSOOT_EXITCODES_H

enum bt_exit {
	BT_EXIT_OK = 0,
	BT_EXIT_DIFFERENT = 1,  /* btsoot-verify: trees differ */
	BT_EXIT_USAGE = 2,      /* bad arguments, unknown block, bad config line */
	BT_EXIT_REMOTE = 3,     /* remote missing, unmounted, marker absent or foreign */
	BT_EXIT_SOURCE = 4,     /* source missing, empty or not what the block expects */
	BT_EXIT_JOURNAL = 5,    /* journal database locked, corrupt or unreadable */
	BT_EXIT_BUSY = 6,       /* another sync/verify holds the block's lock */
	BT_EXIT_IO = 7,         /* I/O error while copying (ENOSPC, EIO, ...); resumable */
	BT_EXIT_SAFETY = 8,     /* refused: plan would delete too much (see --force) */
	BT_EXIT_INTERNAL = 9,   /* out of memory or a bug */
};

#endif
