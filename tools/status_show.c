/* SPDX-License-Identifier: BSD-3-Clause */
/* btsoot status as lines for a person and as JSON: see status.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "btsoot/json.h"
#include "btsoot/words.h"
#include "status.h"

#define COL "%-14s "

char *bt_iso_utc(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "@%" PRId64, t);
	return buf;
}

/* "2026-12-04 03:15:02 CET (3 h ago)", or "never". */
static char *when(int64_t t, char *buf, size_t len)
{
	char at[64], age[48];

	if (t <= 0)
		return snprintf(buf, len, "never"), buf;
	snprintf(buf, len, "%s (%s)", bt_fmt_local((time_t)t, at, sizeof(at)),
		 bt_fmt_age((time_t)t, time(NULL), age, sizeof(age)));
	return buf;
}

static void print_mount(FILE *f, const struct bt_status *s)
{
	if (s->daemon_pid > 0 && s->mounted)
		fprintf(f, COL "mounted (pid %d)\n", "btsootfs", (int)s->daemon_pid);
	else if (s->daemon_pid < 0)
		fprintf(f, COL "mounted (pid not written yet)\n", "btsootfs");
	else if (s->daemon_pid > 0)
		fprintf(f, COL "running (pid %d) but %s is not mounted through it (unmounted "
			"with -l while files were open?)\n", "btsootfs", (int)s->daemon_pid,
			s->b.source);
	else if (s->mounted)
		fprintf(f, COL "dead mount: its daemon is gone (umount -l %s, mount again, "
			"sync)\n", "btsootfs", s->b.source);
	else if (s->unclean)
		fprintf(f, COL "stopped uncleanly: the next sync rescans\n", "btsootfs");
	else
		fprintf(f, COL "not mounted\n", "btsootfs");
}

static void print_pending(FILE *f, const struct bt_status *s)
{
	char size[32];
	int64_t ops = s->pending_rows, bytes = s->pending_bytes;

	if (bytes < 1024)
		fprintf(f, COL "%" PRId64 " %s, %" PRId64 " %s to write\n", "pending", ops,
			bt_plural(ops, "operation", "operations"), bytes,
			bt_plural(bytes, "byte", "bytes"));
	else /* the exact count too */
		fprintf(f, COL "%" PRId64 " %s, %s to write (%" PRId64 " bytes)\n", "pending",
			ops, bt_plural(ops, "operation", "operations"),
			bt_fmt_bytes(bytes, size, sizeof(size)), bytes);
}

static void print_notes(FILE *f, const struct bt_status *s)
{
	if (!s->first_sync_done)
		fprintf(f, COL "first sync not done yet\n", "note");
	if (s->needs_rescan)
		fprintf(f, COL "needs a rescan (done by the next sync)\n", "note");
	if (s->remote_limits[0])
		fprintf(f, COL "the remote filesystem %s (compared no finer than that)\n",
			"remote keeps", s->remote_limits);
	if (s->recheck_n)
		fprintf(f, COL "%" PRId64 " %s the next sync compares with the source\n",
			"recheck", s->recheck_n, bt_plural(s->recheck_n, "name", "names"));
}

/* The last run, if it failed (a success records exit 0): when, its exit
 * code, why. */
static void print_failed_run(FILE *f, int64_t end, int64_t exit_code, const char *err)
{
	char age[48];

	if (end <= 0 || exit_code < 2)
		return;
	fprintf(f, COL "failed %s with exit %" PRId64 "%s%s\n", "  last run",
		bt_fmt_age((time_t)end, time(NULL), age, sizeof(age)), exit_code,
		*err ? ": " : "", err);
}

static void print_times(FILE *f, const struct bt_status *s)
{
	char buf[128], size[32];
	const char *m = s->verify_mode;

	fprintf(f, COL "%s\n", "last sync", when(s->last_sync, buf, sizeof(buf)));
	if (s->last_sync_bytes >= 0)
		fprintf(f, COL "%s\n", "  written", bt_fmt_bytes(s->last_sync_bytes, size,
								 sizeof(size)));
	print_failed_run(f, s->last_sync_end, s->last_sync_exit, s->last_sync_error);
	fprintf(f, COL "%s\n", "last verify", when(s->last_verify, buf, sizeof(buf)));
	if (s->verify_result[0])
		fprintf(f, COL "%s, %s\n", "  result", s->verify_result,
			!*m ? "full or quick: not recorded"
			: !strncmp(m, "quick", 5) ? "quick (metadata only, no hashing)"
			: strstr(m, "slice") ? m : "full (contents hashed)");
	fprintf(f, COL "%s", "whole tree verified", when(s->covered, buf, sizeof(buf)));
	if (s->covered && s->covered_slices)
		fprintf(f, " (by %" PRId64 " slices)", s->covered_slices);
	else if (!s->covered && s->slices)
		fprintf(f, " (a slice of %" PRId64 " has not run yet)", s->slices);
	fputc('\n', f);
	print_failed_run(f, s->last_verify_end, s->last_verify_exit, s->last_verify_error);
}

static void print_trash(FILE *f, const struct bt_status *s)
{
	char size[32];

	if (s->trash_rc == -ENODATA)
		fprintf(f, COL "unknown: %s has no .btsoot (remote not mounted?)\n", "trash",
			s->b.remote);
	else if (s->trash_rc < 0)
		fprintf(f, COL "unknown: %s/.btsoot/trash: %s\n", "trash", s->b.remote,
			strerror(-s->trash_rc));
	else
		fprintf(f, COL "%s in %" PRId64 " %s (%" PRId64 " %s, kept %d days)\n", "trash",
			bt_fmt_bytes(s->trash_bytes, size, sizeof(size)), s->trash_files,
			bt_plural(s->trash_files, "file", "files"), s->trash_runs,
			bt_plural(s->trash_runs, "sync", "syncs"), s->b.trash_days);
}

void bt_status_print(FILE *f, const struct bt_status *s)
{
	fprintf(f, COL "%s\n" COL "%s\n" COL "%s\n", "block", s->b.name, "source", s->b.source,
		"remote", s->b.remote);
	if (s->journal_rc < 0) {
		fprintf(f, COL "%s\n", "journal", s->journal_rc == -ENOENT ? "none yet" :
			s->journal_rc == -EUCLEAN ? "corrupt: the next btsoot-sync (unmounted) "
			"sets it aside and rescans" : strerror(-s->journal_rc));
		return;
	}
	print_mount(f, s);
	print_pending(f, s);
	print_notes(f, s);
	print_times(f, s);
	print_trash(f, s);
}

/* A time as two members: KEY (epoch seconds) and KEY_iso; null when 0. */
static void json_time(struct bt_json *w, const char *key, int64_t t)
{
	char iso[40], k[64];

	snprintf(k, sizeof(k), "%s_iso", key);
	if (t <= 0) {
		bt_json_knull(w, key);
		bt_json_knull(w, k);
		return;
	}
	bt_json_ki64(w, key, t);
	bt_json_kstr(w, k, bt_iso_utc(t, iso, sizeof(iso)));
}

static void json_i64_or_null(struct bt_json *w, const char *key, int64_t v, int64_t none)
{
	if (v == none)
		bt_json_knull(w, key);
	else
		bt_json_ki64(w, key, v);
}

static void json_str_or_null(struct bt_json *w, const char *key, const char *v)
{
	bt_json_kstr(w, key, v && *v ? v : NULL);
}

static void json_last_sync(struct bt_json *w, const struct bt_status *s)
{
	bt_json_key(w, "last_sync");
	bt_json_obj_begin(w);
	json_time(w, "success_time", s->last_sync);
	json_i64_or_null(w, "bytes_written", s->last_sync_bytes, -1);
	json_time(w, "end_time", s->last_sync_end);
	json_i64_or_null(w, "exit_code", s->last_sync_exit, -1);
	json_str_or_null(w, "error", s->last_sync_error);
	bt_json_obj_end(w);
}

static void json_last_verify(struct bt_json *w, const struct bt_status *s)
{
	const char *m = s->verify_mode;

	bt_json_key(w, "last_verify");
	bt_json_obj_begin(w);
	json_time(w, "time", s->last_verify);
	bt_json_kstr(w, "mode", !*m ? NULL : !strncmp(m, "quick", 5) ? "quick" : "full");
	if (*m)
		bt_json_kbool(w, "repair", strstr(m, "repair") != NULL);
	else
		bt_json_knull(w, "repair");
	json_str_or_null(w, "result", s->verify_result);
	json_i64_or_null(w, "differences", s->last_verify_diffs, -1);
	json_time(w, "end_time", s->last_verify_end);
	json_i64_or_null(w, "exit_code", s->last_verify_exit, -1);
	json_str_or_null(w, "error", s->last_verify_error);
	json_i64_or_null(w, "slices", s->slices, 0);
	bt_json_obj_end(w);
	bt_json_key(w, "whole_tree_verified");
	bt_json_obj_begin(w);
	json_time(w, "time", s->covered);
	json_i64_or_null(w, "slices", s->covered_slices, 0);
	bt_json_obj_end(w);
}

static void json_mount(struct bt_json *w, const struct bt_status *s)
{
	bt_json_kbool(w, "mounted", s->mounted && s->daemon_pid != 0);
	json_i64_or_null(w, "daemon_pid", s->daemon_pid > 0 ? s->daemon_pid : 0, 0);
	bt_json_kbool(w, "daemon_running", s->daemon_pid != 0);
	bt_json_kbool(w, "dead_mount", s->mounted && s->daemon_pid == 0);
	bt_json_kbool(w, "stopped_uncleanly", s->unclean);
	json_i64_or_null(w, "sync_pid", s->sync_pid > 0 ? s->sync_pid : 0, 0);
}

static void json_trash(struct bt_json *w, const struct bt_status *s)
{
	bt_json_key(w, "trash");
	if (s->trash_rc < 0) {
		bt_json_null(w);
		bt_json_kstr(w, "trash_error", s->trash_rc == -ENODATA ?
			     "the remote has no .btsoot (not mounted?)" : strerror(-s->trash_rc));
		return;
	}
	bt_json_obj_begin(w);
	bt_json_ki64(w, "bytes", s->trash_bytes);
	bt_json_ki64(w, "files", s->trash_files);
	bt_json_ki64(w, "runs", s->trash_runs);
	bt_json_ki64(w, "keep_days", s->b.trash_days);
	bt_json_obj_end(w);
	bt_json_knull(w, "trash_error");
}

static void json_journal(struct bt_json *w, const struct bt_status *s)
{
	bt_json_key(w, "pending");
	bt_json_obj_begin(w);
	bt_json_ki64(w, "rows", s->pending_rows);
	bt_json_ki64(w, "bytes", s->pending_bytes);
	bt_json_obj_end(w);
	bt_json_kbool(w, "first_sync_done", s->first_sync_done);
	bt_json_kbool(w, "needs_rescan", s->needs_rescan);
	bt_json_ki64(w, "mirror_entries", s->mirror_entries);
	json_last_sync(w, s);
	json_last_verify(w, s);
	json_str_or_null(w, "remote_limits", s->remote_limits);
	bt_json_key(w, "recheck");
	bt_json_obj_begin(w);
	bt_json_ki64(w, "count", s->recheck_n);
	bt_json_key(w, "names");
	bt_json_arr_begin(w);
	for (int64_t i = 0; i < s->recheck_n && i < BT_STATUS_RECHECK_LIST; i++)
		bt_json_str(w, s->recheck[i]);
	bt_json_arr_end(w);
	bt_json_obj_end(w);
}

static const char *journal_error(int rc)
{
	return rc == -ENOENT ? "none yet" : rc == -EUCLEAN ? "corrupt" : strerror(-rc);
}

void bt_status_json(struct bt_json *w, const struct bt_status *s)
{
	bt_json_obj_begin(w);
	bt_json_kstr(w, "name", s->b.name);
	if (s->load_rc < 0) {
		bt_json_kstr(w, "error", s->load_err);
		bt_json_obj_end(w);
		return;
	}
	bt_json_knull(w, "error");
	bt_json_kstr(w, "source", s->b.source);
	bt_json_kstr(w, "remote", s->b.remote);
	bt_json_kstr(w, "config", s->b.conf_path);
	bt_json_kstr(w, "state_dir", s->b.state);
	json_mount(w, s);
	json_trash(w, s);
	bt_json_kstr(w, "journal_error", s->journal_rc < 0 ? journal_error(s->journal_rc) : NULL);
	if (s->journal_rc == 0)
		json_journal(w, s);
	bt_json_obj_end(w);
}
