/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The block journal: one SQLite database per block, outside the mounted tree.
 *
 * Schema (version 3; versions 1 and 2 are upgraded when a writer opens them:
 * version 1 lacked the row crc, version 2 the meta crc)
 *   meta(key TEXT PRIMARY KEY, value TEXT, crc)  block state, see BT_META_*;
 *       crc: see bt_meta_crc below
 *   ops(seq INTEGER PRIMARY KEY, op, ino, path BLOB, path2 BLOB, off, len, mode, crc)
 *       append-only log written by btsootfs in the order the filesystem
 *       applied the changes; pruned by btsoot-sync once replayed.
 *   pending(id INTEGER PRIMARY KEY, op, ino, path BLOB, path2 BLOB, off, len, mode, crc)
 *       owned by btsoot-sync: dirty data/metadata it could not finish (the
 *       source file had moved on); replayed before the next batch of ops.
 *       Rows are WRITE (a range) or META (metadata only); mode is the
 *       sync's own: tries so far (low 8 bits) and its dirty flags.
 *   recheck(path BLOB PRIMARY KEY, flags, crc)
 *       owned by btsoot-sync: names compared with the live source instead of
 *       replayed (see the recheck section below and sync/reconcile.h).
 *
 * What a row means (paths are relative to the block's root, "" = root,
 * stored as BLOBs without a NUL so any byte sequence survives):
 *   CREATE  path ino              regular file created (empty)
 *   MKNOD   path ino mode off=rdev fifo, socket or device node created
 *                                 (off: the device number, 0 for fifos and
 *                                 sockets; rows from before it was kept say 0)
 *   MKDIR   path ino              directory created
 *   SYMLINK path ino path2=target symlink created
 *   LINK    path=existing path2=new ino   hard link created
 *   RENAME  path=from path2=to len=flags (0, RENAME_NOREPLACE, RENAME_EXCHANGE)
 *           mode = names the replaced target keeps elsewhere (then a META
 *           row naming a surviving name follows when btsootfs knows one)
 *   UNLINK  path ino len=links    name removed; len = other names the inode keeps
 *   RMDIR   path                  directory removed
 *   WRITE   path ino off len      bytes [off, off+len) of the file changed;
 *                                 path is the file's name when the row was
 *                                 queued (valid after every row before it)
 *   TRUNCATE path ino off=size    size set; bytes from size on changed
 *   META    path ino              mode, owner or times changed (also: "ino now
 *                                 lives at path" after a name of it went away)
 *   XATTR   path ino              extended attributes changed
 *
 * Order: btsootfs assigns seq while it holds its namespace lock, so seq
 * order is the filesystem's order.
 *
 * Durability: rows are queued in memory and committed by one writer thread
 * in batches (WAL, synchronous=NORMAL: no fsync per commit).
 *   - A killed daemon loses at most the uncommitted queue (committed batches
 *     are in the page cache); it left meta state=mounted, which tells the
 *     next sync to reconcile by rescanning.
 *   - A power loss may lose commits made since the last fsync of the WAL,
 *     never a row whose file or directory was fsynced through the mount:
 *     fsync/fsyncdir wait in bt_jw_sync for the commit and an fsync of the
 *     WAL. state=mounted is fsynced at mount (bt_journal_sync), and the WAL
 *     is only replayed up to its first missing frame, so lost rows always
 *     come with state=mounted and a rescan.
 */
#ifndef BTSOOT_JOURNAL_H
#define BTSOOT_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sqlite3;

enum bt_op {
	BT_OP_NONE = 0, /* dropped by compaction */
	BT_OP_CREATE = 1,
	BT_OP_MKNOD = 2,
	BT_OP_MKDIR = 3,
	BT_OP_SYMLINK = 4,
	BT_OP_LINK = 5,
	BT_OP_RENAME = 6,
	BT_OP_UNLINK = 7,
	BT_OP_RMDIR = 8,
	BT_OP_WRITE = 9,
	BT_OP_TRUNCATE = 10,
	BT_OP_META = 11,
	BT_OP_XATTR = 12,
	/* Never stored: compaction's stand-in for a dropped object's removal.
	 * Only the times of path's parent directory change on the remote. */
	BT_OP_TOUCH = 13,
};

const char *bt_op_name(int op);

/* The len of a META row for "" (the root) that stands for a change to an
 * inode of which btsootfs knew no name (open, its names gone or never
 * looked up): the sync compares the whole tree. A row, not only the
 * NEEDS_RESCAN file, so that it is ordered with the others: a comparison
 * that began before it cannot take it as covered. */
#define BT_META_NAMELESS 1

struct bt_op_rec {
	int64_t seq;
	int op;
	uint64_t ino;
	char *path;  /* never NULL in a stored row */
	char *path2; /* NULL when unused */
	int64_t off;
	int64_t len;
	uint32_t mode;
};

void bt_op_rec_free(struct bt_op_rec *r); /* frees the strings, not r */
/* The checksum stored with every row (all fields but seq). */
int64_t bt_op_rec_crc(const struct bt_op_rec *r);

/* meta keys */
#define BT_META_SCHEMA "schema"              /* "3" */
#define BT_META_STATE "state"                /* "mounted" while btsootfs runs, "clean" after a clean unmount */
#define BT_META_SYNCED_SEQ "synced_seq"      /* every op <= this has been replayed and pruned */
#define BT_META_NS_DONE_SEQ "ns_done_seq"    /* namespace ops <= this are applied on the remote */
#define BT_META_NS_DONE_STEP "ns_done_step"  /* sub-step inside op ns_done_seq+1 (RENAME_EXCHANGE) */
#define BT_META_FIRST_SYNC "first_sync_done" /* "1" once the initial full mirror completed */
#define BT_META_NEEDS_RESCAN "needs_rescan"  /* "1": journal incomplete, next sync rescans */
#define BT_META_LAST_SYNC "last_sync"        /* unix time of the last completed sync */
#define BT_META_LAST_SYNC_BYTES "last_sync_bytes"
#define BT_META_LAST_VERIFY "last_verify"    /* unix time */
#define BT_META_LAST_VERIFY_RESULT "last_verify_result" /* "equal", "N differences", "error: ..." */
#define BT_META_FLUSH_GEN "flush_gen"        /* bumped by btsootfs after each SIGUSR1 flush */
#define BT_META_OFFLINE_SINCE "offline_since" /* ns fs time since when changes may have bypassed btsootfs (0: none) */
#define BT_META_SET_ASIDE "set_aside"      /* where the corrupt journal this one replaced was kept */
#define BT_META_MOUNT_GEN "mount_gen"  /* bumped by btsootfs at each mount */
#define BT_META_MOUNTED_AT "mounted_at" /* ns (CLOCK_REALTIME) of the last mount */
/* ns (CLOCK_REALTIME) when btsootfs took its last committed batch of rows
 * from its queue: the changes of rows queued after it die with a killed
 * daemon, and their files' ctimes are no older than this (less a margin). */
#define BT_META_COMMITTED_AT "committed_at"
/* ns: a btsootfs died (or could not journal) with rows in its queue;
 * source files whose ctime is not older may hold changes no row tells, so
 * the next whole-tree pass copies their content whatever size and mtime
 * say (a same-size edit whose writer set the mtime back). 0 or absent:
 * none. Kept earliest until a pass covers it. */
#define BT_META_LOST_SINCE "lost_since"
/* ns: ... and not newer than this: a btsootfs mounted since journals every
 * later change (0 or absent: no such bound). */
#define BT_META_LOST_UNTIL "lost_until"
/* How far before committed_at a lost change's ctime can lie: an operation
 * in flight when the batch was taken, and coarse filesystem clocks. */
#define BT_LOST_MARGIN_NS 5000000000LL
#define BT_META_MIRROR_ENTRIES "mirror_entries" /* entries the remote mirror holds (rescan count, kept up by replays) */
#define BT_META_SOURCE_BYTES "source_bytes" /* regular-file bytes the last whole-tree pass saw in the source (progress totals) */
#define BT_META_VERIFY_COVERED "verify_covered" /* unix time a hashing verify of the whole tree last completed */
#define BT_META_VERIFY_SLICES "verify_slices" /* N of the last --slice K/N verify */
/* "verify_slice.N.K": unix time slice K of N was last verified (hashing) */
#define BT_META_VERIFY_SLICE_FMT "verify_slice.%u.%u"
#define BT_META_LAST_VERIFY_MODE "last_verify_mode" /* "full" (hashed) or "quick" (metadata), " repair" added with --repair */
#define BT_META_REMOTE_LIMITS "remote_limits" /* what the remote cannot keep, as last said (bt_remote_limits) */
/* How the last run of each program ended, written by its main (not by a
 * dry run, nor by a run that found the block busy): unix time, exit code
 * (see exitcodes.h) and its one-line error ("" on success). */
#define BT_META_LAST_SYNC_END "last_sync_end"
#define BT_META_LAST_SYNC_EXIT "last_sync_exit"
#define BT_META_LAST_SYNC_ERROR "last_sync_error"
#define BT_META_LAST_VERIFY_END "last_verify_end"
#define BT_META_LAST_VERIFY_EXIT "last_verify_exit"
#define BT_META_LAST_VERIFY_ERROR "last_verify_error"
/* differences + unreadable entries the last verify that compared the
 * whole tree found; -1 when it stopped before the end */
#define BT_META_LAST_VERIFY_DIFFS "last_verify_differences"

enum bt_journal_flags {
	BT_J_CREATE = 1,   /* create the file and schema if missing */
	BT_J_READONLY = 2, /* open read-only (btsoot status) */
	/* With BT_J_READONLY: an immutable snapshot (SQLite immutable=1): no
	 * lock taken, no -wal or -shm file created, nothing written at all.
	 * Only right while no process has the journal open and no WAL holds
	 * commits (btsoot status and check make sure, see bt_journal_quiet). */
	BT_J_SNAPSHOT = 4,
};

struct bt_journal;

/* Opens (and with BT_J_CREATE creates, mode 0600) the journal, sets WAL,
 * synchronous=NORMAL, busy_timeout, checks the schema. Returns 0, -ENOENT,
 * -EUCLEAN (not a btsoot journal, or corrupt: quick_check failed or a meta
 * row does not match its crc), -EBUSY
 * (locked past the timeout) or -errno. */
int bt_journal_open(const char *path, int flags, struct bt_journal **out);
void bt_journal_close(struct bt_journal *j);
/* Why this thread's last bt_journal_open failed, as a clause for a message
 * ("PRAGMA quick_check: ...", "meta 'k' does not match its checksum
 * (garbled)", "schema version 7 is newer ..."); "" when it did not say. */
const char *bt_journal_open_why(void);
/* True when nothing has the journal open and no WAL holds commits:
 * state_dir's daemon.lock and sync.lock are free and path-wal is absent
 * or empty. Then BT_J_SNAPSHOT reads it exactly as it is. */
bool bt_journal_quiet(const char *path, const char *state_dir);
/* Renames the journal (and its -wal, -shm) to path.corrupt-<UTC time>,
 * written to aside; never deletes anything. */
int bt_journal_set_aside(const char *path, char *aside, size_t len);
/* For a journal bt_journal_open found corrupt (-EUCLEAN): sets it aside and
 * opens a new one whose meta asks the next sync for a full rescan. Only
 * while no other process has the journal open. */
int bt_journal_replace_corrupt(const char *path, struct bt_journal **out, char *aside,
			       size_t len);
/* fsyncs the WAL: every commit so far (of any connection) is on disk.
 * 0 or -errno. btsootfs calls it right after it marks the journal
 * "mounted", so that a power loss while mounted always ends in a rescan. */
int bt_journal_sync(struct bt_journal *j);
struct sqlite3 *bt_journal_db(struct bt_journal *j);
/* Last SQLite error message of this connection, for one-line errors. */
const char *bt_journal_errmsg(struct bt_journal *j);

/* ---- daemon side: queued appends, one writer thread ---- */

/* Starts the writer thread: commits the queue every flush_ms, or sooner when
 * it grows past a few thousand rows. */
int bt_jw_start(struct bt_journal *j, unsigned flush_ms);
/* Copies rec (and its strings) into the queue and assigns rec->seq.
 * Callers that change the namespace hold their namespace lock across the
 * change and this call. Returns the seq (> 0), or -EROFS once the journal is
 * broken (a commit failed), or -ENOMEM. Never blocks on I/O. */
int64_t bt_jw_append(struct bt_journal *j, struct bt_op_rec *rec);
/* Waits until every row appended before the call is committed: visible to
 * other connections and safe from a killed process, not yet from a power
 * loss. 0 or -EIO. */
int bt_jw_flush(struct bt_journal *j);
/* Waits until every row appended before the call is committed and fsynced
 * (the WAL is on disk): safe from power loss. What fsync() and fsyncdir()
 * through the mount wait for. 0 or -EIO (then the journal is broken). */
int bt_jw_sync(struct bt_journal *j);
/* True once a commit failed: the daemon must refuse further mutations. */
bool bt_jw_broken(const struct bt_journal *j);
/* Flushes and stops the writer thread. Returns 0 or -EIO if rows were lost. */
int bt_jw_stop(struct bt_journal *j);
/* Called by the writer thread after a failed commit (the daemon logs, writes
 * the NEEDS_RESCAN file). Optional. */
void bt_jw_on_broken(struct bt_journal *j, void (*cb)(void *arg, const char *why),
		     void *arg);

/* ---- meta ----
 * Every meta row carries crc = bt_meta_crc(key, value) (schema 3; older
 * journals get theirs when a writer opens them). bt_journal_open checks every
 * row and returns -EUCLEAN on a mismatch, so a garbled value takes the same
 * path as a garbled ops row: the journal is set aside, the block rescans.
 * The getters check again and return -EUCLEAN: callers must treat that as
 * corruption, never as "unset" (-ENOENT). A version-2 journal opened
 * read-only is read unchecked. */
int64_t bt_meta_crc(const char *key, const char *value);
int bt_meta_get(struct bt_journal *j, const char *key, char *buf, size_t len);
/* -ENOENT if unset, -EUCLEAN if garbled or not a number. */
int bt_meta_get_i64(struct bt_journal *j, const char *key, int64_t *v);
/* Same, but an unset key gives dflt and 0: only real errors are < 0. */
int bt_meta_get_i64_or(struct bt_journal *j, const char *key, int64_t *v, int64_t dflt);
/* Checks every meta row now (0 or -EUCLEAN), e.g. before a sync decides. */
int bt_journal_check_meta(struct bt_journal *j);
int bt_meta_set(struct bt_journal *j, const char *key, const char *value);
int bt_meta_set_i64(struct bt_journal *j, const char *key, int64_t v);
/* Rows may have died with a daemon (killed, or its journal broke): moves
 * BT_META_LOST_SINCE back to its last commit's time less the margin (kept
 * if earlier). Nothing when no commit time is known. 0 or -errno. */
int bt_journal_note_lost(struct bt_journal *j);
/* The same from a given time ns (kept if earlier), open-ended until the
 * next mount bounds it (btsootfs sets BT_META_LOST_UNTIL). ns 0: no window
 * (a pass covered it). */
int bt_journal_lost_from(struct bt_journal *j, int64_t ns);
/* Reads the window (since 0: none; until INT64_MAX: open-ended). */
int bt_journal_lost_window(struct bt_journal *j, int64_t *since, int64_t *until);

/* ---- sync side ---- */

/* Highest committed seq (0 if none). */
int bt_journal_max_seq(struct bt_journal *j, int64_t *seq);
/* Calls cb for each op with after < seq <= upto, in seq order, at most limit
 * rows (0: no limit), inside one read transaction. cb returns 0 to go on or
 * -errno to stop (returned). Strings passed to cb are valid during the call
 * only. */
int bt_journal_read(struct bt_journal *j, int64_t after, int64_t upto,
		    size_t limit,
		    int (*cb)(const struct bt_op_rec *rec, void *arg), void *arg);
/* Pending ops left to replay (seq > synced_seq) and the bytes their
 * WRITE rows name (for btsoot status). */
int bt_journal_stats(struct bt_journal *j, int64_t after, int64_t *n_ops,
		     int64_t *n_write_bytes);
/* Deletes ops with seq <= upto. */
int bt_journal_prune(struct bt_journal *j, int64_t upto);

/* Transactions on the sync's connection (IMMEDIATE). */
int bt_journal_begin(struct bt_journal *j);
int bt_journal_commit(struct bt_journal *j);
void bt_journal_rollback(struct bt_journal *j);

/* pending: rows use struct bt_op_rec with op = WRITE/TRUNCATE/META/XATTR/
 * CREATE (CREATE = whole file), seq ignored. */
int bt_pending_read(struct bt_journal *j,
		    int (*cb)(const struct bt_op_rec *rec, void *arg), void *arg);
/* Replaces the whole pending table with recs (call inside a transaction). */
int bt_pending_replace(struct bt_journal *j, const struct bt_op_rec *recs,
		       size_t n);

/* ---- recheck: names whose remote state the journal no longer vouches for ----
 *
 * recheck(path BLOB PRIMARY KEY, flags, crc), owned by btsoot-sync. A name
 * is here when a pass that read the live source (rescan, verify --repair,
 * the offline repair) raced a journal row touching it, when a row could not
 * be applied as an operation (the remote did not hold what the row
 * expects), or when a row touched a name already here. Such a name is never
 * changed on the remote by replaying a row: the sync compares it with the
 * live source instead (sync/reconcile.h). "" is the whole tree. */
enum bt_recheck_flags {
	BT_RECHECK_DEEP = 1,    /* everything below the name, not just its entries */
	BT_RECHECK_CONTENT = 2, /* a regular file there is copied whatever its
				 * size and times say (journaled writes) */
};

/* Adds path, or ORs flags into its entry. 0 or -errno. */
int bt_recheck_add(struct bt_journal *j, const char *path, unsigned flags);
/* Calls cb for every entry in path order; -EUCLEAN for an entry whose
 * checksum does not match. 0 when the table is missing (older journal). */
int bt_recheck_read(struct bt_journal *j,
		    int (*cb)(const char *path, unsigned flags, void *arg), void *arg);
int bt_recheck_remove(struct bt_journal *j, const char *path);
int bt_recheck_clear(struct bt_journal *j);

/* Test hooks: run raw SQL / checkpoint the WAL into the main file. */
int bt_journal_exec_for_tests(struct bt_journal *j, const char *sql);
int bt_journal_exec_checkpoint_for_tests(struct bt_journal *j);
/* How many times the writer fsynced the WAL for bt_jw_sync callers. */
uint64_t bt_jw_wal_syncs_for_tests(struct bt_journal *j);

#endif
