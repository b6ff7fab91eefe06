/* SPDX-License-Identifier: BSD-3-Clause */
/* btsoot: manage blocks (add, list, status, remove, init-remote, restore). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "btsoot/config.h"
#include "btsoot/exitcodes.h"
#include "btsoot/journal.h"
#include "btsoot/lockfile.h"
#include "btsoot/mounts.h"
#include "btsoot/log.h"
#include "btsoot/pathsafe.h"
#include "btsoot/remote.h"
#include "btsoot/words.h"
#include "btsoot/cliopts.h"
#include "config.h"
#include "context.h"
#include "rescan.h"
#include "safety.h"

int bt_cmd_restore(const struct bt_dirs *d, int argc, char **argv);
int bt_cmd_status(const struct bt_dirs *d, int argc, char **argv);
int bt_cmd_check(const struct bt_dirs *d, int argc, char **argv);

static int need_args(int argc, int want, const char *cmd)
{
	if (argc == want)
		return 0;
	bt_err("usage: btsoot %s (see btsoot %.*s --help)", cmd, (int)strcspn(cmd, " "), cmd);
	return BT_EXIT_USAGE;
}

static int load(const struct bt_dirs *d, const char *name, struct bt_block *b)
{
	char err[PATH_MAX + 256];

	if (bt_block_load(d, name, b, err, sizeof(err)) < 0) {
		bt_err("%s", err);
		return BT_EXIT_USAGE;
	}
	return 0;
}

/* What the remote directory holds besides .btsoot: how many top-level
 * entries (*n) and the first few names (in directory order). A remote that
 * does not exist yet holds nothing. */
#define FEW_NAMES 3
static void remote_holds(const char *remote, int64_t *n, char names[FEW_NAMES][64])
{
	DIR *d = opendir(remote);
	struct dirent *e;

	*n = 0;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strcmp(e->d_name, BT_REMOTE_AREA))
			continue;
		if (*n < FEW_NAMES)
			bt_path_printable(e->d_name, names[*n], sizeof(names[*n]));
		(*n)++;
	}
	if (d)
		closedir(d);
}

/* A block's first sync makes its remote equal to the source: onto a
 * directory that already holds other data (the share's root instead of a
 * subfolder) it would move all of that to the trash. BT_EXIT_SAFETY unless
 * the remote is empty (or holds only .btsoot) or adopt says it is a mirror
 * of the source. */
static int check_remote_empty(const struct bt_block *b, bool adopt)
{
	char names[FEW_NAMES][64];
	int64_t n;

	remote_holds(b->remote, &n, names);
	if (n == 0 || adopt)
		return 0;
	bt_err("remote %s already holds %" PRId64 " entr%s (%s%s%s%s%s%s); nothing was "
	       "changed. Give block '%s' an empty directory of its own, or, if this one "
	       "holds a mirror of %s, adopt it: btsoot add --adopt %s %s %s (the first "
	       "sync copies what is missing and trashes no more than max_delete_percent "
	       "of it without --force)",
	       b->remote, n, n == 1 ? "y" : "ies", names[0], n > 1 ? ", " : "",
	       n > 1 ? names[1] : "", n > 2 ? ", " : "", n > 2 ? names[2] : "",
	       n > FEW_NAMES ? ", ..." : "", b->name, b->source, b->name, b->source,
	       b->remote);
	return BT_EXIT_SAFETY;
}

/* Removes the option opt from argv; true if it was there. */
static bool take_flag(int *argc, char **argv, const char *opt)
{
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], opt))
			continue;
		memmove(&argv[i], &argv[i + 1], (size_t)(*argc - i) * sizeof(*argv));
		(*argc)--;
		return true;
	}
	return false;
}

static int cmd_add(const struct bt_dirs *d, int argc, char **argv)
{
	char err[PATH_MAX + 256];
	struct bt_block b = { .trash_days = 30, .max_delete_percent = 50,
			      .scan_offline_changes = true };
	bool adopt = take_flag(&argc, argv, "--adopt");
	struct bt_journal *j;
	struct bt_remote r;
	int rc;

	if ((rc = need_args(argc, 4, "add [--adopt] <block> <source> <remote>")))
		return rc;
	if (!bt_block_name_valid(argv[1])) {
		bt_err("invalid block name '%s': use letters, digits, '_', '.', '-'", argv[1]);
		return BT_EXIT_USAGE;
	}
	snprintf(b.name, sizeof(b.name), "%s", argv[1]);
	bt_block_derive_paths(d, &b);
	if (access(b.conf_path, F_OK) == 0) {
		bt_err("block '%s' already exists (btsoot remove %s first)", b.name, b.name);
		return BT_EXIT_USAGE;
	}
	for (int i = 2; i < 4; i++)
		if (argv[i][0] != '/') {
			bt_err("%s must be an absolute path: '%s'", i == 2 ? "source" : "remote",
			       argv[i]);
			return BT_EXIT_USAGE;
		}
	snprintf(b.source, sizeof(b.source), "%s", argv[2]);
	snprintf(b.remote, sizeof(b.remote), "%s", argv[3]);
	if (bt_block_check_paths(&b, err, sizeof(err)) < 0) {
		bt_err("%s", err);
		return BT_EXIT_USAGE;
	}
	if ((rc = check_remote_empty(&b, adopt)))
		return rc;
	b.remote_is_mount = bt_is_mount_point(b.remote);
	b.source_is_mount = bt_other_mount_at(b.source);
	if (bt_block_save(d, &b, false, err, sizeof(err)) < 0) {
		bt_err("%s", err);
		return BT_EXIT_USAGE;
	}
	if (bt_remote_open(&r, &b, BT_REMOTE_WRITE_MARKER, err, sizeof(err)) < 0) {
		bt_block_remove(d, b.name);
		bt_err("%s", err);
		return BT_EXIT_REMOTE;
	}
	bt_remote_close(&r);
	if (bt_block_make_state_dir(&b) < 0 ||
	    (rc = bt_journal_open(b.journal, BT_J_CREATE, &j)) < 0) {
		bt_err("cannot create journal %s: %s", b.journal, strerror(errno));
		return BT_EXIT_JOURNAL;
	}
	rc = adopt ? bt_adopt_remote(j) : 0;
	bt_journal_close(j);
	if (rc < 0) {
		bt_err("journal %s: %s", b.journal, strerror(-rc));
		return BT_EXIT_JOURNAL;
	}
	printf("block '%s' added: %s -> %s\n"
	       "next:\n"
	       "  btsoot-sync %s                  # first sync: mirrors the whole source\n"
	       "  mount -t fuse.btsootfs %s %s -o block=%s,allow_other\n"
	       "fstab:  %s %s fuse.btsootfs block=%s,allow_other,nofail 0 0\n"
	       "cron:   15 3 * * * root btsoot-sync -q %s\n",
	       b.name, b.source, b.remote, b.name, b.source, b.source, b.name, b.source,
	       b.source, b.name, b.name);
	return 0;
}

static int cmd_list(const struct bt_dirs *d, int argc, char **argv)
{
	char **names;
	size_t n;
	int rc = bt_block_list(d, &names, &n);

	if (rc < 0) {
		bt_err("cannot list %s/blocks: %s", d->config_dir, strerror(-rc));
		return BT_EXIT_USAGE;
	}
	for (size_t i = 0; i < n; i++) {
		struct bt_block b;
		char err[PATH_MAX + 256];

		if (bt_block_load(d, names[i], &b, err, sizeof(err)) < 0)
			printf("%s\t(broken: %s)\n", names[i], err);
		else
			printf("%s\t%s\t%s\n", b.name, b.source, b.remote);
	}
	bt_block_names_free(names, n);
	return 0;
}

static int cmd_remove(const struct bt_dirs *d, int argc, char **argv)
{
	char path[PATH_MAX + 32], cmd[PATH_MAX + 32];
	bool purge = argc == 3 && !strcmp(argv[2], "--purge-state");
	struct bt_block b;
	int rc;

	if (argc != 2 && !purge)
		return need_args(argc, 2, "remove <block> [--purge-state]");
	if ((rc = load(d, argv[1], &b)))
		return rc;
	snprintf(path, sizeof(path), "%s/daemon.lock", b.state);
	if (bt_lock_holder(path) != 0) {
		bt_err("block '%s' is mounted: unmount it first (fusermount3 -u %s)", b.name,
		       b.source);
		return BT_EXIT_BUSY;
	}
	if (bt_block_remove(d, b.name) < 0) {
		bt_err("cannot remove %s: %s", b.conf_path, strerror(errno));
		return BT_EXIT_USAGE;
	}
	if (purge) {
		snprintf(cmd, sizeof(cmd), "%s", b.state);
		if (bt_path_valid(b.name)) {
			char *argvp[] = { "rm", "-rf", "--", cmd, NULL };
			pid_t p = fork();

			if (p == 0) {
				execvp("rm", argvp);
				_exit(127);
			}
			if (p > 0)
				waitpid(p, NULL, 0);
		}
	}
	printf("block '%s' removed%s; its source %s and remote %s were not touched\n",
	       b.name, purge ? " with its state" : "", b.source, b.remote);
	return 0;
}

/* A replaced share, or a mirror made by other means: writes the block's
 * marker and has the next sync reconcile the remote by a full rescan
 * (copying what is missing; the journal alone would copy only what changed
 * since the last sync). Holds the sync lock, so no sync runs meanwhile. */
static int cmd_init_remote(const struct bt_dirs *d, int argc, char **argv)
{
	char err[PATH_MAX + 256], marker[PATH_MAX + 32];
	bool force = argc == 3 && !strcmp(argv[2], "--force");
	struct bt_remote r;
	struct bt_ctx c;
	int rc;

	if (argc != 2 && !force)
		return need_args(argc, 2, "init-remote <block> [--force]");
	rc = bt_ctx_open(&c, d, argv[1], BT_CTX_LOCK | BT_CTX_JOURNAL);
	if (rc) {
		bt_err("%s", c.err);
		return rc;
	}
	rc = bt_remote_open(&r, &c.block, BT_REMOTE_WRITE_MARKER, err, sizeof(err));
	if (rc == -EPERM && force) {
		snprintf(marker, sizeof(marker), "%s/.btsoot/marker", c.block.remote);
		unlink(marker);
		rc = bt_remote_open(&r, &c.block, BT_REMOTE_WRITE_MARKER, err, sizeof(err));
	}
	if (rc < 0) {
		bt_err("%s%s", err, rc == -EPERM ? " (--force to take it over)" : "");
		bt_ctx_close(&c);
		return BT_EXIT_REMOTE;
	}
	bt_remote_close(&r);
	rc = bt_adopt_remote(c.j);
	if (rc < 0) {
		bt_err("journal %s: %s; the remote is marked but the next sync will not "
		       "compare it: run init-remote again", c.block.journal, strerror(-rc));
		bt_ctx_close(&c);
		return BT_EXIT_JOURNAL;
	}
	printf("remote %s now belongs to block '%s'; the next sync compares it with the "
	       "source and copies what is missing\n", c.block.remote, c.block.name);
	bt_ctx_close(&c);
	return 0;
}

/* A subcommand, its usage line and its options ("=" at the end: takes a value). */
struct command {
	const char *name;
	int (*run)(const struct bt_dirs *d, int argc, char **argv);
	const char *usage, *what;
	const char *opts[5];
};

static const struct command commands[] = {
	{ "add", cmd_add, "add [--adopt] <block> <source> <remote>",
	  "define a block and mark its remote (--adopt: the remote already holds a "
	  "mirror of source)", { "--adopt" } },
	{ "list", cmd_list, "list", "list blocks", { NULL } },
	{ "status", bt_cmd_status, "status [<block>] [--json | --prometheus [DIR]]",
	  "mounted or not, pending changes, last sync and verify, trash, what the remote "
	  "cannot keep (no block: every block; --prometheus: metrics into "
	  "DIR/btsoot.prom)", { "--json", "--prometheus" } },
	{ "check", bt_cmd_check, "check <block> [--json]",
	  "validate config, source, remote, mount state, locks and journal; change nothing",
	  { "--json" } },
	{ "remove", cmd_remove, "remove <block> [--purge-state]",
	  "forget a block (never touches data)", { "--purge-state" } },
	{ "init-remote", cmd_init_remote, "init-remote <block> [--force]",
	  "adopt a replaced or existing remote on purpose", { "--force" } },
	{ "restore", bt_cmd_restore,
	  "restore <block> [path] [--to DIR | --in-place [--override]] "
	  "[--as-of YYYY-mm-dd[THH:MM:SS]]",
	  "copy back from the remote (path: relative to the block, or absolute inside its "
	  "source)", { "--to=", "--as-of=", "--in-place", "--override" } },
};

/* -1: not an option of cmd; 0: a flag; 1: takes the next argument. */
static int command_opt(const struct command *cmd, const char *arg)
{
	for (size_t i = 0; i < sizeof(cmd->opts) / sizeof(cmd->opts[0]) && cmd->opts[i]; i++) {
		size_t n = strlen(cmd->opts[i]);
		bool val = cmd->opts[i][n - 1] == '=';

		if (!strncmp(arg, cmd->opts[i], n - val) && arg[n - val] == '\0')
			return val;
	}
	return -1;
}

/* Every subcommand takes -h/--help; an option it does not know is named
 * (not taken for a block name or a path). Options are never abbreviated. */
static int check_command_args(const struct command *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		int k;

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: btsoot %s\n  %s (see btsoot(1))\n", cmd->usage, cmd->what);
			exit(0);
		}
		if (argv[i][0] != '-' || !argv[i][1])
			continue;
		k = command_opt(cmd, argv[i]);
		if (k < 0) {
			bt_err("%s: unknown option '%s' (options are never abbreviated); usage: "
			       "btsoot %s", cmd->name, argv[i], cmd->usage);
			return BT_EXIT_USAGE;
		}
		i += k;
	}
	return 0;
}

static int run_command(const struct bt_dirs *d, int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		int rc;

		if (strcmp(argv[0], commands[i].name))
			continue;
		rc = check_command_args(&commands[i], argc, argv);
		return rc ? rc : commands[i].run(d, argc, argv);
	}
	bt_err("unknown command '%s' (see btsoot --help)", argv[0]);
	return BT_EXIT_USAGE;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: btsoot [--config-dir DIR] [--state-dir DIR] <command> ...\n"
		   "       btsoot -h|--help | --version | <command> -h|--help\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n      %s\n", commands[i].usage, commands[i].what);
	fprintf(f, "Exit codes: btsoot(1).\n");
}

/* The options before the command; one line for a bad one. */
static int global_opts(int argc, char **argv, struct bt_dirs *d)
{
	static const struct option longopts[] = {
		{ "config-dir", required_argument, NULL, 'C' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	int ch, bad = 0;

	if (bt_cli_exact(argc, argv, "+:h", longopts, &bad) < 0) {
		const char *meant = bt_cli_completion(argv[bad], longopts);

		bt_err("unknown option '%s'%s%s%s (long options are never abbreviated; see "
		       "btsoot --help)", argv[bad], meant ? ": did you mean --" : "",
		       meant ? meant : "", meant ? "?" : "");
		return BT_EXIT_USAGE;
	}
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		if (ch == 'C')
			snprintf(d->config_dir, sizeof(d->config_dir), "%s", optarg);
		else if (ch == 'S')
			snprintf(d->state_dir, sizeof(d->state_dir), "%s", optarg);
		else if (ch == 'h') {
			usage(stdout);
			exit(0);
		} else if (ch == 'V') {
			printf("btsoot %s\n", BTSOOT_VERSION);
			exit(0);
		} else {
			bt_err("%s '%s' (see btsoot --help)", ch == ':' ? "option needs a value:"
			       : "unknown option", argv[optind - 1]);
			return BT_EXIT_USAGE;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bt_dirs d;
	int rc;

	bt_log_init("btsoot", BT_LOG_NOTICE);
	bt_dirs_default(&d);
	if ((rc = global_opts(argc, argv, &d)))
		return rc;
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		bt_err("which command? (see btsoot --help)");
		return BT_EXIT_USAGE;
	}
	return run_command(&d, argc, argv);
}
