/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Confined operations on the remote mirror (used by sync, rescan, verify
 * --repair and restore's reverse direction never writes here).
 *
 * Everything is reached relative to a descriptor of the remote root opened
 * once, through bt_open_beneath/bt_open_parent: no symlink planted on the
 * remote is ever followed and no path leaves the root. Nothing here lists
 * the remote tree; a single lstat of the target is the most any call reads.
 *
 * Nothing is destroyed: an entry that must go away (deleted, or in the way of
 * a rename or a new file) is renamed into .btsoot/trash/<run>/<rel>.
 * Every call is idempotent so a killed sync can repeat it.
 */
#ifndef BTSOOT_REMOTE_H
#define BTSOOT_REMOTE_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "btsoot/config.h"
#include "btsoot/extent.h"

struct bt_ledger;
struct bt_progress;

struct bt_remote_stats {
	int64_t bytes_written; /* file data written to the remote */
	int64_t files_written; /* files copied whole or in ranges */
	int64_t ops;           /* namespace/metadata operations issued */
	int64_t retired;       /* entries moved into the trash */
	int64_t renamed;       /* renames of the journal applied (bt_remote_rename) */
};

struct bt_remote {
	int rootfd;  /* the remote root, O_PATH | O_DIRECTORY */
	int areafd;  /* <root>/.btsoot */
	int tmpfd;   /* <root>/.btsoot/tmp */
	int trashfd; /* <root>/.btsoot/trash/<run>, opened on first use, else -1 */
	int logfd;   /* that run folder's .btsoot/log; valid only while trashfd >= 0 */
	char run[32];/* UTC "YYYYmmddTHHMMSSZ" naming this run's trash folder */
	bool is_root;        /* we may chown */
	bool warned_xattr;   /* "remote refuses xattrs" said once per run */
	bool warned_owner;   /* "remote refuses chown" said once per run */
	bool no_owner;       /* the remote cannot hold owners (probed): not compared */
	bool no_xattr;       /* the remote cannot hold xattrs (probed): not compared */
	unsigned marker_uid, marker_gid; /* the marker's owner when no_owner */
	bool nodev;          /* mounted nodev: device nodes there cannot be opened */
	int64_t time_gran_ns;/* how finely the remote keeps times (probed; 1 = exactly) */
	uint64_t tmp_counter;
	int64_t cur_seq;     /* journal row being replayed: names the exchange's parking spot */
	struct bt_ledger *ledger; /* the copy ledger (sync/remote_ledger.c), NULL until used */
	struct bt_remote_stats st;
	/* NULL, or a progress line (sync/progress.h) set to st's files and
	 * bytes written at each remote operation, so a long copy moves it. */
	struct bt_progress *progress;
};

enum bt_remote_open_flags {
	BT_REMOTE_WRITE_MARKER = 1, /* create .btsoot/marker for b (btsoot add, init-remote) */
};

/* Reads .btsoot/marker in areafd (the remote's .btsoot): 0 if it names b,
 * -ENODATA if absent, -EPERM if it names something else (found: what it
 * says, on one line, escaped), or another -errno. */
int bt_remote_read_marker(int areafd, const struct bt_block *b, char *found, size_t flen);
/* Opens the remote root and its .btsoot area, checks that .btsoot/marker
 * names this block (id and name), and removes leftovers in .btsoot/tmp.
 * -ENOENT: remote directory missing; -ENODATA: marker missing (unmounted
 * share?); -EPERM: marker of another block; err holds a one-line reason. */
int bt_remote_open(struct bt_remote *r, const struct bt_block *b, int flags,
		   char *err, size_t errlen);
void bt_remote_close(struct bt_remote *r);

/* mkdir; an existing directory is success. */
int bt_remote_mkdir(struct bt_remote *r, const char *rel, mode_t mode);
/* Moves rel into the trash. A missing rel is success. */
int bt_remote_retire(struct bt_remote *r, const char *rel);
/* rename(from, to). If from is missing and to exists, the rename was done
 * before: success. If to exists (and is not the same inode) it is retired
 * first. flags: 0 or RENAME_NOREPLACE (treated like 0 on replay). */
int bt_remote_rename(struct bt_remote *r, const char *from, const char *to);
/* Swaps a and b. step is the sub-step already done (0..3) and is advanced
 * through *step so a killed sync resumes at the right point; the caller
 * persists *step after each return of -EINPROGRESS and calls again. Returns
 * 0 when done; -ENOENT (or another step's error) when the remote diverged and the exchange was abandoned: what step 1 parked is back at a
 * or in the trash, never left in .btsoot. */
int bt_remote_exchange(struct bt_remote *r, const char *a, const char *b,
		       int *step);
/* Moves every exchange parking spot (.btsoot/xchg-<seq>) whose seq is not
 * in [keep_from, keep_to] (the rows a replay may still resume) into the
 * trash (.btsoot/parked/ of this run): left by an exchange that was killed
 * or abandoned. */
int bt_remote_unpark_stale(struct bt_remote *r, int64_t keep_from, int64_t keep_to);
/* symlink(target, rel); an existing entry at rel is retired first unless it
 * already is a symlink to target. */
int bt_remote_symlink(struct bt_remote *r, const char *target, const char *rel);
/* link(existing, newrel); if newrel already is that inode, success. Falls
 * back to -ENOTSUP when the remote has no hard links (caller copies). */
int bt_remote_link(struct bt_remote *r, const char *existing, const char *newrel);
/* mknod for fifos, sockets (as a fifo-less placeholder is NOT made: sockets
 * are created with mknod S_IFSOCK), and devices (root only). */
int bt_remote_mknod(struct bt_remote *r, const char *rel, mode_t mode, dev_t rdev);
/* Removes rel if it is an empty directory or non-directory: retire. */
int bt_remote_remove(struct bt_remote *r, const char *rel);

/* Copies the whole content of srcfd (a regular file, st its fstat) to a
 * temporary file in .btsoot/tmp, keeping holes, sets its metadata, then
 * renames it over rel (retiring what was there). */
int bt_remote_copy_whole(struct bt_remote *r, int srcfd, const struct stat *st,
			 const char *rel);
/* Writes only the given ranges (clipped to st->st_size) of srcfd into the
 * existing remote file rel, then sets its size to st->st_size.
 * -ENOENT if rel is missing on the remote, -EEXIST if it is not a regular
 * file (caller falls back to whole). With if_size >= 0, writes nothing and
 * returns -ESTALE unless the remote file has that size. */
int bt_remote_copy_ranges(struct bt_remote *r, int srcfd, const struct stat *st,
			  const char *rel, const struct bt_extents *ranges, int64_t if_size);
/* The copy ledger (sync/remote_ledger.c has the rule): true when the
 * remote file at rel certainly is the whole copy an earlier run published
 * of the source file src as it is now, so copying it again can be skipped. */
bool bt_remote_copied_before(struct bt_remote *r, const struct stat *src, const char *rel);
/* Records the whole copy just published at rel for a retried run. */
void bt_remote_note_copied(struct bt_remote *r, const char *rel);
/* Forgets the ledger: the replay is complete. */
void bt_remote_ledger_clear(struct bt_remote *r);

/* Applies mode, owner (when root), atime/mtime with nanoseconds, and, when
 * with_xattrs, the xattrs read from srcfd (O_PATH fds are fine), to rel
 * without following a symlink. */
int bt_remote_set_meta(struct bt_remote *r, const char *rel, const struct stat *st,
		       int srcfd, bool with_xattrs);
/* The same for the entry leaf (one component, no '/') of the remote
 * directory pfd, an O_PATH descriptor opened beneath the remote root (see
 * sync/dircache.h for when a cached one may be used). */
int bt_remote_set_meta_at(struct bt_remote *r, int pfd, const char *leaf,
			  const struct stat *st, int srcfd, bool with_xattrs);

/* What the remote cannot keep (probed at open), as a clause for "the
 * remote filesystem ...": "keeps file times to 1 s only, does not keep
 * file owners (...), cannot hold extended attributes"; "" when nothing. */
void bt_remote_limits(const struct bt_remote *r, char *buf, size_t len);

/* a and b are the same time as far as the remote can tell. */
bool bt_remote_same_time(const struct bt_remote *r, const struct timespec *a,
			 const struct timespec *b);

/* True if name is a trash run folder name, "YYYYmmddTHHMMSSZ" (UTC, a real
 * date); *when gets its time. Anything else in .btsoot/trash is not ours. */
bool bt_trash_run_time(const char *name, time_t *when);
/* Removes the run folders of .btsoot/trash whose name-date is older than
 * keep_days days before now; keep_days 0 removes every run folder except
 * this run's (r->run): the trash is off. Names that are not run dates are
 * left alone. Everything is reached beneath r->areafd without following a
 * symlink (a symlink in the trash is unlinked, never followed), without
 * crossing into another filesystem, one directory level at a time with the
 * stack on the heap, so depth costs memory, not C stack or descriptors.
 * *removed: run folders removed. A folder that cannot be removed fully is
 * left partly emptied; the others are still pruned and the first error is
 * returned (-errno; -ESTALE if a directory was moved while being emptied). */
int bt_trash_prune(struct bt_remote *r, int keep_days, time_t now, int64_t *removed);

#endif
