/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What btsoot-sync, btsoot-verify and btsoot restore open before they work on
 * a block: its config, its lock, its journal, its remote and its source.
 * Each step turns a failure into a one-line message and a BT_EXIT_* code.
 */
#ifndef BTSOOT_SYNC_CONTEXT_H
#define BTSOOT_SYNC_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "btsoot/config.h"
#include "btsoot/journal.h"
#include "btsoot/remote.h"

enum bt_ctx_flags {
	BT_CTX_LOCK = 1,    /* take <state>/sync.lock (fails with BT_EXIT_BUSY) */
	BT_CTX_JOURNAL = 2, /* open the journal (BT_EXIT_JOURNAL on failure) */
	BT_CTX_REMOTE = 4,  /* open the remote and check its marker (BT_EXIT_REMOTE) */
	BT_CTX_SOURCE = 8,  /* open the source root (BT_EXIT_SOURCE) */
	BT_CTX_RECOVER = 16, /* a corrupt journal is set aside and replaced
			      * (needs BT_CTX_LOCK; not while btsootfs runs) */
};

struct bt_ctx {
	struct bt_dirs dirs;
	struct bt_block block;
	struct bt_journal *j; /* NULL unless BT_CTX_JOURNAL */
	char aside[PATH_MAX + 64]; /* where a corrupt journal was set aside, or "" */
	bool journal_corrupt; /* a read of j found a corrupt row */
	struct bt_remote remote; /* rootfd -1 unless BT_CTX_REMOTE */
	int srcfd;  /* source root O_PATH | O_DIRECTORY, -1 unless BT_CTX_SOURCE */
	int readfd; /* where the source is read: the directory under a running
		     * btsootfs (see context.c), else a copy of srcfd */
	int lockfd; /* -1 unless BT_CTX_LOCK */
	/* Source files changed at or after this (ctime) may have data rows
	 * beyond the ones being replayed: their times are not copied yet, so a
	 * remote mtime never claims content the remote does not hold. */
	struct timespec changes_after;
	/* NULL, or the progress line: bt_replay adds the files and bytes each
	 * batch is about to copy to its totals. */
	struct bt_progress *progress;
	char err[PATH_MAX + 512]; /* one-line reason when bt_ctx_open fails */
};

/* Returns BT_EXIT_OK or another BT_EXIT_* with c->err set. On failure
 * everything already opened is closed again. */
int bt_ctx_open(struct bt_ctx *c, const struct bt_dirs *d, const char *block,
		int flags);
void bt_ctx_close(struct bt_ctx *c);
/* After journal_corrupt: sets the journal aside and opens a new one that
 * asks for a rescan. BT_EXIT_JOURNAL (c->err set) while btsootfs runs. */
int bt_ctx_replace_journal(struct bt_ctx *c);
/* A meta value read as -EUCLEAN: sets journal_corrupt and err, returns
 * BT_EXIT_JOURNAL (the caller's exit, which takes the corruption path). */
int bt_ctx_meta_corrupt(struct bt_ctx *c, const char *key);
/* Every meta row against its checksum: BT_EXIT_OK or, via the above,
 * BT_EXIT_JOURNAL with journal_corrupt set. */
int bt_ctx_check_meta(struct bt_ctx *c);
/* Is btsootfs running for this block (daemon.lock held)? Its pid or 0. */
int bt_ctx_daemon_pid(const struct bt_ctx *c);
/* Asks a running daemon to commit everything it has queued (SIGUSR1) and
 * waits up to timeout_ms for meta flush_gen to change. 0, -ESRCH (no daemon)
 * or -ETIMEDOUT. */
int bt_ctx_flush_daemon(struct bt_ctx *c, int timeout_ms);
/* Says what the remote cannot keep (bt_remote_limits) once per block: the
 * first run that finds it (a warning, so not under -q) records it in the
 * journal meta remote_limits, and later runs say nothing while it stays
 * the same; `btsoot status` shows it every time. Needs j and the remote. */
void bt_ctx_say_remote_limits(struct bt_ctx *c);
/* Sets err to what to do about a dead btsootfs mount at the source
 * (ENOTCONN): detach it, mount again, sync. */
void bt_ctx_source_dead(struct bt_ctx *c);
/* After a failure: BT_EXIT_SOURCE with err set as above when the source's
 * mount died meanwhile, else BT_EXIT_OK (err untouched). */
int bt_ctx_check_alive(struct bt_ctx *c);
/* Maps an -errno from a copy/remote call to BT_EXIT_IO / BT_EXIT_REMOTE / ... */
int bt_exit_for_errno(int neg_errno);

#endif
