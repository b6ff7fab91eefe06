/* SPDX-License-Identifier: BSD-3-Clause */
/* The inode table: (dev, ino) -> struct bt_inode, with kernel lookup counts. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"

int bt_inodes_init(struct bt_fs *fs)
{
	fs->nbuckets = 1 << 16;
	fs->buckets = calloc(fs->nbuckets, sizeof(*fs->buckets));
	pthread_mutex_init(&fs->table_mu, NULL);
	return fs->buckets ? 0 : -ENOMEM;
}

static size_t bucket_of(struct bt_fs *fs, ino_t ino, dev_t dev)
{
	uint64_t h = (uint64_t)ino * 0x9E3779B97F4A7C15ull ^ (uint64_t)dev;

	return (size_t)(h >> 16) & (fs->nbuckets - 1);
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

static void inode_free(struct bt_inode *in)
{
	close(in->fd);
	for (int i = 0; i < BT_NAME_FDS; i++)
		if (in->name_fds[i] >= 0)
			close(in->name_fds[i]);
	bt_extents_free(&in->ext);
	pthread_mutex_destroy(&in->mu);
	free(in);
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
	for (int i = 0; i < BT_NAME_FDS; i++)
		if (in->name_fds[i] >= 0 && same_name(in->name_fds[i], fd))
			return true;
	return false;
}

/* Takes *fd into a free slot, or one whose name is gone (under in->mu). */
static void keep_name(struct bt_inode *in, int *fd)
{
	for (int i = 0; i < BT_NAME_FDS; i++) {
		if (in->name_fds[i] >= 0 && !fd_name_dead(in->name_fds[i]))
			continue;
		if (in->name_fds[i] >= 0)
			close(in->name_fds[i]);
		in->name_fds[i] = *fd;
		*fd = -1;
		return;
	}
}

/* Finds or inserts; takes ownership of fd (closes it when not needed). */
static struct bt_inode *inode_ref(struct bt_fs *fs, int fd, const struct stat *st)
{
	size_t b = bucket_of(fs, st->st_ino, st->st_dev);
	struct bt_inode *in;

	pthread_mutex_lock(&fs->table_mu);
	for (in = fs->buckets[b]; in; in = in->hnext)
		if (in->ino == st->st_ino && in->dev == st->st_dev)
			break;
	if (in) {
		in->nlookup++;
		pthread_mutex_unlock(&fs->table_mu);
		/* A hard-linked inode: keep one more live name for the journal
		 * (fd itself stays: other threads use it). */
		pthread_mutex_lock(&in->mu);
		if (st->st_nlink > 1 && !name_known(in, fd))
			keep_name(in, &fd);
		pthread_mutex_unlock(&in->mu);
		if (fd >= 0)
			close(fd);
		return in;
	}
	in = calloc(1, sizeof(*in));
	if (!in) {
		pthread_mutex_unlock(&fs->table_mu);
		close(fd);
		return NULL;
	}
	in->fd = fd;
	for (int i = 0; i < BT_NAME_FDS; i++)
		in->name_fds[i] = -1;
	in->ino = st->st_ino;
	in->dev = st->st_dev;
	in->type = st->st_mode & S_IFMT;
	in->nlookup = 1;
	pthread_mutex_init(&in->mu, NULL);
	bt_extents_init(&in->ext);
	in->hnext = fs->buckets[b];
	fs->buckets[b] = in;
	if (++fs->ninodes > fs->fd_soft)
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
	in = inode_ref(fs, fd, &e->attr);
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

void bt_inode_forget(struct bt_fs *fs, struct bt_inode *in, uint64_t n)
{
	bool gone;

	if (in == &fs->root)
		return;
	pthread_mutex_lock(&fs->table_mu);
	in->nlookup = n > in->nlookup ? 0 : in->nlookup - n;
	gone = in->nlookup == 0;
	if (gone)
		unhash(fs, in);
	pthread_mutex_unlock(&fs->table_mu);
	if (!gone)
		return;
	/* Journal what it still holds before its descriptor goes away. */
	jrec_flush_inode(fs, in);
	inode_free(in);
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
		in->nlookup++; /* pinned: release with bt_inode_forget(fs, in, 1) */
	pthread_mutex_unlock(&fs->table_mu);
	return in;
}
