/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * btsoot-sync <block>: bring the remote up to date with the source.
 * The first run (and a run after an unclean daemon stop or a broken
 * journal) mirrors by rescanning; every other run replays the journal.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btsoot/exitcodes.h"
#include "btsoot/fsclock.h"
#include "btsoot/log.h"
#include "btsoot/rescan_note.h"
#include "btsoot/words.h"
#include "config.h"
#include "cli.h"
#include "context.h"
#include "dryrun.h"
#include "lastrun.h"
#include "offline.h"
#include "plan.h"
#include "progress.h"
#include "safety.h"
#include "replay.h"
#include "reconcile.h"
#include "rescan.h"
#include "runreport.h"

struct args {
	struct bt_cli cli;
	bool verbose; /* = cli.verbose: every difference a rescan fixes, every planned op */
	bool dry_run; /* print the plan, change nothing */
	bool force;   /* past the empty-source and mass-deletion checks */
	bool json;    /* one JSON object on stdout: the plan (dry_run) or the run */
	struct bt_dry *dry; /* with json and dry_run: what the dry run found */
	struct bt_sync_report rep; /* the run, for syslog and --json (runreport.h) */
	struct bt_progress prog; /* the line on a terminal (progress.h) */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: btsoot-sync [-v|--verbose] [-q|--quiet] [-n|--dry-run] [--json] [--force]\n"
		   "                   [--no-syslog] [--config-dir DIR] [--state-dir DIR] <block>\n"
		   "       btsoot-sync -h|--help | --version\n"
		   "Replays the block's journal onto its remote. Silent on success unless\n"
		   "-v or on a terminal; -q: errors only. --json: how the run ended (with\n"
		   "--dry-run: what it would do) as one JSON object. Errors, warnings and a\n"
		   "summary also go to syslog, naming the block (--no-syslog: not).\n"
		   "Exit codes: btsoot-sync(8).\n");
}

static bool sync_opt(int ch, const char *arg, void *ctx)
{
	struct args *a = ctx;

	if (ch == 'n')
		a->dry_run = true;
	else if (ch == 'F')
		a->force = true;
	else if (ch == 'J')
		a->json = true;
	else
		return false;
	return true;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option extra[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'F' },
		{ "json", no_argument, NULL, 'J' },
		{ 0 }
	};

	int rc;

	a->cli = (struct bt_cli){ .prog = "btsoot-sync", .usage = usage };
	rc = bt_cli_parse(&a->cli, argc, argv, extra, "n", sync_opt, a);
	a->verbose = a->cli.verbose && !a->json;
	return rc;
}

static int find_root(const char *path, unsigned flags, void *arg)
{
	if (!*path && (flags & BT_RECHECK_DEEP))
		*(bool *)arg = true;
	return 0;
}

/* Why the journal cannot be trusted alone, or NULL. */
static const char *rescan_reason(struct bt_ctx *c)
{
	bool whole = false;

	char buf[32];
	ino_t note;
	int64_t v = 0;

	if (bt_meta_get_i64(c->j, BT_META_FIRST_SYNC, &v) < 0 || v != 1)
		return "first sync: mirroring the whole source";
	if (bt_meta_get_i64(c->j, BT_META_NEEDS_RESCAN, &v) == 0 && v == 1) {
		if (bt_meta_get(c->j, BT_META_SET_ASIDE, c->aside, sizeof(c->aside)) == 0 &&
		    c->aside[0])
			return "the journal was corrupt (kept aside, see above)";
		return "the journal is marked incomplete";
	}
	if (bt_rescan_note_get(c->block.state, &note) == 1)
		return "btsootfs could not journal every change";
	if (bt_meta_get(c->j, BT_META_STATE, buf, sizeof(buf)) == 0 &&
	    !strcmp(buf, "mounted") && bt_ctx_daemon_pid(c) == 0)
		return "btsootfs stopped uncleanly";
	if (bt_recheck_read(c->j, find_root, &whole) == 0 && whole)
		return "an earlier sync could not follow the journal";
	return NULL;
}

static void print_diff(void *arg, enum bt_diff_kind kind, const char *rel,
		       const char *detail)
{
	char d[256];

	if (*(bool *)arg)
		fprintf(stderr, "btsoot-sync: %s %s %s\n", bt_diff_kind_name(kind), rel,
			bt_cli_diff_detail(kind, detail, d, sizeof(d)));
}

/* The progress line, from zero: for a rescan (the whole source: the
 * entries and bytes the last full pass saw, when known) or for the
 * replay (its totals come from the replay, its counts from the remote). */
static void progress_start(struct bt_ctx *c, struct args *a, bool whole)
{
	int64_t entries = 0, bytes = -1;

	bt_progress_init(&a->prog, "btsoot-sync", !a->cli.quiet && !a->dry_run && isatty(2));
	if (!whole) {
		bt_progress_base(&a->prog, c->remote.st.files_written, c->remote.st.bytes_written);
		c->progress = c->remote.progress = &a->prog;
		return;
	}
	a->prog.v.entries = true;
	bt_meta_get_i64_or(c->j, BT_META_MIRROR_ENTRIES, &entries, 0);
	bt_meta_get_i64_or(c->j, BT_META_SOURCE_BYTES, &bytes, -1);
	if (entries > 0 && bytes >= 0)
		bt_progress_total(&a->prog, entries, bytes);
}

/* Full mirror by rescan, after a report-only pass that refuses a repair
 * deleting too much of the remote (unless --force). */
static int rescan(struct bt_ctx *c, struct args *a, const char *why)
{
	struct bt_rescan_opts o = {
		.mode = BT_CMP_QUICK, .repair = true,
		.progress = &a->prog,
		.on_diff = print_diff, .arg = &a->verbose,
	};
	struct bt_rescan_stats st = { .differences = 1 };
	struct timespec began;
	int daemon_pid = bt_ctx_daemon_pid(c);
	int rc;

	bt_notice("block '%s': %s; reconciling by rescan", c->block.name, why);
	bt_fs_now(c->block.state, &began);
	if (!a->force && (rc = bt_check_rescan(c, &st)))
		return rc;
	progress_start(c, a, true);
	/* Even when the report found nothing: files the journal says were
	 * written are copied by the pass whatever their times say. */
	rc = bt_reconcile_all(c, &o, &st);
	bt_progress_clear(&a->prog);
	if (rc < 0)
		return rc == -ENOMEM ? BT_EXIT_INTERNAL : bt_exit_for_errno(rc);
	/* changes made while unmounted are covered too */
	bt_offline_covered(c, &began, daemon_pid);
	a->rep.rescan_why = why;
	a->rep.compared += st.entries;
	a->rep.fixed += st.repaired;
	bt_notice("block '%s': rescan saw %" PRId64 " %s, fixed %" PRId64 " %s",
		  c->block.name, st.entries, bt_plural(st.entries, "entry", "entries"),
		  st.repaired, bt_plural(st.repaired, "difference", "differences"));
	return BT_EXIT_OK;
}

/* Compares the names the replay could not apply rows to, and those the
 * offline pass picked, with the live source; replays the rows that raced
 * that, and again, a few rounds at most: what changes during every round
 * is left to the next sync. */
static int reconcile_rounds(struct bt_ctx *c, struct args *a, struct bt_replay_stats *rst)
{
	struct bt_rescan_opts o = {
		.mode = BT_CMP_QUICK, .repair = true,
		.on_diff = print_diff, .arg = &a->verbose,
	};
	struct bt_rescan_stats st = { 0 };
	int64_t fixed = 0, upto = 0;
	size_t left = 0;
	int rc = 0;

	for (int round = 0; round < 3; round++) {
		/* Rows lost with a daemon that died during this sync: names
		 * it changed cannot be told apart; the next sync compares
		 * everything. */
		if (bt_daemon_died(c))
			break;
		memset(&st, 0, sizeof(st));
		rc = bt_reconcile(c, &o, &st, &left);
		fixed += st.repaired;
		a->rep.compared += st.entries;
		a->rep.fixed += st.repaired;
		/* Done unless rows raced the comparison, or ranges waited for
		 * it (the replay writes them now that their names are known). */
		if (rc < 0 || (left == 0 && rst->held == 0))
			break;
		rst->held = 0;
		bt_journal_max_seq(c->j, &upto);
		rc = bt_replay(c, upto, rst);
		if (rc < 0)
			break;
	}
	if (rc == -EUCLEAN) {
		c->journal_corrupt = true;
		snprintf(c->err, sizeof(c->err), "journal %s: a row is corrupt", c->block.journal);
		return BT_EXIT_JOURNAL;
	}
	if (rc < 0)
		return rc == -ENOMEM ? BT_EXIT_INTERNAL : bt_exit_for_errno(rc);
	if (fixed)
		bt_notice("block '%s': compared names the journal could not vouch for; fixed %"
			  PRId64 " %s", c->block.name, fixed,
			  bt_plural(fixed, "difference", "differences"));
	if (left)
		bt_notice("block '%s': %zu %s changing during this sync; the next "
			  "sync compares %s", c->block.name, left,
			  left == 1 ? "name kept" : "names kept", left == 1 ? "it" : "them");
	return BT_EXIT_OK;
}

/* See bt_ctx.changes_after. */
static void changes_cutoff(struct timespec *t, int flush_rc)
{
	if (flush_rc == -ESRCH) { /* no daemon: every row is committed */
		t->tv_sec = INT64_MAX;
	} else if (flush_rc < 0) { /* rows of any age may still be queued */
		t->tv_sec = 0;
		t->tv_nsec = 0;
	}
}

/* --dry-run when the journal alone cannot be trusted: the rescan that would
 * run, reporting instead of repairing. */
static int dry_rescan(struct bt_ctx *c, struct args *a, const char *why)
{
	struct bt_rescan_opts o = {
		.mode = BT_CMP_QUICK, .on_diff = print_diff, .arg = &a->verbose,
	};
	struct bt_rescan_stats st;
	int rc;

	if (a->dry) {
		a->dry->why = why;
		o.on_diff = bt_dry_on_diff;
		o.arg = a->dry;
	} else {
		printf("btsoot-sync: block '%s' (dry run): %s; a full rescan would run\n",
		       c->block.name, why);
	}
	rc = bt_rescan(&c->remote, c->readfd, &o, a->dry ? &a->dry->rescan : &st);
	if (rc < 0) {
		snprintf(c->err, sizeof(c->err), "rescan of block '%s' stopped: %s",
			 c->block.name, strerror(-rc));
		return bt_exit_for_errno(rc);
	}
	if (a->dry)
		return a->dry->err ? BT_EXIT_INTERNAL : BT_EXIT_OK;
	printf("btsoot-sync: block '%s' (dry run): %" PRId64 " %s compared, %" PRId64
	       " %s would be fixed, %" PRId64 " of %" PRId64 " remote %s deleted\n",
	       c->block.name, st.entries, bt_plural(st.entries, "entry", "entries"),
	       st.differences, bt_plural(st.differences, "difference", "differences"),
	       st.doomed, st.remote_entries, bt_plural(st.remote_entries, "entry", "entries"));
	return BT_EXIT_OK;
}

static int count_one(const char *path, unsigned flags, void *arg)
{
	(void)path, (void)flags;
	++*(size_t *)arg;
	return 0;
}

/* --dry-run: the names a real run would compare with the source. */
static void dry_recheck(struct bt_ctx *c, struct bt_dry *dry)
{
	size_t n = 0;

	if (bt_recheck_read(c->j, count_one, &n) == 0 && dry)
		dry->recheck = (int64_t)n;
	else if (n)
		printf("btsoot-sync: block '%s' (dry run): %zu %s would be compared with the "
		       "source (the journal's rows no longer vouch for %s)\n", c->block.name, n,
		       n == 1 ? "name" : "names", n == 1 ? "it" : "them");
}

/* --dry-run: the pass over changes made while unmounted, as figures. */
static void dry_offline(struct bt_ctx *c, const struct bt_offline *o)
{
	if (!o->active)
		return;
	printf("btsoot-sync: block '%s' (dry run): %zu %s changed while "
	       "unmounted; %" PRId64 " %s, would delete %" PRId64 " and create %"
	       PRId64 " %s\n", c->block.name, o->n, o->n == 1 ? "directory" : "directories",
	       o->plan.differences, bt_plural(o->plan.differences, "difference", "differences"),
	       o->plan.doomed, o->plan.created, bt_plural(o->plan.created, "entry", "entries"));
}

/* --dry-run --json: the plan's figures and the paths behind them. */
static int dry_collect(struct bt_ctx *c, struct bt_dry *d, const struct bt_plan *plan,
		       const struct bt_offline *off, int64_t upto)
{
	int64_t synced = 0;
	int rc;

	d->plan = *plan;
	d->off_active = off->active;
	d->off_dirs = (int64_t)off->n;
	d->off_plan = off->plan;
	rc = bt_meta_get_i64_or(c->j, BT_META_SYNCED_SEQ, &synced, 0);
	rc = rc ? rc : bt_meta_get_i64_or(c->j, BT_META_MIRROR_ENTRIES, &d->mirror, 0);
	rc = rc ? rc : bt_dry_collect_plan(c->j, synced, upto, d);
	if (rc == 0)
		return BT_EXIT_OK;
	snprintf(c->err, sizeof(c->err), "reading journal %s: %s", c->block.journal,
		 rc == -EUCLEAN ? "a row or meta value is corrupt" : strerror(-rc));
	return rc == -ENOMEM ? BT_EXIT_INTERNAL : BT_EXIT_JOURNAL;
}

/* The journal's rows up to now, then what changed while unmounted. */
static int replay_journal(struct bt_ctx *c, struct args *a, bool skip_offline,
			  struct bt_offline *off, struct bt_replay_stats *st)
{
	struct bt_plan plan;
	int64_t upto = 0;
	int rc;

	bt_journal_max_seq(c->j, &upto);
	rc = bt_check_plan(c, upto, &(struct bt_plan_opts){ a->force, a->dry_run, a->verbose,
							     a->json }, &plan);
	rc = rc || skip_offline ? rc : bt_offline_scan(c, off, a->force, a->dry_run);
	if (rc == 0 && a->dry_run && !a->dry)
		dry_offline(c, off);
	if (rc == 0 && a->dry_run)
		dry_recheck(c, a->dry);
	if (rc == 0 && a->dry)
		rc = dry_collect(c, a->dry, &plan, off, upto);
	if (rc || a->dry_run)
		return rc;
	progress_start(c, a, false);
	rc = bt_replay(c, upto, st);
	bt_progress_end(&a->prog);
	c->progress = c->remote.progress = NULL;
	if (rc == -EUCLEAN) {
		c->journal_corrupt = true;
		snprintf(c->err, sizeof(c->err), "journal %s: a row or meta value is corrupt",
			 c->block.journal);
		return BT_EXIT_JOURNAL;
	}
	if (rc < 0)
		return rc == -ENOMEM ? BT_EXIT_INTERNAL : bt_exit_for_errno(rc);
	bt_mirror_entries_replayed(c, &plan);
	rc = bt_offline_queue(c, off);
	rc = rc ? rc : reconcile_rounds(c, a, st);
	if (rc)
		return rc;
	bt_meta_set_i64(c->j, BT_META_LAST_SYNC, (int64_t)time(NULL));
	bt_meta_set_i64(c->j, BT_META_LAST_SYNC_BYTES, c->remote.st.bytes_written);
	return BT_EXIT_OK;
}

static int sync_block(struct bt_ctx *c, struct args *a)
{
	struct bt_replay_stats st = { 0 };
	struct bt_offline off = { 0 };
	const char *why;
	struct timespec t0, t1;
	int64_t pruned = 0;
	int rc;

	rc = bt_check_source(c, a->force);
	if (rc)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bt_fs_now(c->block.state, &c->changes_after);
	/* A running daemon commits what it holds, so we see every change
	 * made before this point. */
	rc = bt_ctx_flush_daemon(c, 5000);
	if (rc == -ETIMEDOUT)
		bt_warn("btsootfs did not answer the flush request; changes of its "
			"last second are left for the next sync");
	changes_cutoff(&c->changes_after, rc);
	/* Meta decides what is replayed: a garbled value takes the corruption path. */
	if ((rc = bt_ctx_check_meta(c)))
		return rc;
	why = rescan_reason(c);
	if (why && a->dry_run)
		return dry_rescan(c, a, why);
	if (why && (rc = rescan(c, a, why)))
		return rc;
	/* A rescan covered the changes made while unmounted too. */
	rc = replay_journal(c, a, why != NULL, &off, &st);
	bt_offline_free(&off);
	if (rc || a->dry_run)
		return rc;
	rc = bt_trash_prune(&c->remote, c->block.trash_days, time(NULL), &pruned);
	if (rc < 0)
		bt_warn("block '%s': pruning the trash: %s", c->block.name, strerror(-rc));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	a->rep.rows += st.rows;
	a->rep.dropped += st.dropped;
	a->rep.seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (bt_cli_chatty(&a->cli) && !a->json)
		printf("btsoot-sync: block '%s': %" PRId64 " %s replayed (%" PRId64
		       " compacted away), %" PRId64 " %s copied, %" PRId64
		       " %s written to the remote in %.2f s\n",
		       c->block.name, st.rows, bt_plural(st.rows, "row", "rows"), st.dropped,
		       c->remote.st.files_written,
		       bt_plural(c->remote.st.files_written, "file", "files"),
		       c->remote.st.bytes_written,
		       bt_plural(c->remote.st.bytes_written, "byte", "bytes"),
		       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return BT_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	struct bt_dry dry = { 0 };
	struct bt_ctx c;
	int rc;

	bt_log_init("btsoot-sync", BT_LOG_NOTICE);
	rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	bt_cli_log_init(&a.cli);
	rc = bt_ctx_open(&c, &a.cli.dirs, a.cli.block,
			 BT_CTX_LOCK | BT_CTX_JOURNAL | BT_CTX_RECOVER | BT_CTX_REMOTE |
			 BT_CTX_SOURCE);
	if (rc) {
		bt_err("%s", c.err);
		if (a.json && a.dry_run)
			bt_dry_print_json(a.cli.block, NULL, rc, c.err);
		else if (a.json)
			bt_sync_report_json(a.cli.block, NULL, NULL, rc, c.err);
		if (!a.dry_run)
			bt_lastrun_record_open_failure(&a.cli.dirs, a.cli.block, BT_RUN_SYNC, rc,
						       c.err);
		return rc;
	}
	a.dry = a.json && a.dry_run ? &dry : NULL;
	bt_ctx_say_remote_limits(&c);
	rc = sync_block(&c, &a);
	/* A corrupt row found on the way: the journal is set aside (never
	 * deleted) and the block reconciles by rescan, in this same run. */
	if (rc == BT_EXIT_JOURNAL && c.journal_corrupt && !a.dry_run) {
		bt_warn("%s", c.err);
		rc = bt_ctx_replace_journal(&c);
		rc = rc ? rc : sync_block(&c, &a);
	}
	if (rc && rc != BT_EXIT_SAFETY && bt_ctx_check_alive(&c))
		rc = BT_EXIT_SOURCE; /* its daemon was killed during this sync */
	if (rc && !c.err[0])
		snprintf(c.err, sizeof(c.err), "sync failed; rerun it (add -v to see each step)");
	if (rc)
		bt_err("%s", c.err);
	if (rc == 0 && !a.dry_run)
		bt_sync_report_syslog(c.block.name, &a.rep, &c.remote.st);
	if (a.json && (a.dry_run ? bt_dry_print_json(c.block.name, &dry, rc, c.err)
				 : bt_sync_report_json(c.block.name, &a.rep, &c.remote.st, rc,
						       c.err)) < 0 && rc == 0)
		rc = BT_EXIT_INTERNAL;
	if (!a.dry_run && !(rc == BT_EXIT_JOURNAL && c.journal_corrupt) &&
	    bt_lastrun_record(c.j, BT_RUN_SYNC, rc, c.err) < 0)
		bt_warn("block '%s': cannot record this sync's result in journal %s",
			c.block.name, c.block.journal);
	bt_dry_free(&dry);
	bt_ctx_close(&c);
	return rc;
}
