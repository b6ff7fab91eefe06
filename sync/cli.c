/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include "btsoot/exitcodes.h"
#include "cli.h"
#include "config.h"

enum { OPT_CONFIG = 0x100, OPT_STATE, OPT_VERSION };

static const struct option common[] = {
	{ "config-dir", required_argument, NULL, OPT_CONFIG },
	{ "state-dir", required_argument, NULL, OPT_STATE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
};

#define NCOMMON (sizeof(common) / sizeof(common[0]))

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
	snprintf(shorts, sizeof(shorts), "qh%s", extra_short ? extra_short : "");
	bt_dirs_default(&c->dirs);
	while ((ch = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
		if (ch == OPT_CONFIG)
			snprintf(c->dirs.config_dir, sizeof(c->dirs.config_dir), "%s", optarg);
		else if (ch == OPT_STATE)
			snprintf(c->dirs.state_dir, sizeof(c->dirs.state_dir), "%s", optarg);
		else if (ch == 'q')
			c->quiet = true;
		else if (ch == 'h') {
			c->usage(stdout);
			exit(0);
		} else if (ch == OPT_VERSION) {
			printf("%s %s\n", c->prog, BTSOOT_VERSION);
			exit(0);
		} else if (!on_opt || !on_opt(ch, optarg, ctx)) {
			c->usage(stderr);
			return BT_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		c->usage(stderr);
		return BT_EXIT_USAGE;
	}
	c->block = argv[optind];
	return 0;
}
