/* SPDX-License-Identifier: BSD-3-Clause */
/* Operations on the mirrored open descriptors: I/O at the position, at
 * offsets past the end (holes), appends, truncation, fallocate, SEEK_DATA
 * and SEEK_HOLE, fsync, fstat, shared mmap writes, directory listings. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "dt.h"

#define MAX_IO (256 << 10)
#define MAX_OFF (48ll << 20) /* sparse, but the sync copies them: keep it small */

int dt_pick_slot(struct dt *t, bool open)
{
	int n = 0, pick;

	if (!open)
		return (int)dt_below(t, DT_SLOTS);
	for (int i = 0; i < DT_SLOTS; i++)
		n += t->slot[i].open;
	if (!n)
		return -1;
	pick = (int)dt_below(t, (uint64_t)n);
	for (int i = 0; i < DT_SLOTS; i++)
		if (t->slot[i].open && pick-- == 0)
			return i;
	return -1;
}

void dt_close_slot(struct dt *t, int i)
{
	struct dt_res r[DT_SIDES] = { 0 };

	dt_desc(t, "close(slot %d: %s)", i, dt_q(t->slot[i].path));
	DT_BOTH(t, r, close(S->fd[i]));
	for (int s = 0; s < DT_SIDES; s++)
		t->s[s].fd[i] = -1;
	t->slot[i].open = false;
	dt_same(t, r);
}

/* An open slot, or -1 after opening one instead. */
static int slot_or_open(struct dt *t)
{
	int i = dt_pick_slot(t, true);

	if (i < 0)
		dt_op_open(t);
	return i;
}

/* The bare side's size of the file in slot i (both must agree: fstat). */
static off_t slot_size(struct dt *t, int i)
{
	struct stat st;

	return fstat(t->s[0].fd[i], &st) == 0 ? st.st_size : 0;
}

static bool slot_is_dir(struct dt *t, int i)
{
	struct stat st;

	return fstat(t->s[0].fd[i], &st) == 0 && S_ISDIR(st.st_mode);
}

static bool slot_tainted(struct dt *t, int i)
{
	struct stat st;

	return fstat(t->s[0].fd[i], &st) == 0 && dt_tainted(t, st.st_ino);
}

static off_t pick_off(struct dt *t, off_t size)
{
	switch (dt_below(t, 6)) {
	case 0:
		return 0;
	case 1: /* past the end: a hole */
		return size + (off_t)dt_below(t, 1 << 20);
	case 2:
		return (off_t)dt_below(t, MAX_OFF);
	default:
		return (off_t)dt_below((t), (uint64_t)size + 1);
	}
}

void dt_op_close(struct dt *t)
{
	int i = dt_pick_slot(t, true);

	if (i >= 0)
		dt_close_slot(t, i);
}

void dt_op_read(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	int i = slot_or_open(t);
	size_t n = dt_chance(t, 70) ? (size_t)dt_below(t, 8192) : (size_t)dt_below(t, MAX_IO);
	bool positional = dt_chance(t, 50);
	off_t off;
	char *buf[DT_SIDES];

	if (i < 0)
		return;
	off = pick_off(t, slot_size(t, i));
	for (int s = 0; s < DT_SIDES; s++)
		buf[s] = malloc(n + 1);
	if (positional)
		dt_desc(t, "pread(slot %d, %zu, %lld)", i, n, (long long)off);
	else
		dt_desc(t, "read(slot %d, %zu)", i, n);
	DT_BOTH(t, r, positional ? pread(S->fd[i], buf[DT_SIDE], n, off)
				 : read(S->fd[i], buf[DT_SIDE], n));
	for (int s = 0; s < DT_SIDES; s++) {
		if (r[s].ret > 0)
			dt_res_add(&r[s], buf[s], (size_t)r[s].ret);
		free(buf[s]);
	}
	dt_same(t, r);
}

void dt_op_write(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	int i = slot_or_open(t), how = (int)dt_below(t, 3);
	size_t n = dt_chance(t, 70) ? (size_t)dt_below(t, 8192) : (size_t)dt_below(t, MAX_IO);
	char *buf;
	off_t off;

	if (i < 0)
		return;
	off = pick_off(t, slot_size(t, i));
	buf = malloc(n + 1);
	dt_fill(t, buf, n);
	if (how == 0) {
		dt_desc(t, "write(slot %d, %zu)", i, n);
		DT_BOTH(t, r, write(S->fd[i], buf, n));
	} else if (how == 1) {
		dt_desc(t, "pwrite(slot %d, %zu, %lld)", i, n, (long long)off);
		DT_BOTH(t, r, pwrite(S->fd[i], buf, n, off));
	} else {
		struct iovec iov[2] = { { buf, n / 2 }, { buf + n / 2, n - n / 2 } };

		dt_desc(t, "writev(slot %d, 2 x ~%zu)", i, n / 2);
		DT_BOTH(t, r, writev(S->fd[i], iov, 2));
	}
	free(buf);
	dt_same(t, r);
}

void dt_op_seek(struct dt *t)
{
	static const int whence[] = { SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_DATA,
				      SEEK_HOLE, SEEK_HOLE };
	struct dt_res r[DT_SIDES] = { 0 };
	int i = slot_or_open(t), w = whence[dt_below(t, 7)];
	off_t off;

	if (i < 0 || slot_is_dir(t, i))
		return; /* the offsets of directories are each filesystem's own */
	off = dt_chance(t, 5) ? -(off_t)dt_below(t, 100) - 1 : pick_off(t, slot_size(t, i));
	dt_desc(t, "lseek(slot %d, %lld, %d)", i, (long long)off, w);
	DT_BOTH(t, r, lseek(S->fd[i], off, w));
	if ((w == SEEK_DATA || w == SEEK_HOLE) && slot_tainted(t, i)) {
		/* Not comparable (see dt.h): only keep the positions equal. */
		lseek(t->s[1].fd[i], lseek(t->s[0].fd[i], 0, SEEK_CUR), SEEK_SET);
		return;
	}
	dt_same(t, r);
}

void dt_op_ftruncate(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	int i = slot_or_open(t);
	off_t len;

	if (i < 0)
		return;
	len = dt_chance(t, 3) ? -1 : pick_off(t, slot_size(t, i));
	if (dt_chance(t, 2)) /* EFBIG: past ext4's 16 TiB (see dt.h) */
		len = dt_chance(t, 50) ? (off_t)1 << 62 : (off_t)(17ll << 40);
	dt_desc(t, "ftruncate(slot %d, %lld)", i, (long long)len);
	DT_BOTH(t, r, ftruncate(S->fd[i], len));
	dt_same(t, r);
}

void dt_op_fallocate(struct dt *t)
{
	static const int modes[] = {
		0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, FALLOC_FL_ZERO_RANGE,
		FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_PUNCH_HOLE, /* EOPNOTSUPP: punching needs KEEP_SIZE */
	};
	struct dt_res r[DT_SIDES] = { 0 };
	int i = slot_or_open(t), mode = modes[dt_below(t, sizeof(modes) / sizeof(*modes))];
	off_t off, len;

	if (i < 0)
		return;
	off = pick_off(t, slot_size(t, i));
	len = dt_chance(t, 5) ? 0 : (off_t)dt_below(t, 1 << 20) + 1;
	if (dt_chance(t, 50)) { /* block-aligned: whole blocks come and go */
		off &= ~4095ll;
		len = (len + 4095) & ~4095ll;
	}
	dt_desc(t, "fallocate(slot %d, %#x, %lld, %lld)", i, mode, (long long)off,
		(long long)len);
	DT_BOTH(t, r, fallocate(S->fd[i], mode, off, len));
	if (dt_same(t, r))
		dt_taint(t, t->s[0].fd[i]);
}

void dt_op_fsync(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	int i = slot_or_open(t);
	bool data = dt_chance(t, 50);

	if (i < 0)
		return;
	dt_desc(t, "%s(slot %d)", data ? "fdatasync" : "fsync", i);
	DT_BOTH(t, r, data ? fdatasync(S->fd[i]) : fsync(S->fd[i]));
	dt_same(t, r);
}

void dt_op_fstat(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	struct stat st[DT_SIDES];
	int i = slot_or_open(t);

	if (i < 0)
		return;
	dt_desc(t, "fstat(slot %d: %s)", i, dt_q(t->slot[i].path));
	DT_BOTH(t, r, fstat(S->fd[i], &st[DT_SIDE]));
	for (int s = 0; s < DT_SIDES; s++)
		if (r[s].ret == 0)
			dt_res_stat(t, &r[s], &st[s]);
	if (dt_same(t, r))
		dt_same_times(t, st);
}

/* A shared writable mapping written and msync'ed: the kernel's writeback
 * path. Only bytes below the end of file are touched (SIGBUS otherwise). */
void dt_op_mmap(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	int i = slot_or_open(t);
	void *m[DT_SIDES];
	off_t size, off;
	size_t len, n;
	char *buf;

	if (i < 0)
		return;
	size = slot_size(t, i);
	off = (off_t)dt_below(t, (uint64_t)size / 4096 + 1) * 4096;
	len = 4096 * (1 + (size_t)dt_below(t, 8));
	dt_desc(t, "mmap(slot %d, %zu, shared, %lld)", i, len, (long long)off);
	DT_BOTH(t, r, (m[DT_SIDE] = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
					 S->fd[i], off)) == MAP_FAILED ? -1 : 0);
	if (!dt_same(t, r)) {
		for (int s = 0; s < DT_SIDES; s++)
			if (m[s] != MAP_FAILED)
				munmap(m[s], len);
		return;
	}
	dt_taint(t, t->s[0].fd[i]);
	n = size > off ? (size_t)(size - off) : 0;
	n = n < len ? n : len;
	buf = malloc(len);
	dt_fill(t, buf, n);
	for (int s = 0; s < DT_SIDES; s++)
		memcpy(m[s], buf, n);
	free(buf);
	dt_desc(t, "msync(slot %d, %zu bytes written at %lld)", i, n, (long long)off);
	DT_BOTH(t, r, msync(m[DT_SIDE], len, MS_SYNC));
	dt_same(t, r);
	for (int s = 0; s < DT_SIDES; s++)
		munmap(m[s], len);
}

/* fchmod, fchown, futimens and xattrs through the descriptor. */
void dt_op_fdmeta(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	int i = slot_or_open(t);
	unsigned k = (unsigned)dt_below(t, 5);
	char val[DT_SIDES][256];

	if (i < 0)
		return;
	if (k == 0) {
		mode_t mode = (mode_t)dt_below(t, 010000);

		dt_desc(t, "fchmod(slot %d, %04o)", i, mode);
		DT_BOTH(t, r, fchmod(S->fd[i], mode));
	} else if (k == 1) {
		uid_t u = dt_chance(t, 30) ? (uid_t)-1 : (uid_t)(65532 + dt_below(t, 3));
		gid_t g = dt_chance(t, 30) ? (gid_t)-1 : (gid_t)(65532 + dt_below(t, 3));

		if (u == (uid_t)-1 && g == (gid_t)-1 && dt_chown_known_difference(t->s[0].fd[i]))
			return;
		dt_desc(t, "fchown(slot %d, %d, %d)", i, (int)u, (int)g);
		DT_BOTH(t, r, fchown(S->fd[i], u, g));
	} else if (k == 2) {
		struct timespec ts[2] = { { 1200000000 + (time_t)dt_below(t, 1000), 123456789 },
					  { 1300000000 + (time_t)dt_below(t, 1000),
					    (long)dt_below(t, 1000000000) } };
		if (dt_chance(t, 30))
			ts[dt_below(t, 2)].tv_nsec = dt_chance(t, 50) ? UTIME_NOW : UTIME_OMIT;
		dt_desc(t, "futimens(slot %d, %lld.%ld, %lld.%ld)", i, (long long)ts[0].tv_sec,
			ts[0].tv_nsec, (long long)ts[1].tv_sec, ts[1].tv_nsec);
		DT_BOTH(t, r, futimens(S->fd[i], ts));
	} else if (k == 3) {
		dt_desc(t, "fsetxattr(slot %d, user.fd, 3 bytes)", i);
		DT_BOTH(t, r, fsetxattr(S->fd[i], "user.fd", "v\0x", 3, 0));
	} else {
		dt_desc(t, "fgetxattr(slot %d, user.fd)", i);
		DT_BOTH(t, r, fgetxattr(S->fd[i], "user.fd", val[DT_SIDE], sizeof(val[0])));
		for (int s = 0; s < DT_SIDES; s++)
			if (r[s].ret > 0)
				dt_res_add(&r[s], val[s], (size_t)r[s].ret);
	}
	dt_same(t, r);
}

void dt_op_getdents(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	int i = slot_or_open(t);

	if (i < 0)
		return;
	dt_desc(t, "getdents(slot %d: %s)", i, dt_q(t->slot[i].path));
	DT_BOTH(t, r, dt_list_dir(S->fd[i], R, NULL));
	dt_same(t, r);
}

/* linkat of /proc/self/fd/N: gives an open file a name again (ENOENT once
 * it has none). */
void dt_op_relink(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	int i = slot_or_open(t);
	char path[DT_PATH], proc[DT_SIDES][64];

	if (i < 0)
		return;
	dt_new_path(t, path, sizeof(path));
	for (int s = 0; s < DT_SIDES; s++)
		snprintf(proc[s], sizeof(proc[s]), "/proc/self/fd/%d", t->s[s].fd[i]);
	dt_desc(t, "linkat(/proc/self/fd of slot %d, %s, AT_SYMLINK_FOLLOW)", i, dt_q(path));
	DT_BOTH(t, r, linkat(AT_FDCWD, proc[DT_SIDE], S->root, path, AT_SYMLINK_FOLLOW));
	t->pool_dirty |= dt_same(t, r);
}

/* copy_file_range between two mirrored descriptors (btsootfs has no op for
 * it: the kernel falls back to splicing through read and write). */
void dt_op_copy_range(struct dt *t)
{
	struct dt_res r[DT_SIDES] = { 0 };
	int i = slot_or_open(t), j = dt_pick_slot(t, true);
	size_t n = (size_t)dt_below(t, 1 << 20);
	loff_t in[DT_SIDES], out[DT_SIDES];
	bool pos = dt_chance(t, 30); /* at the descriptors' positions */

	if (i < 0 || j < 0)
		return;
	in[0] = in[1] = pick_off(t, slot_size(t, i));
	out[0] = out[1] = pick_off(t, slot_size(t, j));
	dt_desc(t, "copy_file_range(slot %d @%lld, slot %d @%lld, %zu)", i,
		pos ? -1ll : (long long)in[0], j, pos ? -1ll : (long long)out[0], n);
	DT_BOTH(t, r, copy_file_range(S->fd[i], pos ? NULL : &in[DT_SIDE], S->fd[j],
				      pos ? NULL : &out[DT_SIDE], n, 0));
	dt_same(t, r);
}
