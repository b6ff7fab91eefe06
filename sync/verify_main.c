/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * btsoot-verify <block> [--repair]: the safety net. Hashes both trees with
 * XXH3-128 and prints one line per difference; --repair makes the remote
 * equal to the source, after the sync's mass-deletion guard (--force
 * passes it).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
#include "progress.h"
#include "reconcile.h"
#include "rescan.h"
#include "safety.h"

struct args {
	struct bt_cli cli;
	bool repair, quick, force;
	bool json;      /* one JSON object on stdout instead of lines */
	struct bt_json w; /* with json: the object, its differences streamed */
	int threads;
	unsigned slice, slices; /* --slice K/N; slices 0: the whole tree */
	struct bt_progress prog; /* the line on a terminal (progress.h) */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: btsoot-verify [--repair [--force]] [--quick] [-j|--jobs N] [--json]\n"
		   "                     [--slice K/N] [-v|--verbose] [-q|--quiet] [--no-syslog]\n"
		   "                     [--config-dir DIR] [--state-dir DIR] <block>\n"
		   "       btsoot-verify -h|--help | --version\n"
		   "Prints one line per difference; the summary with -v or on a terminal.\n"
		   "--json: the differences and the counts as one JSON object.\n"
		   "--slice K/N: only the K-th of N fixed parts of the tree (whole top-level\n"
		   "subtrees); N runs with K = 1..N cover it all (btsoot-verify(8) SLICES).\n"
		   "Errors, warnings and a summary also go to syslog, naming the block\n"
		   "(--no-syslog: not).\n"
		   "Exit: 0 equal, 1 different, 2 and up errors (see btsoot-verify(8)).\n");
}

/* "K/N" with 1 <= K <= N <= 10000, or -EINVAL after one line. */
static int parse_slice(const char *arg, unsigned *k, unsigned *n)
{
	int used = 0;

	if (sscanf(arg, "%u/%u%n", k, n, &used) != 2 || arg[used] || !isdigit((unsigned char)*arg) ||
	    *n < 1 || *n > 10000 || *k < 1 || *k > *n) {
		fprintf(stderr, "btsoot-verify: --slice wants K/N with 1 <= K <= N <= 10000 "
			"(e.g. 3/7), not '%s'\n", arg);
		return -EINVAL;
	}
	return 0;
}

static bool verify_opt(int ch, const char *arg, void *ctx)
{
	struct args *a = ctx;

	if (ch == 'S')
		return parse_slice(arg, &a->slice, &a->slices) == 0;
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
		{ "slice", required_argument, NULL, 'S' },
		{ 0 }
	};
	int rc;

	a->cli = (struct bt_cli){ .prog = "btsoot-verify", .usage = usage };
	rc = bt_cli_parse(&a->cli, argc, argv, extra, "j:", verify_opt, a);
	if (rc == 0 && a->force && !a->repair) {
		bt_err("--force only applies to --repair: add --repair, or leave --force out");
		rc = BT_EXIT_USAGE;
	}
	if (rc == 0 && a->slices && a->quick) {
		bt_err("--slice splits the hashing verify; --quick compares metadata only and "
		       "is quick enough whole: leave one of them out");
		rc = BT_EXIT_USAGE;
	}
	return rc;
}

static void print_diff(void *arg, enum bt_diff_kind kind, const char *rel,
		       const char *detail)
{
	struct args *a = arg;
	char p[1024], d[256];

	bt_progress_clear(&a->prog); /* stdout may be the same terminal */
	printf("%s %s%s%s\n", bt_diff_kind_name(kind),
	       bt_path_printable(*rel ? rel : ".", p, sizeof(p)), *detail ? ": " : "",
	       bt_cli_diff_detail(kind, detail, d, sizeof(d)));
}

/* --json: one member of the "differences" array, as it is found. */
static void json_diff(void *arg, enum bt_diff_kind kind, const char *rel, const char *detail)
{
	struct args *a = arg;
	struct bt_json *w = &a->w;

	bt_progress_clear(&a->prog);
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
	if (a->slices) {
		char sl[32];

		snprintf(sl, sizeof(sl), "%u/%u", a->slice, a->slices);
		bt_json_kstr(&a->w, "slice", sl);
	}
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

/* --slice --repair: a difference, said as usual, whose name the repair
 * makes equal to the live source; the journal no longer vouches for it
 * (its rows may already be in effect), so the next sync compares it
 * instead of replaying them (recheck, btsoot/journal.h). */
struct slice_repair {
	struct args *a;
	struct bt_ctx *c;
	int rc;
};

static void slice_diff(void *arg, enum bt_diff_kind kind, const char *rel, const char *detail)
{
	struct slice_repair *s = arg;
	int rc;

	(s->a->json ? json_diff : print_diff)(s->a, kind, rel, detail);
	rc = bt_recheck_add(s->c->j, rel, *rel ? BT_RECHECK_DEEP | BT_RECHECK_CONTENT : 0);
	if (rc < 0 && s->rc == 0)
		s->rc = rc;
}

/* A repair of one slice: the walk repairs; bt_reconcile_all would mark
 * the whole journal covered, which one slice cannot. */
static int repair_slice(struct bt_ctx *c, struct args *a, const struct bt_rescan_opts *o,
			struct bt_rescan_stats *st)
{
	struct slice_repair s = { a, c, 0 };
	struct bt_rescan_opts so = *o;
	int rc;

	so.on_diff = slice_diff;
	so.arg = &s;
	rc = bt_rescan(&c->remote, c->readfd, &so, st);
	bt_mirror_entries_repaired(c, st);
	return rc ? rc : s.rc;
}

/* What a walk that went to its end says for the next runs: the source's
 * bytes (a progress total) after the whole tree, when it was covered by a
 * hashing verify, whole or slice by slice. */
static void record_coverage(struct bt_ctx *c, const struct args *a,
			    const struct bt_rescan_stats *st)
{
	int64_t now = (int64_t)time(NULL);
	char key[64];

	if (!a->slices)
		bt_meta_set_i64(c->j, BT_META_SOURCE_BYTES, st->bytes);
	if (a->quick)
		return;
	if (!a->slices) {
		bt_meta_set_i64(c->j, BT_META_VERIFY_COVERED, now);
		return;
	}
	snprintf(key, sizeof(key), BT_META_VERIFY_SLICE_FMT, a->slices, a->slice);
	bt_meta_set_i64(c->j, BT_META_VERIFY_SLICES, a->slices);
	bt_meta_set_i64(c->j, key, now);
}

/* The progress line: of the whole tree as the last whole pass saw it; a
 * slice's share of it is not known (counts and rate only). */
static void progress_start(struct bt_ctx *c, struct args *a)
{
	int64_t entries = 0, bytes = -1;

	bt_progress_init(&a->prog, "btsoot-verify", !a->cli.quiet && isatty(2));
	a->prog.v.entries = true;
	bt_meta_get_i64_or(c->j, BT_META_MIRROR_ENTRIES, &entries, 0);
	bt_meta_get_i64_or(c->j, BT_META_SOURCE_BYTES, &bytes, -1);
	if (!a->slices && entries > 0 && bytes >= 0)
		bt_progress_total(&a->prog, entries, bytes);
}

/* A repair that the remote refused for an entry (permissions, an
 * immutable or read-only directory): the remote is there and still
 * differs, which is exit 1 for a cron job, not "remote missing" (3). */
static bool refused(int rc)
{
	return rc == -EPERM || rc == -EACCES || rc == -EROFS || rc == -EBUSY ||
	       rc == -ETXTBSY || rc == -EEXIST || rc == -ENOTEMPTY;
}

/* "full", "quick repair", "full slice 2/7"... */
static void set_mode(struct bt_ctx *c, const struct args *a)
{
	char mode[64];
	int n = snprintf(mode, sizeof(mode), "%s%s", a->quick ? "quick" : "full",
			 a->repair ? " repair" : "");

	if (a->slices)
		snprintf(mode + n, sizeof(mode) - n, " slice %u/%u", a->slice, a->slices);
	bt_meta_set(c->j, BT_META_LAST_VERIFY_MODE, mode);
}

/* The run's outcome for syslog (a failure was logged as an error): info
 * when the trees are equal or were repaired, a warning when differences
 * are left (the lines naming them went to stdout only). */
static void syslog_summary(const struct args *a, const struct bt_rescan_stats *st,
			   const char *result, double secs)
{
	int64_t left = st->differences + st->errors - (a->repair ? st->repaired : 0);
	char size[32], slice[32] = "";

	if (a->slices)
		snprintf(slice, sizeof(slice), " of slice %u/%u", a->slice, a->slices);
	bt_log_syslog(left > 0 ? BT_LOG_WARNING : BT_LOG_INFO,
		      "block '%s': %s%s verify%s: %s; %" PRId64 " %s, %s hashed in %.1f s%s",
		      a->cli.block, a->quick ? "quick" : "full", a->repair ? " repair" : "",
		      slice, result, st->entries, bt_plural(st->entries, "entry", "entries"),
		      bt_fmt_bytes(st->hashed_bytes, size, sizeof(size)), secs,
		      left > 0 ? " (btsoot-verify lists them)" : "");
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
		.threads = a.threads, .on_diff = a.json ? json_diff : print_diff, .arg = &a,
		.progress = &a.prog, .slice = a.slice, .slices = a.slices,
	};
	if (a.json) {
		bt_json_key(&a.w, "differences");
		bt_json_arr_begin(&a.w);
	}
	progress_start(&c, &a);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (a.repair && a.slices)
		rc = repair_slice(&c, &a, &o, &st);
	else
		rc = a.repair ? repair(&c, &o, &st) : bt_rescan(&c.remote, c.srcfd, &o, &st);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	bt_progress_end(&a.prog);
	if (rc >= 0)
		record_coverage(&c, &a, &st);
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
	if (!a.slices) /* the whole tree's */
		bt_meta_set_i64(c.j, BT_META_LAST_VERIFY_DIFFS, diffs);
	set_mode(&c, &a);
	if (rc <= BT_EXIT_DIFFERENT)
		syslog_summary(&a, &st, result,
			       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	else if (rc == BT_EXIT_IO && st.errors)
		bt_log_syslog(BT_LOG_ERR, "%s", c.err);
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
