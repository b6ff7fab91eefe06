/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * btsoot check <block> [--json]: one finding per line, "ok", "warn" or
 * "fail", about the block's config, source (and the btsootfs mounted over
 * it), remote (reachable, its marker), state directory, journal (PRAGMA
 * quick_check, meta and row checksums, schema version), locks and last
 * runs. It changes nothing: the journal is read as status.h describes,
 * the remote and the source are only stat'ed and the marker read.
 *
 * Exit: 0 every finding ok; 1 warnings only; otherwise the code of the
 * first failure's part, the one a sync would exit with: 2 config, 3
 * remote, 4 source, 5 state directory, journal or lock (btsoot(1)).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "btsoot/exitcodes.h"
#include "btsoot/json.h"
#include "btsoot/log.h"
#include "btsoot/mounts.h"
#include "btsoot/pathsafe.h"
#include "btsoot/remote.h"
#include "btsoot/words.h"
#include "status.h"

int bt_cmd_check(const struct bt_dirs *d, int argc, char **argv);

enum level { OK, WARN, FAIL };
static const char *const level_names[] = { "ok", "warn", "fail" };

struct check {
	bool json;
	struct bt_json w;
	int count[3];
	int rc; /* exit code of the first failure */
	struct bt_block b;
};

static void say(struct check *k, enum level lv, const char *area, int fail_rc,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void say(struct check *k, enum level lv, const char *area, int fail_rc,
		const char *fmt, ...)
{
	char msg[PATH_MAX * 2 + 512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	k->count[lv]++;
	if (lv == FAIL && !k->rc)
		k->rc = fail_rc;
	if (!k->json) {
		printf("%-4s %s: %s\n", level_names[lv], area, msg);
		return;
	}
	bt_json_obj_begin(&k->w);
	bt_json_kstr(&k->w, "level", level_names[lv]);
	bt_json_kstr(&k->w, "area", area);
	bt_json_kstr(&k->w, "message", msg);
	bt_json_obj_end(&k->w);
}

static bool check_config(struct check *k, const struct bt_dirs *d, const char *name)
{
	char err[PATH_MAX + 256];
	int rc = bt_block_load(d, name, &k->b, err, sizeof(err));

	if (rc < 0) {
		say(k, FAIL, "config", BT_EXIT_USAGE, "%s", err);
		return false;
	}
	say(k, OK, "config", 0, "%s parses, every key known, source and remote absolute",
	    k->b.conf_path);
	if (!k->b.id[0])
		say(k, WARN, "config", 0, "%s has no id: the remote's marker cannot be matched "
		    "to it (btsoot add writes one)", k->b.conf_path);
	return true;
}

/* A directory that must be there: 0, or -errno after a fail finding. */
static int check_dir(struct check *k, const char *area, const char *path, int fail_rc)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		int e = errno;

		if (e == ENOTCONN)
			say(k, FAIL, area, fail_rc, "%s is a dead mount (its FUSE daemon is gone: "
			    "Transport endpoint is not connected): detach it with `umount -l %s` "
			    "and mount it again", path, path);
		else
			say(k, FAIL, area, fail_rc, "%s: %s", path, strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode)) {
		say(k, FAIL, area, fail_rc, "%s is not a directory", path);
		return -ENOTDIR;
	}
	return 0;
}

/* Opening the root for reading asks the daemon itself (a cached stat may
 * not): a killed btsootfs answers ENOTCONN. */
static int answers(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static void check_mount(struct check *k)
{
	const char *src = k->b.source;
	pid_t pid = bt_status_lock_pid(&k->b, "daemon.lock");
	bool mounted = bt_btsootfs_at(src);
	int rc = mounted ? answers(src) : 0;

	if (mounted && (pid == 0 || rc == -ENOTCONN))
		say(k, FAIL, "source", BT_EXIT_SOURCE, "btsootfs is mounted at %s but its daemon "
		    "is gone (a dead mount): `umount -l %s`, mount the block again, then sync "
		    "(it reconciles by rescan)", src, src);
	else if (mounted && rc < 0)
		say(k, FAIL, "source", BT_EXIT_SOURCE, "btsootfs mounted at %s (pid %d) does not "
		    "answer: %s", src, (int)pid, strerror(-rc));
	else if (mounted)
		say(k, OK, "source", 0, "btsootfs is mounted at %s (pid %d) and answers", src,
		    (int)pid);
	else if (pid != 0)
		say(k, WARN, "source", 0, "btsootfs (pid %d) runs but %s is not mounted through it "
		    "(unmounted with -l while files were open?): a sync refuses until it stops",
		    (int)pid, src);
	else if (k->b.scan_offline_changes)
		say(k, WARN, "source", 0, "btsootfs is not mounted at %s: changes made there now "
		    "are found by the next sync's walk, not journaled (mount -t fuse.btsootfs %s "
		    "%s -o block=%s)", src, src, src, k->b.name);
	else
		say(k, WARN, "source", 0, "btsootfs is not mounted at %s and scan_offline_changes "
		    "= 0: changes made there now never reach the remote (mount it)", src);
}

/* True when the source is a directory. */
static bool check_source(struct check *k)
{
	const char *src = k->b.source;

	if (check_dir(k, "source", src, BT_EXIT_SOURCE) < 0)
		return false;
	if (k->b.source_is_mount && !bt_other_mount_at(src)) {
		say(k, FAIL, "source", BT_EXIT_SOURCE, "%s is not mounted (a filesystem was "
		    "mounted there when the block was added): mount it", src);
		return true;
	}
	say(k, OK, "source", 0, "%s is a directory%s", src,
	    k->b.source_is_mount ? " with its filesystem mounted" : "");
	check_mount(k);
	return true;
}

/* The marker (bt_remote_read_marker), read without opening the remote for
 * writing: 0 names this block, -ENODATA none, -EPERM another's. */
static int read_marker(const struct bt_block *b, char *found, size_t len)
{
	int root = open(b->remote, O_PATH | O_DIRECTORY | O_CLOEXEC), area, rc;

	if (root < 0)
		return -errno;
	area = bt_open_beneath(root, BT_REMOTE_AREA, O_PATH | O_DIRECTORY, 0);
	close(root);
	if (area == -ENOENT)
		return -ENODATA;
	if (area < 0)
		return area;
	rc = bt_remote_read_marker(area, b, found, len);
	close(area);
	return rc;
}

/* True when the remote is a directory. */
static bool check_remote(struct check *k)
{
	const char *rem = k->b.remote;
	char found[512];
	int rc;

	if (check_dir(k, "remote", rem, BT_EXIT_REMOTE) < 0)
		return false;
	if (k->b.remote_is_mount && !bt_is_mount_point(rem)) {
		say(k, FAIL, "remote", BT_EXIT_REMOTE, "%s is not mounted (it was a mount point "
		    "when the block was added): mount the share", rem);
		return true;
	}
	rc = read_marker(&k->b, found, sizeof(found));
	if (rc == -ENODATA)
		say(k, FAIL, "remote", BT_EXIT_REMOTE, "%s has no btsoot marker (.btsoot/marker): "
		    "is the share mounted? (`btsoot init-remote %s` adopts it)", rem, k->b.name);
	else if (rc == -EPERM)
		say(k, FAIL, "remote", BT_EXIT_REMOTE, "%s belongs to another block (its marker "
		    "says %s); a sync would not touch it", rem, found);
	else if (rc < 0)
		say(k, FAIL, "remote", BT_EXIT_REMOTE, "%s/.btsoot/marker: %s", rem, strerror(-rc));
	else
		say(k, OK, "remote", 0, "%s is reachable%s and its marker names block '%s'", rem,
		    k->b.remote_is_mount ? ", mounted," : "", k->b.name);
	return true;
}

static void check_state_dir(struct check *k)
{
	struct stat st;

	if (stat(k->b.state, &st) < 0) {
		if (errno == ENOENT)
			say(k, WARN, "state", 0, "%s does not exist yet (btsoot add or the first "
			    "sync creates it)", k->b.state);
		else
			say(k, FAIL, "state", BT_EXIT_JOURNAL, "%s: %s", k->b.state, strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode))
		say(k, FAIL, "state", BT_EXIT_JOURNAL, "%s is not a directory", k->b.state);
	else if (st.st_mode & 077)
		say(k, WARN, "state", 0, "%s is open to other users (mode %04o; btsoot makes it "
		    "0700): chmod 700 %s", k->b.state, (unsigned)(st.st_mode & 07777), k->b.state);
	else
		say(k, OK, "state", 0, "%s is a directory of its own (mode 0700)", k->b.state);
}

static int count_row(const struct bt_op_rec *rec, void *arg)
{
	(void)rec;
	++*(int64_t *)arg;
	return 0;
}

static int count_name(const char *path, unsigned flags, void *arg)
{
	(void)path, (void)flags;
	++*(int64_t *)arg;
	return 0;
}

/* Every row of ops, pending and recheck read back against its checksum. */
static void check_rows(struct check *k, struct bt_journal *j)
{
	int64_t ops = 0, pending = 0, names = 0;
	int rc = bt_journal_read(j, 0, INT64_MAX, 0, count_row, &ops);

	rc = rc ? rc : bt_pending_read(j, count_row, &pending);
	rc = rc ? rc : bt_recheck_read(j, count_name, &names);
	if (rc == -EUCLEAN)
		say(k, FAIL, "journal", BT_EXIT_JOURNAL, "a row does not match its checksum "
		    "(garbled): unmount the block and run btsoot-sync, which sets the journal "
		    "aside and reconciles by rescan");
	else if (rc < 0)
		say(k, FAIL, "journal", BT_EXIT_JOURNAL, "reading its rows: %s", strerror(-rc));
	else
		say(k, OK, "journal", 0, "%" PRId64 " %s, %" PRId64 " pending and %" PRId64
		    " recheck %s read back, every checksum matches", ops,
		    bt_plural(ops, "row", "rows"), pending, names, bt_plural(names, "entry",
									 "entries"));
}

static void check_meta(struct check *k, struct bt_journal *j)
{
	char schema[16] = "";

	bt_meta_get(j, BT_META_SCHEMA, schema, sizeof(schema));
	if (strcmp(schema, "1") && strcmp(schema, "2")) {
		say(k, OK, "journal", 0, "schema version %s; every meta value matches its "
		    "checksum", schema);
		return;
	}
	say(k, WARN, "journal", 0, "schema version %s (older): its meta values have no "
	    "checksums until the next sync upgrades it", schema);
}

static void journal_failed(struct check *k, int rc)
{
	const char *why = bt_journal_open_why();

	if (rc == -EUCLEAN)
		say(k, FAIL, "journal", BT_EXIT_JOURNAL, "%s is corrupt (%s); it is kept as is: "
		    "unmount the block and run btsoot-sync, which sets it aside and reconciles "
		    "by rescan", k->b.journal, *why ? why : "not a btsoot journal");
	else if (rc == -EPROTO)
		say(k, FAIL, "journal", BT_EXIT_JOURNAL, "%s: %s: upgrade btsoot", k->b.journal,
		    why);
	else
		say(k, FAIL, "journal", BT_EXIT_JOURNAL, "%s: %s%s%s", k->b.journal,
		    strerror(-rc), *why ? ": " : "", why);
}

static void check_journal(struct check *k)
{
	struct bt_journal *j;
	int rc = bt_status_open_journal(&k->b, &j);

	if (rc == -ENOENT) {
		say(k, WARN, "journal", 0, "%s does not exist yet (the first sync creates it)",
		    k->b.journal);
		return;
	}
	if (rc < 0) {
		journal_failed(k, rc);
		return;
	}
	say(k, OK, "journal", 0, "%s opens read-only; PRAGMA quick_check ok", k->b.journal);
	check_meta(k, j);
	check_rows(k, j);
	bt_journal_close(j);
}

static void check_locks(struct check *k)
{
	pid_t pid = bt_status_lock_pid(&k->b, "sync.lock");

	if (pid > 0)
		say(k, OK, "lock", 0, "a sync, verify or restore of the block runs (pid %d)",
		    (int)pid);
	else if (pid < 0)
		say(k, OK, "lock", 0, "a sync, verify or restore of the block is starting");
	else
		say(k, OK, "lock", 0, "no sync, verify or restore of the block runs");
}

/* What the journal says needs doing or went wrong last time. */
static void check_history(struct check *k, const struct bt_status *s)
{
	char age[48];

	if (s->journal_rc < 0)
		return;
	if (s->unclean)
		say(k, WARN, "state", 0, "btsootfs stopped uncleanly: the next sync reconciles "
		    "by rescan");
	if (s->needs_rescan)
		say(k, WARN, "state", 0, "the journal is marked incomplete: the next sync "
		    "reconciles by rescan");
	if (!s->first_sync_done)
		say(k, WARN, "sync", 0, "the first sync has not completed yet (btsoot-sync %s)",
		    k->b.name);
	if (s->last_sync_exit >= 2)
		say(k, WARN, "sync", 0, "the last sync failed %s with exit %" PRId64 "%s%s",
		    bt_fmt_age((time_t)s->last_sync_end, time(NULL), age, sizeof(age)),
		    s->last_sync_exit, s->last_sync_error[0] ? ": " : "", s->last_sync_error);
	if (s->last_verify_exit >= 1)
		say(k, WARN, "verify", 0, "the last verify %s %s (exit %" PRId64 ")%s%s",
		    s->last_verify_exit == 1 ? "found differences" : "failed",
		    bt_fmt_age((time_t)s->last_verify_end, time(NULL), age, sizeof(age)),
		    s->last_verify_exit, s->last_verify_error[0] ? ": " : "",
		    s->last_verify_error);
}

static void check_block(struct check *k, const struct bt_dirs *d, const char *name)
{
	char err[PATH_MAX + 256];
	struct bt_status s;
	bool src, rem;

	if (!check_config(k, d, name))
		return;
	src = check_source(k);
	rem = check_remote(k);
	if (src && rem && bt_block_check_paths(&k->b, err, sizeof(err)) < 0)
		say(k, FAIL, "config", BT_EXIT_USAGE, "%s", err);
	check_state_dir(k);
	check_journal(k);
	check_locks(k);
	bt_status_read(d, name, &s);
	check_history(k, &s);
	bt_status_free(&s);
}

int bt_cmd_check(const struct bt_dirs *d, int argc, char **argv)
{
	struct check k = { 0 };
	const char *name = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			k.json = true;
		else if (!name)
			name = argv[i];
		else
			name = "";
	}
	if (!name || !*name) {
		bt_err("usage: btsoot check <block> [--json] (one block name; see btsoot check "
		       "--help)");
		return BT_EXIT_USAGE;
	}
	if (k.json) {
		bt_json_init(&k.w, stdout);
		bt_json_obj_begin(&k.w);
		bt_json_kstr(&k.w, "block", name);
		bt_json_key(&k.w, "findings");
		bt_json_arr_begin(&k.w);
	}
	check_block(&k, d, name);
	rc = k.rc ? k.rc : k.count[WARN] ? 1 : 0;
	if (!k.json)
		return rc;
	bt_json_arr_end(&k.w);
	bt_json_ki64(&k.w, "ok", k.count[OK]);
	bt_json_ki64(&k.w, "warn", k.count[WARN]);
	bt_json_ki64(&k.w, "fail", k.count[FAIL]);
	bt_json_ki64(&k.w, "exit_code", rc);
	bt_json_obj_end(&k.w);
	return bt_json_end(&k.w) < 0 ? BT_EXIT_INTERNAL : rc;
}
