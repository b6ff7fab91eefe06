/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Passthrough for reads (libfuse 3.16+, Linux 6.9+): the kernel reads a file
 * opened without write access from its backing file, as on the bare
 * directory. Every write still comes to btsootfs and is journaled.
 *
 * The kernel's rules (fs/fuse/iomode.c), per inode: opens in cached mode
 * (neither FOPEN_DIRECT_IO nor FOPEN_PASSTHROUGH) are counted; a
 * FOPEN_PASSTHROUGH open fails (EIO) while one is open; while a
 * passthrough open exists, every other open must be FOPEN_PASSTHROUGH too,
 * with the same backing file (even a FOPEN_DIRECT_IO one fails otherwise).
 * FOPEN_PASSTHROUGH | FOPEN_DIRECT_IO sends read and write to the daemon
 * but maps an mmap on the backing file. The kernel drops an open's mode
 * before it sends its RELEASE, so counting opens at the reply and uncounting
 * them at the RELEASE keeps our counts at or above the kernel's.
 *
 * So, per inode (struct bt_inode_io, under bt_inode_lock):
 *   - a reader passes through unless a cached open exists; the first one
 *     registers the backing file, later ones share its id, the last one's
 *     RELEASE closes it;
 *   - a writer stays cached (as before passthrough) unless passthrough opens
 *     exist; then it gets FOPEN_PASSTHROUGH | FOPEN_DIRECT_IO: its writes
 *     come to us, and since a shared mapping of it writes the backing file
 *     behind us, its RELEASE journals the whole file (ops_file.c);
 *   - a reader while a cached open exists stays cached.
 * Nothing ever asks the kernel for a mode it would refuse.
 */
#include <errno.h>
#include <string.h>

#include "btsoot/log.h"
#include "config.h"
#include "fs.h"

#ifdef HAVE_FUSE_PASSTHROUGH

void bt_pt_init(struct bt_fs *fs, struct fuse_conn_info *conn)
{
	if (fs->writeback) {
		bt_notice("passthrough: off (the kernel does not combine it with -o writeback); "
			  "reads go through btsootfs");
		return;
	}
	if (!(conn->capable & FUSE_CAP_PASSTHROUGH)) {
		bt_notice("passthrough: off (this kernel does not offer it; Linux 6.9+ does); "
			  "reads go through btsootfs");
		return;
	}
	/* Backing files on a filesystem that is not stacked itself: the
	 * default max_backing_stack_depth (0). On overlayfs registering fails
	 * and bt_pt_open falls back. */
	conn->want |= FUSE_CAP_PASSTHROUGH;
	fs->passthrough = true;
	bt_notice("passthrough: on (the kernel reads files open without write access itself)");
}

/* The backing id for io (registering fd when there is none), or 0:
 * registering failed, and from now on no open tries again. */
static int32_t backing_id(fuse_req_t req, struct bt_inode_io *io, int fd)
{
	struct bt_fs *fs = fs_of(req);
	int id;

	if (io->backing_id > 0)
		return io->backing_id;
	if (__atomic_load_n(&fs->pt_broken, __ATOMIC_RELAXED))
		return 0;
	id = fuse_passthrough_open(req, fd);
	if (id <= 0) {
		/* libfuse logged why (main.c makes it a warning) and errno
		 * may be its logging's by now. */
		if (!__atomic_exchange_n(&fs->pt_broken, true, __ATOMIC_RELAXED))
			bt_warn("passthrough: the kernel refused a backing file (the line "
				"before says why); reads go through btsootfs from now on");
		return 0;
	}
	io->backing_id = id;
	return id;
}

int bt_pt_open(fuse_req_t req, struct bt_inode *in, struct bt_file *f,
	       struct fuse_file_info *fi, bool writes)
{
	struct bt_fs *fs = fs_of(req);
	pthread_mutex_t *mu = bt_inode_lock(fs, in);
	struct bt_inode_more *m;

	f->io = BT_IO_CACHED;
	if (!fs->passthrough || !S_ISREG(in->type))
		return 0;
	pthread_mutex_lock(mu);
	m = bt_inode_more(in);
	if (!m) {
		pthread_mutex_unlock(mu);
		return -ENOMEM;
	}
	/* Passthrough opens exist: this one must pass through as well (a
	 * writer with direct I/O). None: a reader passes through unless a
	 * cached open exists; a writer stays cached. */
	if (m->io.npt > 0)
		f->io = writes ? BT_IO_PT_WRITE : BT_IO_PT_READ;
	else if (!writes && m->io.ncached == 0 && backing_id(req, &m->io, f->fd) > 0)
		f->io = BT_IO_PT_READ;
	if (f->io == BT_IO_CACHED) {
		m->io.ncached++;
	} else {
		m->io.npt++;
		fi->backing_id = m->io.backing_id;
		/* The kernel refuses FOPEN_KEEP_CACHE with FOPEN_PASSTHROUGH;
		 * without it, it drops the inode's page cache at this open, so
		 * nothing cached from before outlives what a passthrough
		 * writer's mapping changes behind it. */
		fi->keep_cache = 0;
		fi->direct_io = f->io == BT_IO_PT_WRITE;
	}
	pthread_mutex_unlock(mu);
	return 0;
}

/* Counts f out of in; the backing id when that was the last passthrough
 * open (no longer in->more), else 0. */
static int32_t count_out(struct bt_fs *fs, struct bt_inode *in, struct bt_file *f)
{
	pthread_mutex_t *mu = bt_inode_lock(fs, in);
	struct bt_inode_io *io;
	int32_t id = 0;

	if (!fs->passthrough || !S_ISREG(in->type))
		return 0;
	pthread_mutex_lock(mu);
	io = in->more ? &in->more->io : NULL;
	if (io && f->io == BT_IO_CACHED && io->ncached > 0) {
		io->ncached--;
	} else if (io && f->io != BT_IO_CACHED && io->npt > 0 && --io->npt == 0) {
		id = io->backing_id;
		io->backing_id = 0;
	}
	pthread_mutex_unlock(mu);
	return id;
}

void bt_pt_release(fuse_req_t req, struct bt_inode *in, struct bt_file *f)
{
	int32_t id = count_out(fs_of(req), in, f);

	/* The kernel dropped this open's mode before it sent the RELEASE: no
	 * open of the inode uses the id any more. */
	if (id > 0 && fuse_passthrough_close(req, id) < 0)
		bt_warn("passthrough: cannot close backing id %d: %s", (int)id, strerror(errno));
}

void bt_pt_unopen(struct bt_fs *fs, struct bt_inode *in, struct bt_file *f)
{
	pthread_mutex_t *mu = bt_inode_lock(fs, in);
	int32_t id = count_out(fs, in, f);

	/* Kept for the next open of the inode (closed at the unmount else). */
	if (id > 0) {
		pthread_mutex_lock(mu);
		if (in->more && in->more->io.backing_id == 0)
			in->more->io.backing_id = id;
		pthread_mutex_unlock(mu);
	}
}

#else /* libfuse without passthrough (Debian 12's 3.14) */

void bt_pt_init(struct bt_fs *fs, struct fuse_conn_info *conn)
{
	bt_notice("passthrough: off (libfuse %s has none; 3.16+ does); reads go through btsootfs",
		  fuse_pkgversion());
}

int bt_pt_open(fuse_req_t req, struct bt_inode *in, struct bt_file *f,
	       struct fuse_file_info *fi, bool writes)
{
	f->io = BT_IO_CACHED;
	return 0;
}

void bt_pt_release(fuse_req_t req, struct bt_inode *in, struct bt_file *f)
{
}

void bt_pt_unopen(struct bt_fs *fs, struct bt_inode *in, struct bt_file *f)
{
}

#endif
