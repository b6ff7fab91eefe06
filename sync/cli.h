/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Options every block program shares: --config-dir, --state-dir, -q, -v,
 * -h, --version; long options only as written out (btsoot/cliopts.h).
 *
 * What a run prints (btsoot-sync(8), btsoot-verify(8) OUTPUT):
 * - -q: errors only;
 * - -v, or stdout or stderr a terminal ("chatty"): notices and the summary;
 * - otherwise (cron, a systemd timer): warnings and errors only, so a
 *   successful run prints nothing and any mail from cron means something.
 * -q wins over -v. BTSOOT_DEBUG (any value) traces every decision.
 * Whatever stderr gets, syslog gets every error, warning and notice and
 * the run's summary (bt_log_syslog), each naming the block, unless
 * --no-syslog (btsoot/log.h; btsoot-sync(8) LOGGING).
 */
#ifndef BTSOOT_SYNC_CLI_H
#define BTSOOT_SYNC_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "btsoot/config.h"

struct bt_cli {
	const char *prog;
	void (*usage)(FILE *f);
	struct bt_dirs dirs;
	const char *block;
	bool quiet;
	bool verbose;
	bool no_syslog;
};

/* Parses argv with the shared options plus `extra` (a NULL-terminated
 * getopt_long table and short string); every other option goes to
 * on_opt, which returns false (after saying why on one line) for a value
 * it refuses. Exits 0 on -h/--version. Returns 0 or BT_EXIT_USAGE, after
 * one line on stderr naming the option and what to do. */
int bt_cli_parse(struct bt_cli *c, int argc, char **argv,
		 const struct option *extra, const char *extra_short,
		 bool (*on_opt)(int ch, const char *arg, void *ctx), void *ctx);

/* Notices and the summary are printed (see above). */
bool bt_cli_chatty(const struct bt_cli *c);
/* Sets the log level for the run, and syslog, as above. */
void bt_cli_log_init(const struct bt_cli *c);
/* A whole number in [min, max] for option opt: 0, or -EINVAL after one line. */
int bt_cli_count(const struct bt_cli *c, const char *opt, const char *arg, int min, int max,
		 int *out);
/* A difference's detail as a person reads it: an mtime difference
 * ("source SEC.NSEC remote SEC.NSEC", as rescan.c reports it) in local
 * time; any other detail as it is. Returns detail or buf. */
const char *bt_cli_diff_detail(int kind, const char *detail, char *buf, size_t len);

#endif
