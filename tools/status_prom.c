/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * btsoot status --prometheus [DIR]: node_exporter textfile-collector
 * metrics of every block (btsoot(1), METRICS, lists them), written to
 * DIR/btsoot.prom atomically: a temp file in DIR (a name node_exporter
 * ignores: not ending in .prom), fsync, rename. A sample whose value is
 * not known (a journal that cannot be read, a remote that is not there) is
 * left out rather than written as 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btsoot/prom.h"
#include "status.h"

struct metric {
	const char *name, *help;
	/* false: no sample for this block */
	bool (*value)(const struct bt_status *s, int64_t *v);
};

static bool journal_ok(const struct bt_status *s)
{
	return s->load_rc == 0 && s->journal_rc == 0;
}

static bool m_last_sync(const struct bt_status *s, int64_t *v)
{
	*v = s->last_sync;
	return journal_ok(s);
}

static bool m_sync_exit(const struct bt_status *s, int64_t *v)
{
	*v = s->last_sync_exit;
	return journal_ok(s) && *v >= 0;
}

static bool m_pending_rows(const struct bt_status *s, int64_t *v)
{
	*v = s->pending_rows;
	return journal_ok(s);
}

static bool m_pending_bytes(const struct bt_status *s, int64_t *v)
{
	*v = s->pending_bytes;
	return journal_ok(s);
}

static bool m_last_verify(const struct bt_status *s, int64_t *v)
{
	*v = s->last_verify;
	return journal_ok(s);
}

static bool m_verify_diffs(const struct bt_status *s, int64_t *v)
{
	*v = s->last_verify_diffs;
	return journal_ok(s) && *v >= 0;
}

static bool m_trash(const struct bt_status *s, int64_t *v)
{
	*v = s->trash_bytes;
	return s->load_rc == 0 && s->trash_rc == 0;
}

static bool m_mounted(const struct bt_status *s, int64_t *v)
{
	*v = s->mounted && s->daemon_pid != 0;
	return s->load_rc == 0;
}

static bool m_journal_ok(const struct bt_status *s, int64_t *v)
{
	*v = journal_ok(s);
	return true;
}

static const struct metric metrics[] = {
	{ "btsoot_last_sync_success_timestamp_seconds",
	  "Unix time the last successful btsoot-sync of the block ended (0: never).",
	  m_last_sync },
	{ "btsoot_last_sync_exit_code",
	  "Exit code of the last btsoot-sync run of the block (0: success, see btsoot-sync(8)).",
	  m_sync_exit },
	{ "btsoot_pending_rows", "Journal rows not yet replayed onto the remote.",
	  m_pending_rows },
	{ "btsoot_pending_bytes", "Bytes the pending journal rows name (appends not counted).",
	  m_pending_bytes },
	{ "btsoot_last_verify_timestamp_seconds",
	  "Unix time of the last btsoot-verify of the block (0: never).", m_last_verify },
	{ "btsoot_last_verify_differences",
	  "Differences (and unreadable entries) the last btsoot-verify found.", m_verify_diffs },
	{ "btsoot_trash_bytes", "Bytes of regular files in the remote's .btsoot/trash.",
	  m_trash },
	{ "btsoot_mounted", "1 if btsootfs runs mounted over the block's source, else 0.",
	  m_mounted },
	{ "btsoot_journal_readable", "1 if the block's config and journal could be read, else 0.",
	  m_journal_ok },
};

static void write_metric(FILE *f, const struct metric *m, const struct bt_status *st, size_t n)
{
	char help[512], label[256];
	int64_t v;

	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", m->name,
		bt_prom_help_text(m->help, help, sizeof(help)), m->name);
	for (size_t i = 0; i < n; i++)
		if (m->value(&st[i], &v))
			fprintf(f, "%s{block=\"%s\"} %" PRId64 "\n", m->name,
				bt_prom_label_value(st[i].b.name, label, sizeof(label)), v);
}

static int write_all(FILE *f, const struct bt_dirs *d)
{
	struct bt_status *st;
	char **names;
	size_t n;
	int rc = bt_block_list(d, &names, &n);

	if (rc < 0)
		return rc;
	st = calloc(n ? n : 1, sizeof(*st));
	if (!st) {
		bt_block_names_free(names, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		bt_status_read(d, names[i], &st[i]);
	for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++)
		write_metric(f, &metrics[i], st, n);
	for (size_t i = 0; i < n; i++)
		bt_status_free(&st[i]);
	free(st);
	bt_block_names_free(names, n);
	return 0;
}

int bt_status_prometheus(const struct bt_dirs *d, const char *dir, char *err, size_t errlen)
{
	char tmp[PATH_MAX + 32], dst[PATH_MAX + 32];
	FILE *f;
	int fd, rc;

	snprintf(tmp, sizeof(tmp), "%s/.btsoot.prom.XXXXXX", dir);
	snprintf(dst, sizeof(dst), "%s/btsoot.prom", dir);
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot write metrics into %s: %s (an existing directory "
			 "that node_exporter's --collector.textfile.directory names)", dir,
			 strerror(errno));
		return rc;
	}
	fchmod(fd, 0644); /* node_exporter runs as its own user */
	f = fdopen(fd, "w");
	rc = f ? write_all(f, d) : -errno;
	if (f && rc == 0 && (fflush(f) != 0 || ferror(f) || fsync(fd) < 0))
		rc = errno ? -errno : -EIO;
	if (f)
		fclose(f);
	else
		close(fd);
	if (rc == 0 && rename(tmp, dst) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		snprintf(err, errlen, "cannot write %s: %s", dst, strerror(-rc));
	}
	return rc;
}
