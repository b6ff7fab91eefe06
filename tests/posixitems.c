/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * posixitems DIR: one named check per POSIX behaviour that issue 4 lists,
 * run inside DIR (an empty directory). Each prints "name: what was seen"
 * (return values, errno names, sizes, modes, contents compared), never
 * inode numbers or times that differ between two directories. Run on a
 * bare directory and through btsootfs, the two outputs must be equal line
 * for line; the test script compares them name by name.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static char line[4096];

static void add(const char *fmt, ...)
{
	size_t n = strlen(line);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
}

/* Appends "rc" or the errno's name for a call that returned r. */
static void rc(const char *what, long r)
{
	int e = errno;

	if (r < 0)
		add(" %s=%s", what, strerrorname_np(e) ? strerrorname_np(e) : "?");
	else
		add(" %s=%ld", what, r);
}

static void done(const char *name)
{
	printf("%s:%s\n", name, line);
	line[0] = 0;
}

static void put(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0) {
		if (write(fd, data, strlen(data)) < 0)
			perror(path);
		close(fd);
	}
}

static void show_file(const char *what, const char *path)
{
	char buf[256] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (n < 0)
		rc(what, -1);
	else
		add(" %s='%.*s'", what, (int)n, buf);
	if (fd >= 0)
		close(fd);
}

static void show_mode(const char *what, const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		rc(what, -1);
	else
		add(" %s=%06o", what, st.st_mode);
}

static void renames(void)
{
	struct stat st;

	put("ra", "a"); put("rb", "b");
	rc("rename", rename("ra", "rb"));
	show_file("rb", "rb"); rc("old_gone", access("ra", F_OK));
	done("rename_file_over_existing_file_replaces_it");

	mkdir("d1", 0755); mkdir("d2", 0755); mkdir("d3", 0755); put("d3/f", "x");
	rc("over_empty", rename("d1", "d2"));
	rc("over_nonempty", rename("d2", "d3"));
	put("rf", "f");
	rc("file_over_dir", rename("rf", "d3"));
	rc("dir_over_file", rename("d3", "rf"));
	done("rename_over_directories_follows_the_rules");

	mkdir("t", 0755); mkdir("t/sub", 0755);
	rc("into_own_subtree", rename("t", "t/sub/x"));
	rc("onto_itself", rename("t", "t"));
	done("rename_of_a_directory_into_its_own_subtree_is_EINVAL");

	put("n1", "1"); put("n2", "2");
	rc("noreplace_existing", renameat2(AT_FDCWD, "n1", AT_FDCWD, "n2", RENAME_NOREPLACE));
	rc("noreplace_new", renameat2(AT_FDCWD, "n1", AT_FDCWD, "n3", RENAME_NOREPLACE));
	show_file("n2", "n2"); show_file("n3", "n3");
	done("rename_noreplace_refuses_an_existing_name");

	mkdir("xd", 0755); put("xf", "file");
	rc("exchange", renameat2(AT_FDCWD, "xd", AT_FDCWD, "xf", RENAME_EXCHANGE));
	add(" xd_is_file=%d", lstat("xd", &st) == 0 && S_ISREG(st.st_mode));
	show_file("xd", "xd");
	rc("exchange_missing", renameat2(AT_FDCWD, "xd", AT_FDCWD, "nope", RENAME_EXCHANGE));
	done("rename_exchange_swaps_a_file_and_a_directory");
}

static void links_and_unlinked(void)
{
	struct stat a, b;
	char buf[16] = "";
	int fd;

	put("la", "one");
	rc("link", link("la", "lb"));
	put("la", "two"); /* O_TRUNC write through one name */
	show_file("lb", "lb");
	lstat("la", &a); lstat("lb", &b);
	add(" nlink=%lu,%lu same_ino=%d", (unsigned long)a.st_nlink, (unsigned long)b.st_nlink,
	    a.st_ino == b.st_ino);
	unlink("la"); lstat("lb", &b);
	add(" nlink_after_unlink=%lu", (unsigned long)b.st_nlink);
	done("hard_links_share_data_and_count");

	fd = open("ul", O_RDWR | O_CREAT | O_TRUNC, 0644);
	rc("write", write(fd, "before", 6));
	rc("unlink", unlink("ul"));
	rc("write_after", pwrite(fd, "AFTER", 5, 6));
	rc("read", pread(fd, buf, sizeof(buf) - 1, 0));
	fstat(fd, &a);
	add(" data='%s' nlink=%lu size=%lld", buf, (unsigned long)a.st_nlink, (long long)a.st_size);
	close(fd);
	done("unlinked_open_file_stays_readable_and_writable");
}

static void open_flags(void)
{
	struct stat st;
	int fd;

	put("ap", "12345");
	fd = open("ap", O_WRONLY | O_APPEND);
	lseek(fd, 0, SEEK_SET);
	rc("write", write(fd, "67", 2));
	rc("pos", lseek(fd, 0, SEEK_CUR));
	close(fd);
	show_file("ap", "ap");
	done("o_append_writes_at_the_end");

	fd = open("ap", O_RDONLY | O_TRUNC);
	fstat(fd, &st);
	add(" size=%lld", (long long)st.st_size);
	close(fd);
	done("o_trunc_empties_the_file");

	rc("excl_existing", open("ap", O_WRONLY | O_CREAT | O_EXCL, 0644));
	fd = open("ex", O_WRONLY | O_CREAT | O_EXCL, 0644);
	rc("excl_new", fd > 0 ? 0 : -1);
	close(fd);
	done("o_excl_fails_on_an_existing_name");

	umask(027);
	close(open("um", O_WRONLY | O_CREAT, 0666));
	mkdir("umd", 0777);
	umask(0);
	show_mode("file", "um"); show_mode("dir", "umd");
	done("o_creat_modes_follow_the_umask");
}

static void mmap_truncate_sparse(void)
{
	char buf[64] = "", *p;
	struct stat st;
	int fd = open("mm", O_RDWR | O_CREAT | O_TRUNC, 0644);

	ftruncate(fd, 4096);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED) {
		memcpy(p + 100, "mapped", 6);
		rc("msync", msync(p, 4096, MS_SYNC));
		munmap(p, 4096);
	}
	rc("pread", pread(fd, buf, 6, 100));
	add(" data='%.6s'", buf);
	close(fd);
	done("shared_writable_mmap_reaches_the_file");

	put("tr", "0123456789");
	rc("down", truncate("tr", 4));
	show_file("after_down", "tr");
	rc("up", truncate("tr", 8));
	fd = open("tr", O_RDONLY);
	memset(buf, 'x', sizeof(buf));
	rc("read", read(fd, buf, sizeof(buf)));
	add(" tail_zero=%d", !buf[4] && !buf[7]);
	close(fd);
	done("truncate_down_cuts_and_up_reads_zeros");

	fd = open("sp", O_RDWR | O_CREAT | O_TRUNC, 0644);
	rc("write", pwrite(fd, "data", 4, 1 << 20));
	rc("seek_data", lseek(fd, 0, SEEK_DATA));
	rc("seek_hole", lseek(fd, 0, SEEK_HOLE));
	fstat(fd, &st);
	add(" size=%lld sparse=%d", (long long)st.st_size, st.st_blocks * 512 < 65536);
	close(fd);
	done("sparse_file_holes_are_seen_by_seek_data_and_hole");

	fd = open("ph", O_RDWR | O_CREAT | O_TRUNC, 0644);
	memset(buf, 'A', sizeof(buf));
	for (int i = 0; i < 3 * 4096; i += (int)sizeof(buf))
		pwrite(fd, buf, sizeof(buf), i);
	fsync(fd);
	rc("punch", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096));
	rc("alloc", fallocate(fd, 0, 3 * 4096, 4096));
	rc("read", pread(fd, buf, 1, 5000));
	add(" byte=%d", buf[0]);
	rc("hole_at", lseek(fd, 0, SEEK_HOLE));
	fstat(fd, &st);
	add(" size=%lld", (long long)st.st_size);
	close(fd);
	done("fallocate_and_punch_hole_work");

	fd = open("big", O_RDWR | O_CREAT | O_TRUNC, 0644);
	rc("write", pwrite(fd, "past4g", 6, 5LL << 30));
	memset(buf, 0, sizeof(buf));
	rc("read", pread(fd, buf, 6, 5LL << 30));
	fstat(fd, &st);
	add(" data='%s' size=%lld", buf, (long long)st.st_size);
	close(fd);
	unlink("big");
	done("files_over_4_GiB_work");
}

static void xattrs_acls(void)
{
	/* version 2; user::rw- user:4242:r-- group::r-- mask::r-- other::--- */
	struct { uint16_t tag, perm; uint32_t id; } __attribute__((packed)) e[] = {
		{ 0x01, 6, (uint32_t)-1 }, { 0x02, 4, 4242 }, { 0x04, 4, (uint32_t)-1 },
		{ 0x10, 4, (uint32_t)-1 }, { 0x20, 0, (uint32_t)-1 },
	};
	char acl[4 + sizeof(e)], back[256], names[256];
	uint32_t version = 2;
	ssize_t n;

	put("xa", "x");
	rc("set", setxattr("xa", "user.k", "v1", 2, 0));
	rc("create_existing", setxattr("xa", "user.k", "v2", 2, XATTR_CREATE));
	rc("replace_missing", setxattr("xa", "user.none", "v", 1, XATTR_REPLACE));
	n = getxattr("xa", "user.k", back, sizeof(back));
	rc("get", n);
	add(" value='%.*s'", n > 0 ? (int)n : 0, back);
	n = listxattr("xa", names, sizeof(names));
	add(" has_user_k=%d", n > 0 && memmem(names, (size_t)n, "user.k", 7) != NULL);
	rc("remove", removexattr("xa", "user.k"));
	rc("get_removed", getxattr("xa", "user.k", back, sizeof(back)));
	done("xattrs_set_get_list_remove");

	memcpy(acl, &version, 4);
	memcpy(acl + 4, e, sizeof(e));
	put("acl", "x");
	rc("set_acl", setxattr("acl", "system.posix_acl_access", acl, sizeof(acl), 0));
	n = getxattr("acl", "system.posix_acl_access", back, sizeof(back));
	add(" same_acl=%d", n == (ssize_t)sizeof(acl) && !memcmp(back, acl, sizeof(acl)));
	show_mode("mode", "acl");
	done("posix_acls_are_kept_and_set_the_mode");
}

static void owners_types_modes(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int s;

	put("own", "x");
	chmod("own", 06755);
	rc("chown", chown("own", 1234, 5678));
	lstat("own", &st);
	add(" uid=%u gid=%u mode=%06o", st.st_uid, st.st_gid, st.st_mode);
	done("chown_as_root_sets_owner_and_clears_set_id_bits");

	put("sid", "x");
	rc("chmod", chmod("sid", 06755));
	show_mode("mode", "sid");
	mkdir("sgd", 0755);
	chmod("sgd", 02755);
	put("sgd/child", "x");
	mkdir("sgd/subdir", 0755);
	show_mode("subdir_inherits_sgid", "sgd/subdir");
	done("setuid_and_setgid_bits_are_kept_and_inherited");

	rc("mkfifo", mkfifo("fifo", 0640));
	show_mode("fifo", "fifo");
	rc("mknod_chr", mknod("chr", S_IFCHR | 0600, makedev(1, 3)));
	lstat("chr", &st);
	add(" rdev=%u:%u", major(st.st_rdev), minor(st.st_rdev));
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, "sock");
	rc("bind", bind(s, (struct sockaddr *)&sa, sizeof(sa)));
	close(s);
	show_mode("sock", "sock");
	done("fifos_sockets_and_device_nodes_are_created");

	{
		struct timespec ts[2] = { { 1000000000, 123456789 }, { 1500000000, 987654321 } };

		put("ns", "x");
		rc("utimens", utimensat(AT_FDCWD, "ns", ts, 0));
		lstat("ns", &st);
		add(" atime=%lld.%09ld mtime=%lld.%09ld", (long long)st.st_atim.tv_sec,
		    st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		done("timestamps_keep_nanoseconds");
	}
}

static void names_and_depth(void)
{
	const char *odd[] = { "new\nline", "  spaces  ", "bad\xff\xfeutf8", "tab\there" };
	char longname[300], path[1400];
	int fd, dirs[41], depth;
	struct stat a, b;

	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		put(odd[i], "odd");
		rc("stat", lstat(odd[i], &a));
	}
	memset(longname, 'n', 255);
	longname[255] = 0;
	fd = open(longname, O_WRONLY | O_CREAT, 0644);
	rc("name255", fd > 0 ? 0 : -1);
	close(fd);
	longname[255] = 'n'; longname[256] = 0;
	rc("name256", open(longname, O_WRONLY | O_CREAT, 0644));
	done("odd_names_and_255_byte_names_work");

	/* 40 levels of 200-byte names: > PATH_MAX, reached one step at a time
	 * (then removed the same way: a manifest cannot name them). */
	memset(longname, 'd', 200);
	longname[200] = 0;
	dirs[0] = open(".", O_RDONLY | O_DIRECTORY);
	for (depth = 0; depth < 40 && dirs[depth] >= 0; depth++) {
		mkdirat(dirs[depth], longname, 0755);
		dirs[depth + 1] = openat(dirs[depth], longname, O_RDONLY | O_DIRECTORY);
	}
	fd = dirs[depth] >= 0 ? openat(dirs[depth], "leaf", O_WRONLY | O_CREAT, 0644) : -1;
	rc("deep_leaf", fd > 0 ? 0 : -1);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/%s/%s/%s/%s/%s", longname, longname, longname,
		 longname, longname, longname);
	rc("stat_6_levels", lstat(path, &a));
	rc("unlink_deep_leaf", dirs[depth] >= 0 ? unlinkat(dirs[depth], "leaf", 0) : -1);
	for (; depth > 0; depth--) {
		if (dirs[depth] >= 0)
			close(dirs[depth]);
		unlinkat(dirs[depth - 1], longname, AT_REMOVEDIR);
	}
	close(dirs[0]);
	rc("all_removed", access(longname, F_OK));
	done("paths_deeper_than_PATH_MAX_work_step_by_step");

	put("ino", "x");
	lstat("ino", &a);
	rename("ino", "ino2");
	link("ino2", "ino3");
	lstat("ino3", &b);
	add(" same_after_rename_and_link=%d", a.st_ino == b.st_ino);
	done("inode_numbers_are_stable");
}

static void statfs_and_others(void)
{
	struct statfs sf;
	pid_t pid;
	int status;

	rc("statfs", statfs(".", &sf));
	add(" bsize=%ld blocks=%llu files=%llu namelen=%ld", (long)sf.f_bsize,
	    (unsigned long long)sf.f_blocks, (unsigned long long)sf.f_files, (long)sf.f_namelen);
	done("statfs_is_the_real_filesystems");

	put("private", "secret");
	chmod("private", 0600);
	put("public", "open");
	chmod("public", 0644);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(99);
		rc("private", open("private", O_RDONLY));
		rc("public", open("public", O_RDONLY) > 0 ? 0 : -1);
		rc("write_public", open("public", O_WRONLY));
		printf("%s:%s\n", "other_users_are_held_to_the_modes", line);
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		printf("other_users_are_held_to_the_modes: child failed %d\n", status);
}

int main(int argc, char **argv)
{
	if (argc != 2 || chdir(argv[1]) < 0) {
		fprintf(stderr, "usage: posixitems DIR (an empty directory to work in)\n");
		return 2;
	}
	umask(0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	renames();
	links_and_unlinked();
	open_flags();
	mmap_truncate_sparse();
	xattrs_acls();
	owners_types_modes();
	names_and_depth();
	statfs_and_others();
	return 0;
}
