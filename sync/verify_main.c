/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * btsoot-verify <block> [--repair]: the safety net. Hashes both trees with
 * XXH3-128 and prints one line per difference; --repair makes the remote
 * equal to the source, after the sync's mass-deletion guard (--force
 * passes it).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "btsoot/exitcodes.h"
#include "btsoot/fsclock.h"
#include "btsoot/json.h"
#include "btsoot/log.h"
#include "btsoot/pathsafe.h"
#include "btsoot/words.h"
#include "config.h"
#include "cli.h"
#include "context.h"
#include "lastrun.h"
#include "offline.h"
#include "reconcile.h"
#include "rescan.h"
#include "safety.h"

struct args {
	struct bt_cli cli;
	bool repair, quick, force;
	bool json;      /* one JSON object on stdout instead of lines */
	struct bt_json w; /* with json: the object, its differences streamed */
	int threads;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: btsoot-verify [--repair [--force]] [--quick] [-j|--jobs N] [--json]\n"
		   "                     [-v|--verbose] [-q|--quiet] [--config-dir DIR]\n"
		   "                     [--state-dir DIR] <block>\n"
		   "       btsoot-verify -h|--help | --version\n"
		   "Prints one line per difference; the summary with -v or on a terminal.\n"
		   "--json: the differences and the counts as one JSON object.\n"
		   "Exit: 0 equal, 1 different, 2 and up errors (see btsoot-verify(8)).\n");
}

static bool verify_opt(int ch, const char *arg, void *ctx)
{
	struct args *a = ctx;

	if (ch == 'r')
		a->repair = true;
	else if (ch == 'k')
		a->quick = true;
	else if (ch == 'F')
		a->force = true;
	else if (ch == 'J')
		a->json = true;
	else if (ch == 'j')
		return bt_cli_count(&a->cli, "-j/--jobs", arg, 1, 1024, &a->threads) == 0;
	else
		return false;
	return true;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option extra[] = {
		{ "repair", no_argument, NULL, 'r' },
		{ "quick", no_argument, NULL, 'k' },
		{ "force", no_argument, NULL, 'F' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "json", no_argument, NULL, 'J' },
		{ 0 }
	};
	int rc;

	a->cli = (struct bt_cli){ .prog = "btsoot-verify", .usage = usage };
	rc = bt_cli_parse(&a->cli, argc, argv, extra, "j:", verify_opt, a);
	if (rc == 0 && a->force && !a->repair) {
		bt_err("--force only applies to --repair: add --repair, or leave --force out");
		rc = BT_EXIT_USAGE;
	}
	return rc;
}

static void print_diff(void *arg, enum bt_diff_kind kind, const char *rel,
		       const char *detail)
{
	char p[1024], d[256];

	(void)arg;
	printf("%s %s%s%s\n", bt_diff_kind_name(kind),
	       bt_path_printable(*rel ? rel : ".", p, sizeof(p)), *detail ? ": " : "",
	       bt_cli_diff_detail(kind, detail, d, sizeof(d)));
}

/* --json: one member of the "differences" array, as it is found. */
static void json_diff(void *arg, enum bt_diff_kind kind, const char *rel, const char *detail)
{
	struct bt_json *w = arg;

	bt_json_obj_begin(w);
	bt_json_kstr(w, "kind", bt_diff_kind_name(kind));
	bt_json_kstr(w, "path", *rel ? rel : ".");
	bt_json_kstr(w, "detail", detail);
	bt_json_obj_end(w);
}

static void json_begin(struct args *a)
{
	bt_json_init(&a->w, stdout);
	bt_json_obj_begin(&a->w);
	bt_json_kstr(&a->w, "block", a->cli.block);
	bt_json_kstr(&a->w, "mode", a->quick ? "quick" : "full");
	bt_json_kbool(&a->w, "repair", a->repair);
}

/* The rest of the object: counts (st NULL: the verify did not start),
 * result, exit code and error. BT_EXIT_INTERNAL if it could not be
 * written whole, else rc. */
static int json_end(struct args *a, const struct bt_rescan_stats *st, const char *result,
		    int rc, const char *err, double secs)
{
	struct bt_json *w = &a->w;

	if (st) {
		bt_json_arr_end(w); /* "differences" */
		bt_json_key(w, "counts");
		bt_json_obj_begin(w);
		bt_json_ki64(w, "entries", st->entries);
		bt_json_ki64(w, "bytes", st->bytes);
		bt_json_ki64(w, "hashed_bytes", st->hashed_bytes);
		bt_json_ki64(w, "differences", st->differences);
		bt_json_ki64(w, "errors", st->errors);
		bt_json_ki64(w, "repaired", st->repaired);
		bt_json_obj_end(w);
		bt_json_ki64(w, "milliseconds", (int64_t)(secs * 1000));
	}
	bt_json_kstr(w, "result", result);
	bt_json_ki64(w, "exit_code", rc);
	bt_json_kstr(w, "error", rc > BT_EXIT_DIFFERENT && err && *err ? err : NULL);
	bt_json_obj_end(w);
	return bt_json_end(w) < 0 && rc == 0 ? BT_EXIT_INTERNAL : rc;
}

/* A repair changes the remote from the live source: the journal must then
 * say what the remote reflects, or the next sync would replay rows onto a
 * remote that already holds their effect (reconcile.h). */
static int repair(struct bt_ctx *c, const struct bt_rescan_opts *o, struct bt_rescan_stats *st)
{
	struct timespec began;
	int daemon_pid = bt_ctx_daemon_pid(c);
	int rc;

	bt_fs_now(c->block.state, &began);
	rc = bt_reconcile_all(c, o, st);
	if (rc == 0) /* what changed while unmounted was compared too */
		bt_offline_covered(c, &began, daemon_pid);
	else if (c->err[0])
		bt_warn("%s", c->err);
	return rc;
}

/* A repair that the remote refused for an entry (permissions, an
 * immutable or read-only directory): the remote is there and still
 * differs, which is exit 1 for a cron job, not "remote missing" (3). */
static bool refused(int rc)
{
	return rc == -EPERM || rc == -EACCES || rc == -EROFS || rc == -EBUSY ||
	       rc == -ETXTBSY || rc == -EEXIST || rc == -ENOTEMPTY;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	struct bt_rescan_stats st;
	struct bt_rescan_opts o;
	struct timespec t0, t1;
	struct bt_ctx c;
	char result[64], size[32];
	int64_t diffs;
	int rc;

	bt_log_init("btsoot-verify", BT_LOG_NOTICE);
	rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	bt_cli_log_init(&a.cli);
	if (a.json)
		json_begin(&a);
	rc = bt_ctx_open(&c, &a.cli.dirs, a.cli.block, BT_CTX_JOURNAL | BT_CTX_RECOVER | BT_CTX_REMOTE |
			 BT_CTX_SOURCE | BT_CTX_LOCK); /* opening the remote empties .btsoot/tmp */
	if (rc == 0)
		bt_ctx_say_remote_limits(&c);
	/* A repair deletes from the remote: never against an unmounted or
	 * emptied source, nor more of it than the sync would. */
	if (rc == 0 && a.repair)
		rc = bt_check_source(&c, a.force);
	if (rc == 0 && a.repair && !a.force)
		rc = bt_check_rescan(&c, &st);
	if (rc) {
		bt_err("%s", c.err);
		if (a.json)
			json_end(&a, NULL, NULL, rc, c.err, 0);
		if (c.lockfd >= 0 && bt_lastrun_record(c.j, BT_RUN_VERIFY, rc, c.err) < 0)
			bt_warn("block '%s': cannot record this verify's result", a.cli.block);
		if (c.lockfd >= 0)
			bt_ctx_close(&c);
		else
			bt_lastrun_record_open_failure(&a.cli.dirs, a.cli.block, BT_RUN_VERIFY,
						       rc, c.err);
		return rc;
	}
	o = (struct bt_rescan_opts){
		.mode = a.quick ? BT_CMP_QUICK : BT_CMP_HASH, .repair = a.repair,
		.threads = a.threads, .on_diff = a.json ? json_diff : print_diff, .arg = &a.w,
	};
	if (a.json) {
		bt_json_key(&a.w, "differences");
		bt_json_arr_begin(&a.w);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = a.repair ? repair(&c, &o, &st) : bt_rescan(&c.remote, c.srcfd, &o, &st);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fflush(stdout);
	if (rc < 0) {
		int err = -rc;

		snprintf(result, sizeof(result), "error: %s", strerror(err));
		rc = a.repair && refused(rc) ? BT_EXIT_DIFFERENT : bt_exit_for_errno(rc);
		if (bt_ctx_check_alive(&c)) {
			rc = BT_EXIT_SOURCE;
		} else {
			snprintf(c.err, sizeof(c.err), "block '%s': verify stopped: %s; rerun it "
				 "once that is fixed", a.cli.block, strerror(err));
		}
		bt_err("%s", c.err);
		diffs = -1;
	} else {
		int64_t left = st.differences + st.errors - (a.repair ? st.repaired : 0);

		if (st.differences + st.errors == 0)
			snprintf(result, sizeof(result), "equal");
		else
			snprintf(result, sizeof(result), "%" PRId64 " %s%s",
				 st.differences + st.errors,
				 bt_plural(st.differences + st.errors, "difference", "differences"),
				 a.repair ? " (repaired)" : "");
		rc = left > 0 ? BT_EXIT_DIFFERENT : BT_EXIT_OK;
		if (st.errors && a.repair)
			rc = BT_EXIT_IO;
		diffs = st.differences + st.errors;
		c.err[0] = '\0';
		if (rc == BT_EXIT_IO)
			snprintf(c.err, sizeof(c.err), "%" PRId64 " %s could not be read or repaired",
				 st.errors, bt_plural(st.errors, "entry", "entries"));
	}
	bt_meta_set_i64(c.j, BT_META_LAST_VERIFY, (int64_t)time(NULL));
	bt_meta_set(c.j, BT_META_LAST_VERIFY_RESULT, result);
	bt_meta_set_i64(c.j, BT_META_LAST_VERIFY_DIFFS, diffs);
	bt_meta_set(c.j, BT_META_LAST_VERIFY_MODE, a.quick ? (a.repair ? "quick repair" : "quick")
						      : (a.repair ? "full repair" : "full"));
	if (bt_cli_chatty(&a.cli))
		fprintf(stderr, "btsoot-verify: block '%s': %" PRId64 " %s, %s hashed, %" PRId64
			" %s (%" PRId64 " repaired) in %.2f s\n", a.cli.block, st.entries,
			bt_plural(st.entries, "entry", "entries"),
			bt_fmt_bytes(st.hashed_bytes, size, sizeof(size)), st.differences + st.errors,
			bt_plural(st.differences + st.errors, "difference", "differences"),
			st.repaired,
			(double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (a.json)
		rc = json_end(&a, &st, result, rc, c.err,
			      (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (bt_lastrun_record(c.j, BT_RUN_VERIFY, rc, c.err) < 0)
		bt_warn("block '%s': cannot record this verify's result in journal %s",
			a.cli.block, c.block.journal);
	bt_ctx_close(&c);
	return rc;
}
