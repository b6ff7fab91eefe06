/* SPDX-License-Identifier: BSD-3-Clause */
/* Checks a random run cannot make: paths deeper than PATH_MAX, reached one
 * directory at a time, and unix sockets bound inside the tree. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dt.h"

static int open_both(struct dt *t, char **dirs)
{
	t->s[0].label = "bare";
	t->s[1].label = "mount";
	for (int s = 0; s < DT_SIDES; s++) {
		t->s[s].root = open(dirs[s], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (t->s[s].root < 0) {
			perror(dirs[s]);
			return -1;
		}
	}
	clock_gettime(CLOCK_REALTIME, &t->t0);
	t->t0.tv_sec -= 2;
	return 0;
}

/* One level down on both sides: mkdirat, then openat (like mkdir + cd). */
static void step_down(struct dt *t, int cur[DT_SIDES], const char *name, int level)
{
	struct dt_res r[DT_SIDES] = { 0 };
	int next[DT_SIDES];

	dt_desc(t, "deep: mkdir level %d", level);
	DT_BOTH(t, r, mkdirat(cur[DT_SIDE], name, 0755));
	dt_same(t, r);
	dt_desc(t, "deep: open level %d", level);
	DT_BOTH(t, r, next[DT_SIDE] = openat(cur[DT_SIDE], name, O_RDONLY | O_DIRECTORY |
					     O_CLOEXEC));
	r[0].ret_is_fd = true;
	dt_same(t, r);
	for (int s = 0; s < DT_SIDES; s++) {
		close(cur[s]);
		cur[s] = next[s];
	}
}

static void leaf(struct dt *t, int cur[DT_SIDES])
{
	static const char text[] = "the leaf, deeper than PATH_MAX\n";
	struct dt_res r[DT_SIDES] = { 0 };
	struct stat st[DT_SIDES];
	int fd[DT_SIDES];

	dt_desc(t, "deep: create the leaf file");
	DT_BOTH(t, r, fd[DT_SIDE] = openat(cur[DT_SIDE], "leaf", O_WRONLY | O_CREAT | O_EXCL |
					   O_CLOEXEC, 0640));
	r[0].ret_is_fd = true;
	if (!dt_same(t, r))
		return;
	dt_desc(t, "deep: write the leaf");
	DT_BOTH(t, r, write(fd[DT_SIDE], text, sizeof(text) - 1));
	dt_same(t, r);
	DT_BOTH(t, r, close(fd[DT_SIDE]));
	dt_same(t, r);
	dt_desc(t, "deep: stat the leaf");
	DT_BOTH(t, r, fstatat(cur[DT_SIDE], "leaf", &st[DT_SIDE], 0));
	for (int s = 0; s < DT_SIDES; s++)
		if (r[s].ret == 0)
			dt_res_stat(t, &r[s], &st[s]);
	if (dt_same(t, r))
		dt_same_times(t, st);
}

/* chdir level by level from the root, as a shell would, then read. */
static void walk_with_chdir(struct dt *t, const char *name, int levels)
{
	struct dt_res r[DT_SIDES] = { 0 };
	char buf[DT_SIDES][64];
	int fd;

	for (int s = 0; s < DT_SIDES; s++) {
		bool ok = fchdir(t->s[s].root) == 0;

		for (int i = 0; ok && i < levels; i++)
			ok = chdir(name) == 0;
		fd = ok ? open("leaf", O_RDONLY | O_CLOEXEC) : -1;
		r[s].ret = fd < 0 ? -1 : read(fd, buf[s], sizeof(buf[s]));
		r[s].err = r[s].ret < 0 ? errno : 0;
		if (r[s].ret > 0)
			dt_res_add(&r[s], buf[s], (size_t)r[s].ret);
		if (fd >= 0)
			close(fd);
	}
	dt_desc(t, "deep: chdir %d times, then read the leaf", levels);
	dt_same(t, r);
}

int dt_cmd_deep(int argc, char **argv)
{
	static struct dt t;
	char name[256], longpath[DT_PATH * 2] = "";
	int levels = argc >= 3 ? atoi(argv[2]) : 24, cur[DT_SIDES];
	struct dt_res r[DT_SIDES] = { 0 };

	if (argc < 2 || levels < 1 || open_both(&t, argv) < 0) {
		fprintf(stderr, "usage: difftest deep BARE MOUNT [LEVELS]\n");
		return 2;
	}
	memset(name, 'D', 250);
	name[250] = '\0';
	for (int s = 0; s < DT_SIDES; s++)
		cur[s] = dup(t.s[s].root);
	for (int i = 0; i < levels; i++)
		step_down(&t, cur, name, i);
	leaf(&t, cur);
	walk_with_chdir(&t, name, levels);
	/* The same place by one path string: longer than PATH_MAX. */
	for (int i = 0; i < levels && strlen(longpath) + 252 < sizeof(longpath); i++)
		strcat(strcat(longpath, name), "/");
	strcat(longpath, "leaf");
	dt_desc(&t, "deep: open by one %zu-byte path", strlen(longpath));
	DT_BOTH(&t, r, openat(S->root, longpath, O_RDONLY));
	r[0].ret_is_fd = true;
	dt_same(&t, r);
	printf("difftest deep: %d levels, %zu bytes of path (PATH_MAX %d), %ld comparisons, "
	       "%ld differences\n", levels, strlen(longpath), PATH_MAX, t.checks, t.mismatches);
	return t.mismatches ? 1 : 0;
}

static int fail(const char *what)
{
	fprintf(stderr, "difftest socket: %s: %s\n", what, strerror(errno));
	return 1;
}

int dt_cmd_socket(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "sock" };
	char buf[8] = "";
	struct stat st;
	int l, c, a;

	if (argc != 1 || chdir(argv[0]) < 0) {
		fprintf(stderr, "usage: difftest socket DIR\n");
		return 2;
	}
	unlink("sock");
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || c < 0)
		return fail("socket");
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return fail("bind");
	if (listen(l, 1) < 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return fail("connect");
	a = accept(l, NULL, NULL);
	if (a < 0 || write(c, "ping", 4) != 4 || read(a, buf, 4) != 4)
		return fail("talk");
	if (lstat("sock", &st) < 0 || !S_ISSOCK(st.st_mode))
		return fail("stat: not a socket");
	if (memcmp(buf, "ping", 4)) {
		fprintf(stderr, "difftest socket: got '%.4s'\n", buf);
		return 1;
	}
	printf("difftest socket: bound, connected, talked over %s/sock\n", argv[0]);
	return 0;
}
