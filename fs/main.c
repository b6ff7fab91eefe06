/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * btsootfs <source> <mountpoint> -o block=<name>[,options]
 *
 * The mount-helper form, so `mount -t fuse.btsootfs SRC SRC -o block=x` and
 * fstab lines work through mount.fuse3. The mount point must be the source
 * itself: the source is opened before the mount, so programs keep their
 * paths, and the sync refuses a source not reached through btsootfs.
 */
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "btsoot/config.h"
#include "btsoot/exitcodes.h"
#include "btsoot/fsclock.h"
#include "btsoot/lockfile.h"
#include "btsoot/log.h"
#include "btsoot/mounts.h"
#include "btsoot/pathsafe.h"
#include "btsoot/rescan_note.h"
#include "config.h"
#include "fs.h"

struct options {
	char *source;
	char *block;
	char *config_dir;
	char *state_dir;
	double timeout;
	int nojournal;
	int writeback;
	int help;
	int has_fsname;
	char real_source[PATH_MAX]; /* the source as mountinfo spells paths */
};

#define OPT(t, p) { t, offsetof(struct options, p), 1 }
enum { KEY_DISCARD = 100, KEY_HELP, KEY_FSNAME };
static const struct fuse_opt opt_spec[] = {
	OPT("block=%s", block),
	OPT("config_dir=%s", config_dir),
	OPT("state_dir=%s", state_dir),
	OPT("timeout=%lf", timeout),
	OPT("nojournal", nojournal),
	OPT("writeback", writeback),
	FUSE_OPT_KEY("nofail", KEY_DISCARD),
	FUSE_OPT_KEY("_netdev", KEY_DISCARD),
	FUSE_OPT_KEY("auto", KEY_DISCARD),
	FUSE_OPT_KEY("noauto", KEY_DISCARD),
	FUSE_OPT_KEY("fsname=", KEY_FSNAME),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_END
};

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *out)
{
	struct options *o = data;

	if (key == KEY_DISCARD)
		return 0;
	if (key == KEY_HELP) {
		o->help = 1;
		return 0;
	}
	if (key == KEY_FSNAME) {
		o->has_fsname = 1;
		return 1; /* libfuse's own option: kept */
	}
	if (key == FUSE_OPT_KEY_NONOPT && !o->source) {
		o->source = strdup(arg);
		return 0;
	}
	return 1;
}

static void usage(void)
{
	printf("usage: btsootfs <source> <source> -o block=<name>[,options]\n"
	       "(the mount point is the source itself)\n"
	       "\n"
	       "  -o block=NAME        the block (see `btsoot list`)\n"
	       "  -o config_dir=DIR    default $" BT_ENV_CONFIG_DIR " or " BT_DEFAULT_CONFIG_DIR "\n"
	       "  -o state_dir=DIR     default $" BT_ENV_STATE_DIR " or " BT_DEFAULT_STATE_DIR "\n"
	       "  -o timeout=SECONDS   kernel entry/attribute/listing cache time (default 60)\n"
	       "  -o writeback         use the kernel's writeback cache\n"
	       "  -o fsname=NAME       shown as the mount's source (default: the source\n"
	       "                       path, which `mount -a` needs to see it mounted)\n"
	       "  -o nojournal         record nothing (benchmarks only)\n"
	       "  -f                   stay in the foreground\n"
	       "  -s                   single-threaded\n"
	       "  -d, -o debug         trace every journal row and request on stderr\n"
	       "                       (in the foreground)\n"
	       "Always adds default_permissions; as root also allow_other and the\n"
	       "source filesystem's suid/dev flags. Detached, it logs to syslog (each\n"
	       "line naming the block); in the foreground to stderr. See btsootfs(8).\n");
}

static struct bt_fs *g_fs;

static void on_sigusr1(int sig)
{
	if (g_fs && write(g_fs->wake_pipe[1], "s", 1) < 0)
		return;
}

static void on_journal_broken(void *arg, const char *why)
{
	jrec_mark_rescan(arg, why);
}

/* Loads the block and checks the command line against it. */
static int load_block(struct options *o, struct bt_block *b)
{
	struct bt_dirs dirs;
	char err[PATH_MAX + 256], want[PATH_MAX];
	int rc;

	bt_dirs_default(&dirs);
	if (o->config_dir)
		snprintf(dirs.config_dir, sizeof(dirs.config_dir), "%s", o->config_dir);
	if (o->state_dir)
		snprintf(dirs.state_dir, sizeof(dirs.state_dir), "%s", o->state_dir);
	rc = bt_block_load(&dirs, o->block, b, err, sizeof(err));
	if (rc < 0) {
		bt_err("%s", err);
		return BT_EXIT_USAGE;
	}
	if (!realpath(o->source, o->real_source) || !realpath(b->source, want)) {
		bt_err("source %s: %s", o->source, strerror(errno));
		return BT_EXIT_SOURCE;
	}
	if (strcmp(o->real_source, want)) {
		bt_err("source %s is not block '%s''s source %s", o->source, b->name,
		       b->source);
		return BT_EXIT_USAGE;
	}
	if (bt_block_check_paths(b, err, sizeof(err)) < 0) {
		bt_err("block '%s': %s", b->name, err);
		return BT_EXIT_USAGE;
	}
	return 0;
}

/* btsootfs mounts over the source itself: programs keep their paths, and
 * a sync refuses a source that is not reached through a running btsootfs
 * (exit 4). Mounted anywhere else, changes made at the source path would
 * go unjournaled, so it is refused before anything is locked or mounted. */
static int check_mountpoint(const struct options *o, const char *mountpoint,
			    const struct bt_block *b)
{
	char real[PATH_MAX];

	if (!realpath(mountpoint, real)) {
		bt_err("mount point %s: %s", mountpoint, strerror(errno));
		return BT_EXIT_USAGE;
	}
	if (strcmp(real, o->real_source)) {
		bt_err("mount point %s is not block '%s''s source %s: btsootfs mounts over "
		       "the source itself (btsootfs %s %s -o block=%s)", mountpoint, b->name,
		       o->real_source, o->real_source, o->real_source, b->name);
		return BT_EXIT_USAGE;
	}
	return 0;
}

/* What mountinfo shows as the mount's source. mount -a counts an fstab
 * line as mounted when mountinfo holds its canonical source at its target,
 * so by default that is the source path: a second `mount -a` then skips
 * the line instead of starting a second daemon. An fsname= the user gave
 * is theirs to keep (mount -a cannot match that one). libfuse reads ','
 * and '\\' in an option as separators and escapes: they are escaped. */
static int add_fsname(struct fuse_args *args, const struct options *o)
{
	char opt[PATH_MAX + 16];
	char *escaped = NULL;
	int rc;

	if (o->has_fsname)
		return 0;
	snprintf(opt, sizeof(opt), "fsname=%s", o->real_source);
	if (fuse_opt_add_opt_escaped(&escaped, opt) < 0)
		return -ENOMEM;
	rc = fuse_opt_add_arg(args, "-o") < 0 || fuse_opt_add_arg(args, escaped) < 0 ?
		     -ENOMEM : 0;
	free(escaped);
	return rc;
}

static int open_journal(struct bt_fs *fs, const struct bt_block *b)
{
	int rc = bt_journal_open(b->journal, BT_J_CREATE, &fs->j);
	char aside[PATH_MAX + 64];

	/* We hold daemon.lock: no other daemon has it open. A corrupt journal
	 * is kept aside and the next sync reconciles by rescan; the user's
	 * work goes on meanwhile. */
	if (rc == -EUCLEAN)
		rc = bt_journal_replace_corrupt(b->journal, &fs->j, aside, sizeof(aside));
	if (rc < 0) {
		bt_err("journal %s: %s%s", b->journal, strerror(-rc),
		       rc == -EPROTO ? " (written by a newer btsoot: upgrade)" : "");
		return rc;
	}
	bt_jw_on_broken(fs->j, on_journal_broken, fs);
	return 0;
}

/* Every inode the kernel knows holds an O_PATH descriptor here: a big tree
 * needs far more than the default 1024. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	unsigned long nr_open = 0;
	FILE *f = fopen("/proc/sys/fs/nr_open", "re");

	if (f) {
		if (fscanf(f, "%lu", &nr_open) != 1)
			nr_open = 0;
		fclose(f);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (nr_open > rl.rlim_max)
		rl.rlim_max = nr_open; /* root may raise the hard limit */
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int setup_fs(struct bt_fs *fs, struct options *o, struct bt_block *b)
{
	char proc[64];
	ssize_t n;

	raise_fd_limit();
	fs->fd_soft = bt_fd_soft_limit();
	/* Every change reaches the source through this mount, and each one
	 * tells the kernel what it changed: its caches can be trusted for long.
	 * A short time only costs round trips (a warm stat of 10,000 files:
	 * 0.37 s at 1 s, 0.02 s at 60 s, as on the bare directory). */
	fs->timeout = o->timeout > 0 ? o->timeout : 60.0;
	fs->writeback = o->writeback;
	fs->nojournal = o->nojournal;
	snprintf(fs->state_dir, sizeof(fs->state_dir), "%s", b->state);
	pthread_mutex_init(&fs->ns_mu, NULL);
	fs->rootfd = open(b->source, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs->rootfd < 0) {
		bt_err("cannot open source %s: %s", b->source, strerror(errno));
		return BT_EXIT_SOURCE;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fs->rootfd);
	n = readlink(proc, fs->rootpath, sizeof(fs->rootpath) - 1);
	if (n <= 0) {
		bt_err("cannot resolve source %s through /proc: %s", b->source,
		       strerror(errno));
		return BT_EXIT_SOURCE;
	}
	fs->rootpath[n] = '\0';
	fs->rootlen = (size_t)n;
	if (!strcmp(fs->rootpath, "/"))
		fs->rootlen = 0; /* children are "/x": strip just the slash */
	fs->root.fd = fs->rootfd;
	fs->root.type = S_IFDIR;
	fs->root.nlookup = 2;
	if (pipe2(fs->wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0 || bt_inodes_init(fs) < 0)
		return BT_EXIT_INTERNAL;
	return 0;
}

static struct fuse_session *new_session(struct fuse_args *args, struct bt_fs *fs)
{
	static struct fuse_lowlevel_ops ops;

	bt_fs_attr_ops(&ops);
	bt_fs_ns_ops(&ops);
	bt_fs_file_ops(&ops);
	bt_fs_dir_ops(&ops);
	return fuse_session_new(args, &ops, sizeof(ops), fs);
}

static int serve(struct fuse_session *se, struct fuse_cmdline_opts *co)
{
	struct fuse_loop_config *cfg;
	int rc;

	if (co->singlethread)
		return fuse_session_loop(se);
	cfg = fuse_loop_cfg_create();
	fuse_loop_cfg_set_clone_fd(cfg, co->clone_fd);
	/* libfuse leaves UINT_MAX for "not given": pass only real values. */
	if (co->max_idle_threads > 0 && co->max_idle_threads <= 1000)
		fuse_loop_cfg_set_idle_threads(cfg, co->max_idle_threads);
	if (co->max_threads > 0 && co->max_threads <= 1000)
		fuse_loop_cfg_set_max_threads(cfg, co->max_threads);
	else
		fuse_loop_cfg_set_max_threads(cfg, 16);
	rc = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return rc;
}

/* Journal state at start and at a clean stop. */
static int mark_state(struct bt_fs *fs, const char *state)
{
	return fs->nojournal ? 0 : bt_meta_set(fs->j, BT_META_STATE, state);
}

/* Counts mounts, so a sync comparing the live source can tell that a
 * daemon started (and perhaps died) while it walked; and says when, so the
 * offline pass tells changes made before it from journaled ones. */
static int count_mount(struct bt_fs *fs)
{
	struct timespec now;
	int64_t gen = 0, at, since = 0, until = 0;

	if (fs->nojournal)
		return 0;
	if (bt_meta_get_i64_or(fs->j, BT_META_MOUNT_GEN, &gen, 0) < 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &now);
	at = now.tv_sec * 1000000000LL + now.tv_nsec;
	/* From now on every change is journaled: a window of lost changes
	 * still open (a daemon that died) ends here. */
	if (bt_journal_lost_window(fs->j, &since, &until) < 0 ||
	    (since > 0 && until == INT64_MAX && bt_meta_set_i64(fs->j, BT_META_LOST_UNTIL, at) < 0) ||
	    bt_meta_set_i64(fs->j, BT_META_MOUNTED_AT, at) < 0)
		return -1;
	return bt_meta_set_i64(fs->j, BT_META_MOUNT_GEN, gen + 1);
}

/* We hold daemon.lock, so a journal still saying "mounted" was left by a
 * daemon that died: its last queued rows are lost. Say so in the journal,
 * or a clean unmount of this daemon would hide it from the next sync; and
 * say since when (before our own commits move the time of the last one):
 * files changed since may hold changes no row tells. The same when the
 * last daemon could not journal (its NEEDS_RESCAN note). */
static void note_unclean_stop(struct bt_fs *fs, const struct bt_block *b)
{
	char state[32];
	ino_t note;
	bool died = bt_meta_get(fs->j, BT_META_STATE, state, sizeof(state)) == 0 &&
		    !strcmp(state, "mounted");

	if (!died && bt_rescan_note_get(b->state, &note) != 1)
		return;
	if (bt_journal_note_lost(fs->j) < 0)
		bt_err("block '%s': cannot record in the journal since when changes may "
		       "be lost", b->name);
	if (!died)
		return;
	bt_warn("block '%s': the previous btsootfs stopped uncleanly; the next sync "
		"reconciles by rescan", b->name);
	if (bt_meta_set(fs->j, BT_META_NEEDS_RESCAN, "1") < 0)
		bt_err("block '%s': cannot record the unclean stop in the journal", b->name);
}

/* daemon.lock, or the exit code of a block that is busy. */
static int lock_block(const struct bt_block *b, int *lockfd)
{
	char lockpath[PATH_MAX + 16];
	pid_t pid;

	snprintf(lockpath, sizeof(lockpath), "%s/daemon.lock", b->state);
	*lockfd = bt_lock_try(lockpath, true);
	if (*lockfd >= 0)
		return 0;
	if (*lockfd != -EWOULDBLOCK) {
		bt_err("cannot lock %s: %s", lockpath, strerror(-*lockfd));
		return BT_EXIT_JOURNAL;
	}
	pid = bt_lock_holder(lockpath);
	/* A daemon whose mount was detached lingers for the files still open
	 * through it: remounting now would need a second journal writer. */
	if (pid > 0 && !bt_btsootfs_at(b->source))
		bt_err("block '%s' is busy: btsootfs (pid %d) still runs for it but %s is not "
		       "mounted through it (unmounted with -l while files were open?); it stops "
		       "when they are closed, or with `kill %d`", b->name, (int)pid, b->source,
		       (int)pid);
	else
		bt_err("block '%s' is already mounted by pid %d", b->name, (int)pid);
	return BT_EXIT_BUSY;
}

/* Checks the journal while errors still reach the terminal. */
static int check_journal(struct bt_fs *fs, const struct bt_block *b)
{
	if (fs->nojournal)
		return 0;
	if (open_journal(fs, b) < 0)
		return BT_EXIT_JOURNAL;
	note_unclean_stop(fs, b);
	/* SQLite handles do not survive fork(): opened again after it. */
	bt_journal_close(fs->j);
	fs->j = NULL;
	return 0;
}

/* Threads and SQLite handles do not survive fork(): start them now.
 * "mounted" is made durable at once: after a power loss, whatever rows it
 * cost, the journal still says so and the next sync rescans. */
static int start_daemon(struct bt_fs *fs, const struct bt_block *b, int lockfd)
{
	if (bt_lock_update_pid(lockfd) < 0 ||
	    (!fs->nojournal && (open_journal(fs, b) < 0 || bt_jw_start(fs->j, 1000) < 0)) ||
	    mark_state(fs, "mounted") < 0 || count_mount(fs) < 0 ||
	    (!fs->nojournal && bt_journal_sync(fs->j) < 0) ||
	    jrec_start_flusher(fs) < 0)
		return -1;
	if (bt_attach_start(fs) < 0)
		bt_warn("block '%s': cannot watch the mount; an unmount with -l is noticed "
			"only when btsootfs stops", b->name);
	if (bt_fd_pressure_start(fs, fs->se) < 0)
		bt_warn("block '%s': cannot start the reclaimer; a tree of more files than "
			"the descriptor limit may fail with EMFILE", b->name);
	return 0;
}

/* After the session loop: everything queued into the journal, and the
 * time from which changes bypass it. */
static void stop_daemon(struct bt_fs *fs, const struct bt_block *b)
{
	struct timespec now;
	int64_t since;
	bool lost;

	bt_fd_pressure_stop();
	bt_attach_stop(fs);
	/* The kernel has let go of the mount a moment ago: two seconds back
	 * covers that moment (at worst a few changes are looked at twice).
	 * After an umount -l it was earlier: the last check that saw it. */
	bt_fs_now(b->state, &now);
	since = bt_attach_offline_since(fs, bt_ts_ns(&now) - 2000000000LL);
	jrec_stop_flusher(fs);
	jrec_flush_all(fs);
	if (fs->nojournal)
		return;
	/* Rows lost in the queue make the stop unclean; a change that had
	 * no name already left the NEEDS_RESCAN file behind. */
	lost = bt_jw_stop(fs->j) < 0;
	if (!lost) {
		if (bt_note_offline(fs, since) < 0)
			bt_err("block '%s': cannot record the unmount time in the journal "
			       "(garbled meta?); the next sync checks it and rescans", b->name);
		mark_state(fs, "clean");
	}
	bt_notice("block '%s' unmounted %s", b->name,
		  lost ? "with an incomplete journal: next sync rescans" : "cleanly");
}

/* The kernel ended the connection (the mount was released): libfuse's
 * unmount then only closes and frees. */
static bool connection_gone(struct fuse_session *se)
{
	struct pollfd p = { .fd = fuse_session_fd(se) };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

static int mount_and_serve(struct fuse_session *se, struct fuse_cmdline_opts *co,
			   struct bt_fs *fs, const struct bt_block *b, int lockfd)
{
	char mnt[PATH_MAX];
	int rc;

	/* As mountinfo will spell it, for bt_attach_find. */
	if (!realpath(co->mountpoint, mnt)) {
		bt_err("mount point %s: %s", co->mountpoint, strerror(errno));
		return BT_EXIT_USAGE;
	}
	if (fuse_session_mount(se, mnt) != 0) {
		bt_err("cannot mount on %s (is /dev/fuse available? fuse3 installed?)",
		       co->mountpoint);
		return BT_EXIT_USAGE;
	}
	if (bt_attach_find(fs, mnt) < 0)
		bt_warn("block '%s': %s is not in /proc/self/mountinfo as fuse.btsootfs; an "
			"unmount with -l is noticed only when btsootfs stops", b->name, mnt);
	fuse_daemonize(co->foreground);
	if (!co->foreground)
		bt_log_use_syslog();
	if (start_daemon(fs, b, lockfd) < 0) {
		bt_err("cannot start block '%s' after mounting; unmounting", b->name);
		fuse_session_unmount(se);
		return BT_EXIT_JOURNAL;
	}
	bt_notice("block '%s' mounted on %s (journal %s)", b->name, co->mountpoint,
		  fs->nojournal ? "OFF" : b->journal);
	/* A positive value is the signal that stopped the loop: a clean stop. */
	rc = serve(se, co) < 0 ? BT_EXIT_IO : 0;
	stop_daemon(fs, b);
	/* As root libfuse unmounts by path: after an umount -l that would
	 * take away whatever is mounted at the source now. It does not when
	 * the connection is gone already (and then frees what it kept). */
	if (bt_attach_check(fs) != 0 || connection_gone(se))
		fuse_session_unmount(se);
	return rc;
}

static int run(struct fuse_args *args, struct fuse_cmdline_opts *co,
	       struct options *o, struct bt_block *b)
{
	static struct bt_fs fs;
	struct fuse_session *se;
	int lockfd = -1, rc;

	g_fs = &fs;
	fs.block = b->name;
	fs.debug = bt_log_level() >= BT_LOG_DEBUG;
	bt_log_set_block(b->name); /* syslog lines name it, once detached */
	/* First, so that an option libfuse does not know changes nothing
	 * (libfuse has named it). */
	se = new_session(args, &fs);
	if (!se)
		return BT_EXIT_USAGE;
	fs.se = se;
	rc = setup_fs(&fs, o, b);
	if (rc == 0 && bt_block_make_state_dir(b) < 0) {
		bt_err("cannot create state dir %s: %s", b->state, strerror(errno));
		rc = BT_EXIT_JOURNAL;
	}
	rc = rc ? rc : lock_block(b, &lockfd);
	rc = rc ? rc : check_journal(&fs, b);
	if (rc == 0 && fuse_set_signal_handlers(se) < 0)
		rc = BT_EXIT_INTERNAL;
	if (rc == 0) {
		signal(SIGUSR1, on_sigusr1);
		rc = mount_and_serve(se, co, &fs, b, lockfd);
		fuse_remove_signal_handlers(se);
	}
	fuse_session_destroy(se);
	if (fs.j)
		bt_journal_close(fs.j);
	bt_lock_release(lockfd);
	return rc;
}

/* Behave like the source: FUSE mounts default to nosuid and nodev, so a
 * setuid program or a device node in the source would stop working through
 * the mount. Root gets the source filesystem's own flags, and allow_other:
 * every user reaches the bare directory, with default_permissions the
 * kernel enforces modes and ACLs. Inserted first, so options given on the
 * command line still win. */
static void mirror_source(struct fuse_args *args, const char *source)
{
	struct statvfs sv;

	if (geteuid() != 0 || statvfs(source, &sv) < 0)
		return;
	fuse_opt_insert_arg(args, 1, "-oallow_other");
	if (!(sv.f_flag & ST_NOSUID))
		fuse_opt_insert_arg(args, 1, "-osuid");
	if (!(sv.f_flag & ST_NODEV))
		fuse_opt_insert_arg(args, 1, "-odev");
}

/* libfuse's own messages ("fuse: unknown option(s): `-o x'") as our
 * lines: one prefix, and syslog once detached. libfuse writes some of them
 * in pieces: each thread gathers its pieces up to the newline. */
static void log_from_fuse(enum fuse_log_level level, const char *fmt, va_list ap)
{
	static __thread char line[1024];
	static __thread size_t n;
	const char *msg = line;

	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	n += strlen(line + n);
	if (n == 0 || (line[n - 1] != '\n' && n < sizeof(line) - 1))
		return;
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	if (!strncmp(msg, "fuse: ", 6))
		msg += 6;
	/* -d: a line per request is the trace; a reply only when it failed. */
	if (level == FUSE_LOG_DEBUG && !strncmp(msg, "   unique: ", 11) &&
	    strstr(msg, ", success, outsize: ")) {
		n = 0;
		return;
	}
	/* A backing file the kernel refused: passthrough.c falls back and
	 * says so; libfuse's line is its detail, not an error. */
	if (!strncmp(msg, "passthrough_open: ", 18)) {
		bt_warn("passthrough: libfuse's backing open: %s", msg + 18);
		n = 0;
		return;
	}
	bt_log(level < FUSE_LOG_ERR ? BT_LOG_ERR : (enum bt_log_level)level, "%s", msg);
	n = 0;
}

/* The options, checked; 0, or the exit code (-1: done, exit 0). */
static int parse(struct fuse_args *args, struct fuse_cmdline_opts *co, struct options *o)
{
	if (fuse_opt_parse(args, o, opt_spec, opt_proc) < 0)
		return BT_EXIT_USAGE;
	if (o->help) {
		usage();
		return -1;
	}
	if (fuse_parse_cmdline(args, co) != 0)
		return BT_EXIT_USAGE;
	if (co->show_version) {
		printf("btsootfs %s (libfuse %s)\n", BTSOOT_VERSION, fuse_pkgversion());
		return -1;
	}
	if (!o->source || !co->mountpoint || !o->block) {
		bt_err("usage: btsootfs <source> <mountpoint> -o block=<name> (see -h)");
		return BT_EXIT_USAGE;
	}
	if (access("/dev/fuse", R_OK | W_OK) < 0) {
		bt_err("/dev/fuse is not available: load the fuse module or give the "
		       "container the device");
		return BT_EXIT_USAGE;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts co = { 0 };
	struct options o = { 0 };
	struct bt_block b;
	int rc;

	bt_log_init("btsootfs", BT_LOG_NOTICE);
	fuse_set_log_func(log_from_fuse);
	/* New objects get the caller's mode: the kernel or bt_create_mode
	 * applied the caller's umask, ours must not apply again. */
	umask(0);
	rc = parse(&args, &co, &o);
	if (rc)
		goto out;
	if (co.debug)
		bt_log_init("btsootfs", BT_LOG_DEBUG);
	rc = load_block(&o, &b);
	if (rc == 0)
		rc = check_mountpoint(&o, co.mountpoint, &b);
	if (rc)
		goto out;
	mirror_source(&args, b.source);
	if (fuse_opt_add_arg(&args, "-odefault_permissions") < 0 || add_fsname(&args, &o) < 0 ||
	    fuse_opt_add_arg(&args, "-osubtype=btsootfs") < 0) {
		bt_err("out of memory");
		rc = BT_EXIT_INTERNAL;
		goto out;
	}
	rc = run(&args, &co, &o, &b);
out:
	free(co.mountpoint);
	fuse_opt_free_args(&args);
	free(o.source); /* strdup'd by opt_proc and fuse_opt_parse */
	free(o.block);
	free(o.config_dir);
	free(o.state_dir);
	return rc < 0 ? 0 : rc;
}
