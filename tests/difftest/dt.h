/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * difftest internals. Every operation is made twice, with the same
 * arguments and as the same user, once per side: side 0 is a bare
 * directory (the reference), side 1 the same tree through btsootfs. Each
 * syscall's result, errno and output (bytes, canonical stat, sorted
 * listing, xattr value) must be the same on both sides; the first
 * difference is reported with the seed and the operation's index.
 *
 * Paths are relative and used with *at() on each side's root descriptor,
 * so one path string names "the same" object on both sides. Symlink
 * targets never contain "." or ".." components, so no walk leaves a tree.
 */
#ifndef DIFFTEST_DT_H
#define DIFFTEST_DT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#define DT_SIDES 2
#define DT_SLOTS 8          /* mirrored open descriptors */
#define DT_POOL_MAX 4096
#define DT_PATH 4200        /* room for paths a little over PATH_MAX */

/* One side's outcome of one syscall. */
struct dt_res {
	long ret;
	int err;          /* errno when ret < 0, else 0 */
	bool ret_is_fd;   /* compare only success/failure, not the number */
	char *out;        /* canonical output (malloc'd, compared as bytes) */
	size_t outlen;
};

struct dt_side {
	const char *label;  /* "bare" or "mount" */
	int root;           /* O_RDONLY|O_DIRECTORY descriptor of the tree */
	int fd[DT_SLOTS];   /* -1 when the slot is closed */
};

struct dt_slot {
	bool open;
	int flags;
	char path[DT_PATH]; /* the name it was opened under */
};

struct dt_ent {
	char *path;
	mode_t type;        /* S_IFMT bits, from the bare side */
};

struct dt {
	uint64_t seed;
	uint64_t rng;
	long op;            /* index of the current operation */
	struct dt_side s[DT_SIDES];
	struct dt_slot slot[DT_SLOTS];
	char desc[2 * DT_PATH]; /* what the current operation does */
	struct timespec t0; /* times before t0 were set explicitly */
	bool keep_going;
	bool verbose;
	bool replayable;    /* a run: say how to replay a difference */
	bool paranoid;      /* compare the trees after every operation */
	bool no_holes;      /* tree compare: zeros and holes are alike */
	bool copy;          /* tree compare of a copy: see cmptree --copy */
	char who[48];       /* the identity the current operation runs as */
	long mismatches;
	long checks;
	long succeeded;     /* comparisons where the bare side succeeded */
	/* the pool: entries of the bare tree, rescanned when dirty */
	struct dt_ent pool[DT_POOL_MAX];
	size_t npool;
	bool pool_dirty;
	ino_t taint[4096];  /* see dt_taint */
	size_t ntaint;
};

/* rng.c: the seeded generator, names and paths */
uint64_t dt_rnd(struct dt *t);
uint64_t dt_below(struct dt *t, uint64_t n);
bool dt_chance(struct dt *t, unsigned percent);
void dt_fill(struct dt *t, char *buf, size_t n);
/* A name for a new entry: mostly from a small set (so names collide), now
 * and then with spaces, a newline, invalid UTF-8, 255 or 256 bytes. */
void dt_name(struct dt *t, char *out, size_t len);
/* An existing entry of the pool (any type, or only type when != 0). */
const char *dt_existing(struct dt *t, mode_t type);
/* A path for a new entry: a pool directory (or the root) plus dt_name. */
void dt_new_path(struct dt *t, char *out, size_t len);
/* Mostly existing, sometimes new, sometimes odd ("", ".", "f/x", "d/"). */
void dt_any_path(struct dt *t, char *out, size_t len);
void dt_pool_scan(struct dt *t);
/* Opens a directory of one side only without touching its atime, which
 * the other side would not see. */
int dt_open_noatime(int at, const char *path);
/* Prints a path with odd bytes escaped into a static rotating buffer. */
const char *dt_q(const char *path);

/* check.c: comparing the two sides */
void dt_desc(struct dt *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Compares and frees both results; true when the bare side succeeded. */
bool dt_same(struct dt *t, struct dt_res r[DT_SIDES]);
void dt_mismatch(struct dt *t, const char *what, const char *a, const char *b);
void dt_res_printf(struct dt_res *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dt_res_add(struct dt_res *r, const void *data, size_t n);
/* Appends the meaningful fields of st: type, mode, nlink, uid, gid, size
 * (not of directories), rdev, and an mtime set explicitly (before t0)
 * exactly, a later one as "recent" (of fifos: see dt_same_times). */
void dt_res_stat(struct dt *t, struct dt_res *r, const struct stat *st);
/* atimes (and the mtimes of fifos) by the same rule, but one case passes:
 * the mount may keep an old time where the bare side moved to now. The
 * kernel's FUSE client answers reads from its page cache without telling
 * btsootfs (relatime would have moved the atime), and runs fifo I/O
 * itself without touching the file below. Known FUSE limits. */
void dt_same_times(struct dt *t, const struct stat st[DT_SIDES]);
/* Files that were fallocate'd, hole-punched or written through mmap: ext4
 * reports such ranges as data or hole depending on what its page cache
 * holds (unwritten extents, delalloc), and the mount's reads (readahead,
 * splice) fill the page cache of the file below differently. Their
 * SEEK_DATA/SEEK_HOLE answers and hole maps are not compared (POSIX lets
 * a hole read as data); their bytes are. Keyed by the bare inode. */
void dt_taint(struct dt *t, int fd);
bool dt_tainted(struct dt *t, ino_t ino);

/* Runs expr once per side with S naming the side (DT_SIDE its index);
 * records ret and errno. */
#define DT_SIDE dt_i_
#define DT_BOTH(t, r, expr)                                                  \
	for (int dt_i_ = 0; dt_i_ < DT_SIDES; dt_i_++) {                     \
		struct dt_side *S = &(t)->s[dt_i_];                          \
		struct dt_res *R = &(r)[dt_i_];                              \
		(void)S; (void)R;                                            \
		errno = 0;                                                   \
		R->ret = (long)(expr);                                       \
		R->err = R->ret < 0 ? errno : 0;                             \
	}

/* ops_*.c: the operations (one random instance each) */
void dt_op_open(struct dt *t);
void dt_op_close(struct dt *t);
void dt_op_mkdir(struct dt *t);
void dt_op_rmdir(struct dt *t);
void dt_op_unlink(struct dt *t);
void dt_op_rename(struct dt *t);
void dt_op_link(struct dt *t);
void dt_op_symlink(struct dt *t);
void dt_op_readlink(struct dt *t);
void dt_op_mknod(struct dt *t);
void dt_op_rmtree(struct dt *t);
void dt_op_truncate(struct dt *t);
void dt_op_read(struct dt *t);
void dt_op_write(struct dt *t);
void dt_op_seek(struct dt *t);
void dt_op_ftruncate(struct dt *t);
void dt_op_fallocate(struct dt *t);
void dt_op_fsync(struct dt *t);
void dt_op_fstat(struct dt *t);
void dt_op_mmap(struct dt *t);
void dt_op_fdmeta(struct dt *t);
void dt_op_getdents(struct dt *t);
void dt_op_relink(struct dt *t);
void dt_op_copy_range(struct dt *t);
void dt_op_chmod(struct dt *t);
void dt_op_chown(struct dt *t);
void dt_op_utimens(struct dt *t);
void dt_op_stat(struct dt *t);
void dt_op_readdir(struct dt *t);
void dt_op_access(struct dt *t);
void dt_op_xattr(struct dt *t);
void dt_op_acl(struct dt *t);
void dt_op_umask(struct dt *t);

/* ops_fd.c helpers shared with the driver */
int dt_pick_slot(struct dt *t, bool open);
void dt_close_slot(struct dt *t, int i);
/* The canonical listing of an open directory: sorted "type name\0",
 * without the entry named skip (when not NULL). */
int dt_list_dir(int fd, struct dt_res *r, const char *skip);
/* The canonical xattrs of a path: sorted "name=hexvalue\n". */
int dt_list_xattrs(int dirfd, const char *path, struct dt_res *r);

/* Offsets past ext4's largest file (16 TiB) are tried with truncate only:
 * the kernel's FUSE client knows no limit below 8 EiB, so lseek there
 * succeeds, and a write or copy_file_range there by an unprivileged user
 * clears set-id bits before btsootfs's EFBIG. Known FUSE limits. */

/* chown(-1, -1) by a user who does not own a non-directory with S_ISGID
 * but no group-exec: EPERM on the bare directory, success through the
 * mount. btsootfs gets the same empty request before such a user's write
 * and cannot tell the two apart (fs/creds.c). Not compared. */
bool dt_chown_known_difference(int fd);

/* tree.c: the final comparison of the whole trees */
void dt_compare_trees(struct dt *t);

/* edge.c: single-purpose checks the random run cannot make */
int dt_cmd_deep(int argc, char **argv);
int dt_cmd_socket(int argc, char **argv);
/* times.c */
int dt_cmd_times(int argc, char **argv);

#endif
