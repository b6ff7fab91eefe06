/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btsoot/cliopts.h"
#include "btsoot/exitcodes.h"
#include "btsoot/log.h"
#include "btsoot/words.h"
#include "cli.h"
#include "rescan.h"
#include "config.h"

enum { OPT_CONFIG = 0x100, OPT_STATE, OPT_VERSION, OPT_NO_SYSLOG };

static const struct option common[] = {
	{ "config-dir", required_argument, NULL, OPT_CONFIG },
	{ "state-dir", required_argument, NULL, OPT_STATE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "no-syslog", no_argument, NULL, OPT_NO_SYSLOG },
};

#define NCOMMON (sizeof(common) / sizeof(common[0]))

/* One line for an option getopt_long refused (opterr is off). */
static int bad_option(const struct bt_cli *c, int ch, char **argv, const struct option *all)
{
	const char *arg = argv[optind - 1];

	if (ch == ':')
		fprintf(stderr, "%s: option '%s' needs a value (see %s --help)\n", c->prog,
			arg, c->prog);
	else if (optopt && !(arg[0] == '-' && arg[1] == '-'))
		fprintf(stderr, "%s: unknown option '-%c' (see %s --help)\n", c->prog, optopt,
			c->prog);
	else
		fprintf(stderr, "%s: unknown option '%s' (see %s --help)\n", c->prog, arg,
			c->prog);
	(void)all;
	return BT_EXIT_USAGE;
}

/* Long options must be written out: `--f` is not taken for `--force`. */
static int check_exact(const struct bt_cli *c, int argc, char **argv, const char *shorts,
		       const struct option *all)
{
	const char *meant;
	int bad = 0;

	if (bt_cli_exact(argc, argv, shorts, all, &bad) == 0)
		return 0;
	meant = bt_cli_completion(argv[bad], all);
	fprintf(stderr, "%s: unknown option '%s'%s%s%s (long options are never "
		"abbreviated; see %s --help)\n", c->prog, argv[bad], meant ? ": did you mean --" : "",
		meant ? meant : "", meant ? "?" : "", c->prog);
	return BT_EXIT_USAGE;
}

int bt_cli_parse(struct bt_cli *c, int argc, char **argv,
		 const struct option *extra, const char *extra_short,
		 bool (*on_opt)(int ch, const char *arg, void *ctx), void *ctx)
{
	struct option all[NCOMMON + 16] = { { 0 } };
	char shorts[32];
	size_t n = NCOMMON;
	int ch;

	memcpy(all, common, sizeof(common));
	for (size_t i = 0; extra && extra[i].name && n + 1 < sizeof(all) / sizeof(all[0]); i++)
		all[n++] = extra[i];
	snprintf(shorts, sizeof(shorts), ":qvh%s", extra_short ? extra_short : "");
	bt_dirs_default(&c->dirs);
	if (check_exact(c, argc, argv, shorts, all))
		return BT_EXIT_USAGE;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
		if (ch == OPT_CONFIG)
			snprintf(c->dirs.config_dir, sizeof(c->dirs.config_dir), "%s", optarg);
		else if (ch == OPT_STATE)
			snprintf(c->dirs.state_dir, sizeof(c->dirs.state_dir), "%s", optarg);
		else if (ch == 'q')
			c->quiet = true;
		else if (ch == 'v')
			c->verbose = true;
		else if (ch == OPT_NO_SYSLOG)
			c->no_syslog = true;
		else if (ch == 'h') {
			c->usage(stdout);
			exit(0);
		} else if (ch == OPT_VERSION) {
			printf("%s %s\n", c->prog, BTSOOT_VERSION);
			exit(0);
		} else if (ch == '?' || ch == ':') {
			return bad_option(c, ch, argv, all);
		} else if (!on_opt || !on_opt(ch, optarg, ctx)) {
			return BT_EXIT_USAGE; /* on_opt said why */
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: %s; usage: %s [options] <block> (see %s --help)\n", c->prog,
			optind == argc ? "which block?" : "give one block name only", c->prog,
			c->prog);
		return BT_EXIT_USAGE;
	}
	c->block = argv[optind];
	return 0;
}

bool bt_cli_chatty(const struct bt_cli *c)
{
	if (c->quiet)
		return false;
	return c->verbose || isatty(STDOUT_FILENO) || isatty(STDERR_FILENO);
}

void bt_cli_log_init(const struct bt_cli *c)
{
	enum bt_log_level level = BT_LOG_WARNING;

	if (c->quiet)
		level = BT_LOG_ERR;
	else if (bt_cli_chatty(c))
		level = BT_LOG_NOTICE;
	if (getenv("BTSOOT_DEBUG")) /* a trace of every decision */
		level = BT_LOG_DEBUG;
	bt_log_init(c->prog, level);
	bt_log_set_block(c->block);
	if (!c->no_syslog)
		bt_log_also_syslog(BT_LOG_INFO);
}

int bt_cli_count(const struct bt_cli *c, const char *opt, const char *arg, int min, int max,
		 int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (end == arg || *end || errno || v < min || v > max) {
		fprintf(stderr, "%s: %s wants a whole number from %d to %d, not '%s'\n", c->prog,
			opt, min, max, arg);
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

const char *bt_cli_diff_detail(int kind, const char *detail, char *buf, size_t len)
{
	long long s1, s2;
	long n1, n2;
	char a[64], b[64];
	int used = 0;

	if (kind != BT_DIFF_MTIME ||
	    sscanf(detail, "source %lld.%ld remote %lld.%ld%n", &s1, &n1, &s2, &n2, &used) != 4 ||
	    detail[used])
		return detail;
	snprintf(buf, len, "source %s remote %s", bt_fmt_local_ns(s1, n1, a, sizeof(a)),
		 bt_fmt_local_ns(s2, n2, b, sizeof(b)));
	return buf;
}
