/* SPDX-License-Identifier: BSD-3-Clause */
/* The inode table: (dev, ino) -> struct bt_inode, with kernel lookup counts.
 * A library of its own (fs/meson.build): it knows nothing of the journal;
 * the recorder (jrec.c) flushes an inode's ranges before it is freed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"

#define SLAB_INODES 4096

int bt_inodes_init(struct bt_fs *fs)
{
	fs->nbuckets = 1 << 12;
	fs->buckets = calloc(fs->nbuckets, sizeof(*fs->buckets));
	pthread_mutex_init(&fs->table_mu, NULL);
	for (int i = 0; i < BT_INODE_LOCKS; i++)
		pthread_mutex_init(&fs->inode_mu[i], NULL);
	return fs->buckets ? 0 : -ENOMEM;
}

static size_t hash_of(ino_t ino, dev_t dev)
{
	uint64_t h = (uint64_t)ino * 0x9E3779B97F4A7C15ull ^ (uint64_t)dev;

	return (size_t)(h ^ (h >> 29));
}

static size_t bucket_of(struct bt_fs *fs, ino_t ino, dev_t dev)
{
	return hash_of(ino, dev) & (fs->nbuckets - 1);
}

/* Doubles the table when it holds more inodes than buckets (under
 * table_mu). Without memory to grow, chains just get longer. */
static void maybe_grow(struct bt_fs *fs)
{
	size_t n = fs->nbuckets * 2;
	struct bt_inode **nb;

	if (fs->ninodes <= fs->nbuckets || !(nb = calloc(n, sizeof(*nb))))
		return;
	for (size_t b = 0; b < fs->nbuckets; b++) {
		struct bt_inode *in = fs->buckets[b], *next;

		for (; in; in = next) {
			size_t nbk = hash_of(in->ino, in->dev) & (n - 1);

			next = in->hnext;
			in->hnext = nb[nbk];
			nb[nbk] = in;
		}
	}
	free(fs->buckets);
	fs->buckets = nb;
	fs->nbuckets = n;
}

/* Inodes come from slabs of SLAB_INODES: no malloc header each, and freed
 * ones are reused (under table_mu). */
static struct bt_inode *inode_alloc(struct bt_fs *fs)
{
	struct bt_inode *in = fs->free_inodes;

	if (!in) {
		struct bt_inode *slab = malloc(SLAB_INODES * sizeof(*slab));

		if (!slab)
			return NULL;
		for (size_t i = SLAB_INODES; i-- > 1;) {
			slab[i].hnext = fs->free_inodes;
			fs->free_inodes = &slab[i];
		}
		in = &slab[0];
	} else {
		fs->free_inodes = in->hnext;
	}
	memset(in, 0, sizeof(*in));
	return in;
}

pthread_mutex_t *bt_inode_lock(struct bt_fs *fs, const struct bt_inode *in)
{
	return &fs->inode_mu[((uintptr_t)in / sizeof(*in)) % BT_INODE_LOCKS];
}

struct bt_inode_more *bt_inode_more(struct bt_inode *in)
{
	if (!in->more) {
		in->more = malloc(sizeof(*in->more));
		if (!in->more)
			return NULL;
		for (int i = 0; i < BT_NAME_FDS; i++)
			in->more->name_fds[i] = -1;
		bt_extents_init(&in->more->ext);
		memset(&in->more->io, 0, sizeof(in->more->io));
	}
	return in->more;
}

struct bt_inode *bt_inode_get(struct bt_fs *fs, fuse_ino_t ino)
{
	if (ino == FUSE_ROOT_ID)
		return &fs->root;
	return (struct bt_inode *)(uintptr_t)ino;
}

void bt_inode_procpath(const struct bt_inode *in, char buf[64])
{
	snprintf(buf, 64, "/proc/self/fd/%d", in->fd);
}

/* Closes what the inode holds; its memory goes back to the slab (under
 * table_mu, by the caller). */
static void inode_release(struct bt_inode *in)
{
	close(in->fd);
	if (in->more) {
		for (int i = 0; i < BT_NAME_FDS; i++)
			if (in->more->name_fds[i] >= 0)
				close(in->more->name_fds[i]);
		bt_extents_free(&in->more->ext);
		free(in->more);
		in->more = NULL;
	}
}

/* Has the name behind this O_PATH fd been removed or replaced? */
static bool fd_name_dead(int fd)
{
	static const char suffix[] = " (deleted)";
	char proc[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, sizeof(buf));
	return n < 0 || (n >= (ssize_t)sizeof(suffix) - 1 &&
			 !memcmp(buf + n - (sizeof(suffix) - 1), suffix, sizeof(suffix) - 1));
}

static bool same_name(int a, int b)
{
	char pa[64], pb[64], na[PATH_MAX], nb[PATH_MAX];
	ssize_t la, lb;

	snprintf(pa, sizeof(pa), "/proc/self/fd/%d", a);
	snprintf(pb, sizeof(pb), "/proc/self/fd/%d", b);
	la = readlink(pa, na, sizeof(na));
	lb = readlink(pb, nb, sizeof(nb));
	return la >= 0 && la == lb && !memcmp(na, nb, (size_t)la);
}

/* Is the name fd stands for one the inode already holds? Looking the same
 * name up again must not fill the slots that other names need. */
static bool name_known(struct bt_inode *in, int fd)
{
	if (same_name(in->fd, fd))
		return true;
	for (int i = 0; in->more && i < BT_NAME_FDS; i++)
		if (in->more->name_fds[i] >= 0 && same_name(in->more->name_fds[i], fd))
			return true;
	return false;
}

/* Takes *fd into a free slot, or one whose name is gone (under the inode's
 * lock). */
static void keep_name(struct bt_inode *in, int *fd)
{
	struct bt_inode_more *m = bt_inode_more(in);

	for (int i = 0; m && i < BT_NAME_FDS; i++) {
		if (m->name_fds[i] >= 0 && !fd_name_dead(m->name_fds[i]))
			continue;
		if (m->name_fds[i] >= 0)
			close(m->name_fds[i]);
		m->name_fds[i] = *fd;
		*fd = -1;
		return;
	}
}

struct bt_inode *bt_inode_ref(struct bt_fs *fs, int fd, const struct stat *st)
{
	size_t b = bucket_of(fs, st->st_ino, st->st_dev);
	struct bt_inode *in;

	pthread_mutex_lock(&fs->table_mu);
	for (in = fs->buckets[b]; in; in = in->hnext)
		if (in->ino == st->st_ino && in->dev == st->st_dev)
			break;
	if (in) {
		in->nlookup++;
		in->used = true;
		pthread_mutex_unlock(&fs->table_mu);
		/* A hard-linked inode: keep one more live name for the journal
		 * (fd itself stays: other threads use it). */
		if (st->st_nlink > 1) {
			pthread_mutex_lock(bt_inode_lock(fs, in));
			if (!name_known(in, fd))
				keep_name(in, &fd);
			pthread_mutex_unlock(bt_inode_lock(fs, in));
		}
		if (fd >= 0)
			close(fd);
		return in;
	}
	in = inode_alloc(fs);
	if (!in) {
		pthread_mutex_unlock(&fs->table_mu);
		close(fd);
		return NULL;
	}
	in->fd = fd;
	in->ino = st->st_ino;
	in->dev = st->st_dev;
	in->type = (uint16_t)(st->st_mode & S_IFMT);
	in->nlookup = 1;
	in->used = true;
	in->hnext = fs->buckets[b];
	fs->buckets[b] = in;
	fs->ninodes++;
	maybe_grow(fs);
	if (fs->ninodes > fs->fd_soft)
		bt_fd_reclaim();
	pthread_mutex_unlock(&fs->table_mu);
	return in;
}

int bt_inode_lookup(struct bt_fs *fs, struct bt_inode *parent, const char *name,
		    struct fuse_entry_param *e)
{
	struct bt_inode *in;
	int fd, tries = 0;

	memset(e, 0, sizeof(*e));
	e->attr_timeout = fs->timeout;
	e->entry_timeout = fs->timeout;
	do
		fd = openat(parent->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	while (fd < 0 && bt_fd_retry(errno, &tries));
	if (fd < 0)
		return -errno;
	if (fstatat(fd, "", &e->attr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	in = bt_inode_ref(fs, fd, &e->attr);
	if (!in)
		return -ENOMEM;
	e->ino = (uintptr_t)in;
	return 0;
}

static void unhash(struct bt_fs *fs, struct bt_inode *in)
{
	struct bt_inode **pp = &fs->buckets[bucket_of(fs, in->ino, in->dev)];

	while (*pp && *pp != in)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = in->hnext;
	fs->ninodes--;
}

bool bt_inode_unref(struct bt_fs *fs, struct bt_inode *in, uint64_t n)
{
	bool gone;

	if (in == &fs->root)
		return false;
	pthread_mutex_lock(&fs->table_mu);
	in->nlookup = n > in->nlookup ? 0 : in->nlookup - n;
	gone = in->nlookup == 0;
	if (gone)
		unhash(fs, in);
	pthread_mutex_unlock(&fs->table_mu);
	return gone;
}

void bt_inode_free(struct bt_fs *fs, struct bt_inode *in)
{
	inode_release(in);
	pthread_mutex_lock(&fs->table_mu);
	in->hnext = fs->free_inodes;
	fs->free_inodes = in;
	pthread_mutex_unlock(&fs->table_mu);
}

struct bt_inode **bt_inodes_pin_unused(struct bt_fs *fs, size_t want, size_t *n)
{
	struct bt_inode **v = malloc(want * sizeof(*v));
	size_t cnt = 0;

	*n = 0;
	if (!v)
		return NULL;
	pthread_mutex_lock(&fs->table_mu);
	/* Twice round at most: the first pass may only clear marks. */
	for (size_t seen = 0; cnt < want && seen < 2 * fs->nbuckets; seen++) {
		size_t b = fs->clock_hand++ & (fs->nbuckets - 1);

		for (struct bt_inode *in = fs->buckets[b]; in && cnt < want; in = in->hnext) {
			if (in->used) {
				in->used = false;
				continue;
			}
			in->nlookup++;
			v[cnt++] = in;
		}
	}
	pthread_mutex_unlock(&fs->table_mu);
	*n = cnt;
	return v;
}

struct bt_inode **bt_inodes_pin_dirty(struct bt_fs *fs, size_t *n)
{
	struct bt_inode **v = NULL;
	size_t cnt = 0, cap = 0;

	pthread_mutex_lock(&fs->table_mu);
	for (size_t b = 0; b < fs->nbuckets; b++) {
		for (struct bt_inode *in = fs->buckets[b]; in; in = in->hnext) {
			if (!__atomic_load_n(&in->has_ext, __ATOMIC_RELAXED))
				continue;
			if (cnt == cap) {
				struct bt_inode **nv;

				cap = cap ? cap * 2 : 64;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv)
					goto out;
				v = nv;
			}
			in->nlookup++;
			v[cnt++] = in;
		}
	}
out:
	pthread_mutex_unlock(&fs->table_mu);
	*n = cnt;
	return v;
}

struct bt_inode *bt_inode_find(struct bt_fs *fs, ino_t ino, dev_t dev)
{
	struct bt_inode *in;

	pthread_mutex_lock(&fs->table_mu);
	for (in = fs->buckets[bucket_of(fs, ino, dev)]; in; in = in->hnext)
		if (in->ino == ino && in->dev == dev)
			break;
	if (in)
		in->nlookup++; /* pinned: released with jrec_forget(fs, in, 1) */
	pthread_mutex_unlock(&fs->table_mu);
	return in;
}
