/* SPDX-License-Identifier: BSD-3-Clause */
/* Options every block program shares: --config-dir, --state-dir, -q, -h, -V. */
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
};

/* Parses argv with the shared options plus `extra` (a NULL-terminated
 * getopt_long table and short string); every other option goes to
 * on_opt, which returns false for an unknown one. Exits on -h/-V.
 * Returns 0 or BT_EXIT_USAGE. */
int bt_cli_parse(struct bt_cli *c, int argc, char **argv,
		 const struct option *extra, const char *extra_short,
		 bool (*on_opt)(int ch, const char *arg, void *ctx), void *ctx);

#endif
