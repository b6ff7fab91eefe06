/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * btsootfs internals. The daemon is a low-level libfuse pass-through: every
 * FUSE node is a struct bt_inode holding an O_PATH descriptor of the real
 * object, found by (dev, ino). Requests reach the real tree only through
 * those descriptors, so mounting over the source path itself works.
 *
 * Locks, outermost first: ns (namespace changes + their journal rows),
 * table (the inode hash), bt_inode_lock(inode) (its extents and extra names).
 */
#ifndef BTSOOTFS_FS_H
#define BTSOOTFS_FS_H

#include "config.h"
/* The API level is meson's (meson.build checks libfuse at that level). */
#define FUSE_USE_VERSION BT_FUSE_USE_VERSION
#include <fuse_lowlevel.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "btsoot/extent.h"
#include "btsoot/journal.h"

#define BT_NAME_FDS 4
#define BT_INODE_LOCKS 256

/* How the kernel does an open file's I/O (passthrough.c): through the
 * page cache and our read/write handlers, or on the backing file. */
enum bt_io_mode {
	BT_IO_CACHED = 0,  /* the kernel's cached mode: we serve reads and writes */
	BT_IO_PT_READ,     /* FOPEN_PASSTHROUGH: the kernel reads the backing file */
	BT_IO_PT_WRITE,    /* FOPEN_PASSTHROUGH | FOPEN_DIRECT_IO: writes come to
			    * us, but an mmap maps the backing file */
};

/* The opens of one inode as the kernel will count them (passthrough.c),
 * under bt_inode_lock(): opens replied in cached mode, opens replied with
 * FOPEN_PASSTHROUGH, and the backing id those share (0: none). */
struct bt_inode_io {
	uint32_t ncached, npt;
	int32_t backing_id;
};

/* What few inodes need: more names of a hard-linked file (O_PATH, -1 =
 * empty: after `ln a b; rm a`, fd names a dead dentry but one of these
 * still names b for the journal), written ranges not yet journaled, and
 * (with passthrough) the I/O modes of its opens. */
struct bt_inode_more {
	int name_fds[BT_NAME_FDS];
	struct bt_extents ext;
	struct bt_inode_io io;
};

/* One per inode the kernel knows: kept small (48 bytes, from a slab), since
 * a tree of a million files looked up means a million of them. */
struct bt_inode {
	int fd;                 /* O_PATH | O_NOFOLLOW descriptor of the real object */
	uint16_t type;          /* S_IFMT bits */
	bool has_ext;           /* racy hint for the flusher */
	bool used;              /* looked up since the reclaimer's last sweep (table_mu) */
	ino_t ino;
	dev_t dev;
	uint64_t nlookup;       /* kernel references (+ pins), under fs->table_mu */
	struct bt_inode *hnext;
	struct bt_inode_more *more; /* NULL until needed; under bt_inode_lock() */
};
/* One open file. */
struct bt_file {
	int fd;
	enum bt_io_mode io;
};

struct bt_fs {
	int rootfd;
	struct bt_inode root;
	char rootpath[PATH_MAX]; /* the source as the kernel names it */
	size_t rootlen;
	double timeout;
	bool writeback;
	bool nojournal;
	bool debug;
	bool dont_mask;   /* the kernel left the umask to us (FUSE_CAP_DONT_MASK) */
	bool passthrough; /* FUSE_CAP_PASSTHROUGH negotiated (set at INIT) */
	bool pt_broken;   /* a backing file could not be registered: no new ones (atomic) */
	bool killpriv_v2; /* FUSE_CAP_HANDLE_KILLPRIV_V2 negotiated */
	char state_dir[PATH_MAX];

	pthread_mutex_t table_mu;
	struct bt_inode **buckets;
	size_t nbuckets;        /* a power of two, grown to keep chains short */
	size_t ninodes;
	struct bt_inode *free_inodes; /* the slab's free list, under table_mu */
	pthread_mutex_t inode_mu[BT_INODE_LOCKS]; /* striped: inode->more */
	size_t fd_soft;   /* past this many inodes, have the kernel forget some */
	size_t clock_hand; /* the reclaimer's next bucket, under table_mu */
	struct fuse_session *se;

	pthread_mutex_t ns_mu;
	struct bt_journal *j;
	bool rescan_marked;

	int wake_pipe[2];  /* SIGUSR1 -> flusher */
	pthread_t flusher;
	bool flusher_stop;

	const char *block;          /* the block's name, for messages */
	char mntpath[PATH_MAX];     /* our mount point as mountinfo spells it */
	dev_t mnt_dev;              /* our mount's device; 0: not watched */
	int64_t attached_ns;        /* coarse clock before the last check that saw it (atomic) */
	bool detached;              /* a check missed it: sticky (atomic) */
	int watch_pipe[2];
	pthread_t watcher;
	bool watching, watch_stop;
};

/* fdlimit.c (with the inode table): the descriptor limit. */
size_t bt_fd_soft_limit(void);
/* Wakes the reclaimer, if one runs; safe under any lock (a write to a pipe). */
void bt_fd_reclaim(void);
/* After err from an open: true (having asked for a reclaim and waited a
 * moment) while it is worth retrying. */
bool bt_fd_retry(int err, int *tries);
void bt_fd_set_waker(int fd); /* the reclaimer's pipe, -1: none */
/* Opens the reserve up to its size (the reclaimer, after it made room). */
void bt_fd_reserve_fill(void);

/* fdpressure.c: the reclaimer thread, from start (once the session
 * exists) to stop (after its loop): near the limit it has the kernel
 * forget btsootfs's least recently used entries. */
int bt_fd_pressure_start(struct bt_fs *fs, struct fuse_session *se);
void bt_fd_pressure_stop(void);

/* Each ops_*.c fills its part of the operation table. */
void bt_fs_ns_ops(struct fuse_lowlevel_ops *ops);
void bt_fs_file_ops(struct fuse_lowlevel_ops *ops);
void bt_fs_attr_ops(struct fuse_lowlevel_ops *ops);
void bt_fs_dir_ops(struct fuse_lowlevel_ops *ops);

/* passthrough.c: the kernel's per-inode I/O modes (its fs/fuse/iomode.c):
 * an inode is in cached mode while any open of it is, or in passthrough
 * mode while any open of it passes through to the one backing file; an
 * open that asks for the other mode fails with EIO. Opens that do not write
 * pass through unless a cached open exists; opens that write stay cached
 * unless passthrough opens exist, and then get FOPEN_PASSTHROUGH with
 * FOPEN_DIRECT_IO (their writes still come to us). docs/design.md. */
/* At INIT: asks for passthrough where libfuse, the kernel and the options
 * allow it, and says once which it is. */
void bt_pt_init(struct bt_fs *fs, struct fuse_conn_info *conn);
/* Chooses the I/O mode of a new open of in (f->fd open already; writes:
 * the open may change the file) and fills fi for the reply: backing_id,
 * direct_io, keep_cache. 0 or -ENOMEM. */
int bt_pt_open(fuse_req_t req, struct bt_inode *in, struct bt_file *f,
	       struct fuse_file_info *fi, bool writes);
/* The open is gone (RELEASE): counts it out; the last passthrough open
 * closes the backing id. */
void bt_pt_release(fuse_req_t req, struct bt_inode *in, struct bt_file *f);
/* The reply to the open failed (the kernel took none of it): counts it
 * out; a backing id no open uses any more stays registered for the next
 * one (there is no request to close it with). */
void bt_pt_unopen(struct bt_fs *fs, struct bt_inode *in, struct bt_file *f);

/* creds.c: acting for the caller (the daemon runs as root) */
void bt_give_to_caller(fuse_req_t req, struct bt_inode *parent, const char *name);
mode_t bt_create_mode(fuse_req_t req, struct bt_inode *parent, mode_t mode);
void bt_kill_priv(fuse_req_t req, struct bt_inode *in);
bool bt_chown_sgid(fuse_req_t req, struct bt_inode *in, int valid);
void bt_clear_sgid(struct bt_inode *in);
void bt_acl_kill_sgid(fuse_req_t req, struct bt_inode *in);
/* An empty SETATTR (KILLPRIV_V2) that must change nothing: see creds.c. */
bool bt_kill_request_only(fuse_req_t req, struct bt_inode *in, int valid);

static inline struct bt_fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* inode.c */
int bt_inodes_init(struct bt_fs *fs);
struct bt_inode *bt_inode_get(struct bt_fs *fs, fuse_ino_t ino);
/* Looks up (parent, name) on disk and returns a referenced inode, filling e.
 * 0 or -errno. */
int bt_inode_lookup(struct bt_fs *fs, struct bt_inode *parent, const char *name,
		    struct fuse_entry_param *e);
/* Finds or inserts the inode st names, one lookup more; takes ownership of
 * fd (closes it when the inode is known already). NULL: out of memory. */
struct bt_inode *bt_inode_ref(struct bt_fs *fs, int fd, const struct stat *st);
/* n lookups fewer (FORGET, or an unpin). true: that was the last, the inode
 * is out of the table and the caller frees it with bt_inode_free (after
 * journaling what it holds: jrec_forget does both). */
bool bt_inode_unref(struct bt_fs *fs, struct bt_inode *in, uint64_t n);
void bt_inode_free(struct bt_fs *fs, struct bt_inode *in);
/* The known inode (dev, ino), pinned (release with jrec_forget(fs, in, 1)),
 * or NULL. */
struct bt_inode *bt_inode_find(struct bt_fs *fs, ino_t ino, dev_t dev);
/* Pins up to want inodes not looked up since the last call (a clock sweep:
 * the others lose their mark) into a malloc'd array of *n. */
struct bt_inode **bt_inodes_pin_unused(struct bt_fs *fs, size_t want, size_t *n);
/* Pins every inode with pending extents (nlookup+1) into a malloc'd array. */
struct bt_inode **bt_inodes_pin_dirty(struct bt_fs *fs, size_t *n);
void bt_inode_procpath(const struct bt_inode *in, char buf[64]);
/* The lock that guards in->more (shared with other inodes). */
pthread_mutex_t *bt_inode_lock(struct bt_fs *fs, const struct bt_inode *in);
/* in->more, allocated on first use (caller holds bt_inode_lock); NULL on ENOMEM. */
struct bt_inode_more *bt_inode_more(struct bt_inode *in);

/* jrec.c: recording mutations in the journal */
bool jrec_refused(struct bt_fs *fs);
void jrec_mark_rescan(struct bt_fs *fs, const char *why);
/* The same; failure false logs a warning (a known limit, not an error). */
void jrec_note_rescan(struct bt_fs *fs, const char *why, bool failure);
/* Caller holds fs->ns_mu. Paths: malloc'd relative paths or NULL (error). */
char *jrec_inode_path(struct bt_fs *fs, struct bt_inode *in);
char *jrec_child_path(struct bt_fs *fs, struct bt_inode *parent, const char *name);
/* Caller holds fs->ns_mu. Appends one row; 0 or -EROFS (journal broken). */
int jrec_append(struct bt_fs *fs, int op, uint64_t ino, const char *path,
		const char *path2, int64_t off, int64_t len, uint32_t mode);
/* Appends a row naming the inode's current path (takes ns_mu itself). */
void jrec_inode_op(struct bt_fs *fs, struct bt_inode *in, int op, int64_t off);
/* Caller holds ns_mu. A name of a multi-link file went away (st: its stat
 * from before): journal a surviving name so the sync can follow it.
 * Returns the inode pinned (or NULL): the caller unpins it with
 * jrec_forget(fs, in, 1) after releasing ns_mu (the last reference
 * flushes its extents, which takes ns_mu), so ns_mu is held across the
 * whole operation and all of its rows. */
struct bt_inode *jrec_name_gone(struct bt_fs *fs, const struct stat *st);
void jrec_add_extent(struct bt_fs *fs, struct bt_inode *in, int64_t off, int64_t end);
void jrec_flush_inode(struct bt_fs *fs, struct bt_inode *in);
void jrec_flush_all(struct bt_fs *fs);
/* n lookups fewer; at the last, journals the inode's ranges and frees it. */
void jrec_forget(struct bt_fs *fs, struct bt_inode *in, uint64_t n);
int jrec_start_flusher(struct bt_fs *fs);
void jrec_stop_flusher(struct bt_fs *fs);

/* attached.c: noticing that our mount left the namespace (umount -l while
 * files are held open through it); see the file's head for why. */
/* Right after mounting on mountpoint (absolute, canonical): finds our
 * mount's device. 0, or -errno and nothing will be watched. */
int bt_attach_find(struct bt_fs *fs, const char *mountpoint);
/* The watcher thread (after fork): 0 or -errno. */
int bt_attach_start(struct bt_fs *fs);
void bt_attach_stop(struct bt_fs *fs);
/* A check now: 1 mounted, 0 gone (sticky), -errno unknown or not watched. */
int bt_attach_check(struct bt_fs *fs);
/* The time (ns) from which changes may have bypassed us, for a stop at
 * stopped_ns: no later than the last check that saw the mount. */
int64_t bt_attach_offline_since(struct bt_fs *fs, int64_t stopped_ns);
/* Records offline_since = since unless an earlier one is kept. 0 or -errno. */
int bt_note_offline(struct bt_fs *fs, int64_t since);

#endif
