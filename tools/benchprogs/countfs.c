/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-countfs BACKING MOUNTPOINT STATS_FILE [fuse options]: a pass-through
 * FUSE filesystem that counts what reaches it: every operation by name, and
 * the file data bytes read and written. The benchmark mounts it over each
 * sync tool's remote, so every tool is measured the same way.
 *
 * SIGUSR1 writes the counters to STATS_FILE (atomically: a temp file renamed
 * over it) and resets them, so "signal, run the tool, signal" gives what the
 * tool did. Reads below a ".btsoot" directory (btsoot's marker) are
 * counted apart from the tree's file data. The kernel's default 1 s entry and attribute caches stay on, as
 * a network filesystem client keeps its own: counts are the operations that
 * would reach the remote, not every system call.
 */
#define FUSE_USE_VERSION 35
#include <dirent.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common.h"

enum op { GETATTR, READLINK, MKNOD, MKDIR, UNLINK, RMDIR, SYMLINK, RENAME, LINK,
	  CHMOD, CHOWN, TRUNCATE, OPEN, READ, WRITE, STATFS, FLUSH, RELEASE, FSYNC,
	  SETXATTR, GETXATTR, LISTXATTR, REMOVEXATTR, OPENDIR, READDIR, CREATE,
	  UTIMENS, FALLOCATE, NOPS };
static const char *const op_names[NOPS] = {
	"getattr", "readlink", "mknod", "mkdir", "unlink", "rmdir", "symlink", "rename",
	"link", "chmod", "chown", "truncate", "open", "read", "write", "statfs", "flush",
	"release", "fsync", "setxattr", "getxattr", "listxattr", "removexattr", "opendir",
	"readdir", "create", "utimens", "fallocate",
};
static uint64_t counts[NOPS], bytes_read, bytes_written, bytes_read_own;
static int root = -1;
static char root_path[PATH_MAX];
static const char *stats_file;

#define COUNT(o) __atomic_fetch_add(&counts[o], 1, __ATOMIC_RELAXED)
#define RET(x) return (x) < 0 ? -errno : 0

static const char *rel(const char *path)
{
	return path[1] ? path + 1 : ".";
}

static void full(char *out, const char *path)
{
	snprintf(out, PATH_MAX, "%s%s", root_path, path);
}

static int c_getattr(const char *p, struct stat *st, struct fuse_file_info *fi)
{
	COUNT(GETATTR);
	if (fi)
		RET(fstat((int)fi->fh, st));
	RET(fstatat(root, rel(p), st, AT_SYMLINK_NOFOLLOW));
}

static int c_readlink(const char *p, char *buf, size_t size)
{
	ssize_t n;

	COUNT(READLINK);
	n = readlinkat(root, rel(p), buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int c_mknod(const char *p, mode_t mode, dev_t rdev)
{
	COUNT(MKNOD);
	RET(mknodat(root, rel(p), mode, rdev));
}

static int c_mkdir(const char *p, mode_t mode)
{
	COUNT(MKDIR);
	RET(mkdirat(root, rel(p), mode));
}

static int c_unlink(const char *p)
{
	COUNT(UNLINK);
	RET(unlinkat(root, rel(p), 0));
}

static int c_rmdir(const char *p)
{
	COUNT(RMDIR);
	RET(unlinkat(root, rel(p), AT_REMOVEDIR));
}

static int c_symlink(const char *target, const char *p)
{
	COUNT(SYMLINK);
	RET(symlinkat(target, root, rel(p)));
}

static int c_rename(const char *a, const char *b, unsigned int flags)
{
	COUNT(RENAME);
	RET(renameat2(root, rel(a), root, rel(b), flags));
}

static int c_link(const char *a, const char *b)
{
	COUNT(LINK);
	RET(linkat(root, rel(a), root, rel(b), 0));
}

static int c_chmod(const char *p, mode_t mode, struct fuse_file_info *fi)
{
	COUNT(CHMOD);
	if (fi)
		RET(fchmod((int)fi->fh, mode));
	RET(fchmodat(root, rel(p), mode, 0));
}

static int c_chown(const char *p, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	COUNT(CHOWN);
	if (fi)
		RET(fchown((int)fi->fh, uid, gid));
	RET(fchownat(root, rel(p), uid, gid, AT_SYMLINK_NOFOLLOW));
}

static int c_truncate(const char *p, off_t size, struct fuse_file_info *fi)
{
	int fd, rc;

	COUNT(TRUNCATE);
	if (fi)
		RET(ftruncate((int)fi->fh, size));
	fd = openat(root, rel(p), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = ftruncate(fd, size) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

static int c_open(const char *p, struct fuse_file_info *fi)
{
	int fd;

	COUNT(OPEN);
	fd = openat(root, rel(p), (fi->flags & ~O_NOFOLLOW) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}

static int c_create(const char *p, mode_t mode, struct fuse_file_info *fi)
{
	int fd;

	COUNT(CREATE);
	fd = openat(root, rel(p), fi->flags | O_CREAT | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}

static int c_read(const char *p, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	ssize_t n;

	COUNT(READ);
	n = pread((int)fi->fh, buf, size, off);
	if (n < 0)
		return -errno;
	/* btsoot's own files (its .btsoot/marker identity check) apart from
	 * the mirrored tree's data. */
	__atomic_fetch_add(p && strstr(p, "/.btsoot/") ? &bytes_read_own : &bytes_read, (uint64_t)n,
			   __ATOMIC_RELAXED);
	return (int)n;
}

static int c_write(const char *p, const char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	ssize_t n;

	COUNT(WRITE);
	n = pwrite((int)fi->fh, buf, size, off);
	if (n < 0)
		return -errno;
	__atomic_fetch_add(&bytes_written, (uint64_t)n, __ATOMIC_RELAXED);
	return (int)n;
}

static int c_statfs(const char *p, struct statvfs *st)
{
	COUNT(STATFS);
	RET(fstatvfs(root, st));
}

static int c_flush(const char *p, struct fuse_file_info *fi)
{
	COUNT(FLUSH);
	return 0;
}

static int c_release(const char *p, struct fuse_file_info *fi)
{
	COUNT(RELEASE);
	close((int)fi->fh);
	return 0;
}

static int c_fsync(const char *p, int datasync, struct fuse_file_info *fi)
{
	COUNT(FSYNC);
	RET(datasync ? fdatasync((int)fi->fh) : fsync((int)fi->fh));
}

static int c_setxattr(const char *p, const char *name, const char *val, size_t size, int flags)
{
	char f[PATH_MAX];

	COUNT(SETXATTR);
	full(f, p);
	RET(lsetxattr(f, name, val, size, flags));
}

static int c_getxattr(const char *p, const char *name, char *val, size_t size)
{
	char f[PATH_MAX];
	ssize_t n;

	/* The kernel asks for security.capability before every write; a
	 * remote without xattrs (sshfs) answers ENOSYS once and is never
	 * asked again, so this is not counted as a remote operation. */
	if (strcmp(name, "security.capability"))
		COUNT(GETXATTR);
	full(f, p);
	n = lgetxattr(f, name, val, size);
	return n < 0 ? -errno : (int)n;
}

static int c_listxattr(const char *p, char *list, size_t size)
{
	char f[PATH_MAX];
	ssize_t n;

	COUNT(LISTXATTR);
	full(f, p);
	n = llistxattr(f, list, size);
	return n < 0 ? -errno : (int)n;
}

static int c_removexattr(const char *p, const char *name)
{
	char f[PATH_MAX];

	COUNT(REMOVEXATTR);
	full(f, p);
	RET(lremovexattr(f, name));
}

static int c_opendir(const char *p, struct fuse_file_info *fi)
{
	int fd;
	DIR *d;

	COUNT(OPENDIR);
	fd = openat(root, rel(p), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	return 0;
}

static int c_readdir(const char *p, void *buf, fuse_fill_dir_t fill, off_t off,
		     struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	DIR *d = (DIR *)(uintptr_t)fi->fh;
	struct dirent *e;

	COUNT(READDIR);
	if (off == 0)
		rewinddir(d);
	else
		seekdir(d, off);
	while ((e = readdir(d))) {
		struct stat st = { .st_ino = e->d_ino, .st_mode = (mode_t)DTTOIF(e->d_type) };

		if (fill(buf, e->d_name, &st, telldir(d), 0))
			break;
	}
	return 0;
}

static int c_releasedir(const char *p, struct fuse_file_info *fi)
{
	closedir((DIR *)(uintptr_t)fi->fh);
	return 0;
}

static int c_utimens(const char *p, const struct timespec tv[2], struct fuse_file_info *fi)
{
	COUNT(UTIMENS);
	if (fi)
		RET(futimens((int)fi->fh, tv));
	RET(utimensat(root, rel(p), tv, AT_SYMLINK_NOFOLLOW));
}

static int c_fallocate(const char *p, int mode, off_t off, off_t len, struct fuse_file_info *fi)
{
	COUNT(FALLOCATE);
	RET(fallocate((int)fi->fh, mode, off, len));
}

static void *c_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	cfg->use_ino = 1;
	cfg->nullpath_ok = 0;
	return NULL;
}

static void dump(void)
{
	char tmp[PATH_MAX + 8];
	uint64_t total = 0;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", stats_file);
	f = fopen(tmp, "w");
	if (!f)
		return;
	for (int i = 0; i < NOPS; i++) {
		uint64_t v = __atomic_exchange_n(&counts[i], 0, __ATOMIC_RELAXED);

		total += v;
		fprintf(f, "op_%s %llu\n", op_names[i], (unsigned long long)v);
	}
	fprintf(f, "ops_total %llu\n", (unsigned long long)total);
	fprintf(f, "bytes_read %llu\n",
		(unsigned long long)__atomic_exchange_n(&bytes_read, 0, __ATOMIC_RELAXED));
	fprintf(f, "bytes_read_btsoot_dir %llu\n",
		(unsigned long long)__atomic_exchange_n(&bytes_read_own, 0, __ATOMIC_RELAXED));
	fprintf(f, "bytes_written %llu\n",
		(unsigned long long)__atomic_exchange_n(&bytes_written, 0, __ATOMIC_RELAXED));
	if (fclose(f) == 0)
		rename(tmp, stats_file);
}

static void *signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	for (;;)
		if (sigwait(set, &sig) == 0 && sig == SIGUSR1)
			dump();
	return NULL;
}

static const struct fuse_operations ops = {
	.getattr = c_getattr, .readlink = c_readlink, .mknod = c_mknod, .mkdir = c_mkdir,
	.unlink = c_unlink, .rmdir = c_rmdir, .symlink = c_symlink, .rename = c_rename,
	.link = c_link, .chmod = c_chmod, .chown = c_chown, .truncate = c_truncate,
	.open = c_open, .read = c_read, .write = c_write, .statfs = c_statfs,
	.flush = c_flush, .release = c_release, .fsync = c_fsync, .setxattr = c_setxattr,
	.getxattr = c_getxattr, .listxattr = c_listxattr, .removexattr = c_removexattr,
	.opendir = c_opendir, .readdir = c_readdir, .releasedir = c_releasedir,
	.create = c_create, .utimens = c_utimens, .fallocate = c_fallocate, .init = c_init,
};

int main(int argc, char **argv)
{
	static sigset_t set;
	pthread_t t;

	if (argc < 4)
		return fprintf(stderr, "usage: bench-countfs BACKING MOUNTPOINT STATS_FILE "
				       "[fuse options]\n"), 2;
	if (!realpath(argv[1], root_path))
		bench_die("%s", argv[1]);
	root = open(root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		bench_die("%s", root_path);
	stats_file = argv[3];
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread; one waits for it */
	if (pthread_create(&t, NULL, signal_thread, &set) != 0)
		bench_die("pthread_create");
	umask(0);
	argv[3] = argv[2]; /* fuse_main: prog MOUNTPOINT [options] */
	argv[2] = argv[0];
	return fuse_main(argc - 2, argv + 2, &ops, NULL);
}
