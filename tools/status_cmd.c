/* SPDX-License-Identifier: BSD-3-Clause */
/* btsoot status [<block>] [--json | --prometheus [DIR]] (btsoot(1)). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "btsoot/exitcodes.h"
#include "btsoot/json.h"
#include "btsoot/log.h"
#include "status.h"

int bt_cmd_status(const struct bt_dirs *d, int argc, char **argv);

#define PROM_DIR "/var/lib/prometheus/node-exporter" /* Debian's node_exporter */

struct status_args {
	const char *block;
	bool json, prom;
	const char *prom_dir;
};

/* The exit code a block's status ends with: 2 for a broken config, 5 for
 * a journal that cannot be read (none yet is fine). */
static int status_rc(const struct bt_status *s)
{
	if (s->load_rc < 0)
		return BT_EXIT_USAGE;
	return s->journal_rc < 0 && s->journal_rc != -ENOENT ? BT_EXIT_JOURNAL : 0;
}

/* A DIR after --prometheus is told from a block name by a '/' in it
 * (block names have none). */
static int parse(int argc, char **argv, struct status_args *a)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			a->json = true;
		} else if (!strcmp(argv[i], "--prometheus")) {
			a->prom = true;
			if (i + 1 < argc && strchr(argv[i + 1], '/'))
				a->prom_dir = argv[++i];
		} else if (!a->block) {
			a->block = argv[i];
		} else {
			bt_err("status takes one block name (or none for every block), not '%s'",
			       argv[i]);
			return BT_EXIT_USAGE;
		}
	}
	if (a->prom && (a->json || a->block)) {
		bt_err("--prometheus writes the metrics of every block into one file: leave out "
		       "%s", a->json ? "--json" : "the block name");
		return BT_EXIT_USAGE;
	}
	return 0;
}

static int one_block(const struct bt_dirs *d, const struct status_args *a)
{
	struct bt_status s;
	struct bt_json w;
	int rc;

	bt_status_read(d, a->block, &s);
	if (s.load_rc < 0) {
		bt_err("%s", s.load_err);
		return BT_EXIT_USAGE;
	}
	if (a->json) {
		bt_json_init(&w, stdout);
		bt_status_json(&w, &s);
		rc = bt_json_end(&w) < 0 ? BT_EXIT_INTERNAL : status_rc(&s);
	} else {
		bt_status_print(stdout, &s);
		rc = status_rc(&s);
	}
	bt_status_free(&s);
	return rc;
}

static int every_block(const struct bt_dirs *d, const struct status_args *a)
{
	struct bt_json w;
	char **names;
	size_t n;
	int rc = bt_block_list(d, &names, &n), worst = 0;

	if (rc < 0) {
		bt_err("cannot list %s/blocks: %s", d->config_dir, strerror(-rc));
		return BT_EXIT_USAGE;
	}
	bt_json_init(&w, stdout);
	if (a->json)
		bt_json_arr_begin(&w);
	else if (n == 0)
		printf("no blocks yet (btsoot add <block> <source> <remote>)\n");
	for (size_t i = 0; i < n; i++) {
		struct bt_status s;

		bt_status_read(d, names[i], &s);
		if (a->json)
			bt_status_json(&w, &s);
		else if (s.load_rc < 0)
			printf("%s%-14s %s\n%-14s broken: %s\n", i ? "\n" : "", "block", names[i],
			       "config", s.load_err);
		else
			printf("%s", i ? "\n" : ""), bt_status_print(stdout, &s);
		worst = worst ? worst : status_rc(&s);
		bt_status_free(&s);
	}
	if (a->json) {
		bt_json_arr_end(&w);
		if (bt_json_end(&w) < 0)
			worst = BT_EXIT_INTERNAL;
	}
	bt_block_names_free(names, n);
	return worst;
}

int bt_cmd_status(const struct bt_dirs *d, int argc, char **argv)
{
	struct status_args a = { .prom_dir = PROM_DIR };
	char err[PATH_MAX + 256];
	int rc = parse(argc, argv, &a);

	if (rc)
		return rc;
	if (a.prom) {
		if (bt_status_prometheus(d, a.prom_dir, err, sizeof(err)) < 0) {
			bt_err("%s", err);
			return BT_EXIT_IO;
		}
		return 0;
	}
	return a.block ? one_block(d, &a) : every_block(d, &a);
}
