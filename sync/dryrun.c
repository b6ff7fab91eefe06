/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "btsoot/json.h"
#include "dryrun.h"

void bt_dry_on_diff(void *arg, enum bt_diff_kind kind, const char *rel, const char *detail)
{
	struct bt_dry *d = arg;

	if (d->err)
		return;
	d->err = bt_strv_push(&d->kinds, bt_diff_kind_name(kind));
	d->err = d->err ? d->err : bt_strv_push(&d->paths, rel);
	d->err = d->err ? d->err : bt_strv_push(&d->details, detail ? detail : "");
}

static void plan_row(void *arg, const struct bt_op_rec *r, bool removes_existing)
{
	struct bt_dry *d = arg;

	if (d->err)
		return;
	if (removes_existing)
		d->err = bt_strv_push(&d->deletions, r->path);
	else if (r->op == BT_OP_CREATE || r->op == BT_OP_WRITE || r->op == BT_OP_TRUNCATE)
		d->err = bt_strv_push(&d->copies, r->path);
	/* appends run to "end of file" (a huge len): not a byte count */
	if (r->op == BT_OP_WRITE && r->len > 0 && r->len < (int64_t)1 << 40)
		d->copy_bytes += r->len;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts s and drops repeated strings. */
static void sort_unique(struct bt_strv *s)
{
	size_t k = 0;

	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_str);
	for (size_t i = 1; i < s->n; i++) {
		if (!strcmp(s->v[i], s->v[k]))
			free(s->v[i]);
		else
			s->v[++k] = s->v[i];
	}
	s->n = k + 1;
}

int bt_dry_collect_plan(struct bt_journal *j, int64_t after, int64_t upto, struct bt_dry *d)
{
	struct bt_plan p;
	int rc = bt_plan_build(j, after, upto, &p, plan_row, d);

	if (rc == 0 && d->err)
		rc = d->err;
	sort_unique(&d->copies);
	return rc;
}

static void strv_array(struct bt_json *w, const char *key, const struct bt_strv *s)
{
	bt_json_key(w, key);
	bt_json_arr_begin(w);
	for (size_t i = 0; i < s->n; i++)
		bt_json_str(w, s->v[i]);
	bt_json_arr_end(w);
}

static void rescan_part(struct bt_json *w, const struct bt_dry *d)
{
	const struct bt_rescan_stats *st = &d->rescan;

	bt_json_key(w, "rescan");
	bt_json_obj_begin(w);
	bt_json_kbool(w, "needed", true);
	bt_json_kstr(w, "reason", d->why);
	bt_json_ki64(w, "entries", st->entries);
	bt_json_ki64(w, "remote_entries", st->remote_entries);
	bt_json_ki64(w, "differences", st->differences);
	bt_json_ki64(w, "errors", st->errors);
	bt_json_ki64(w, "deletions", st->doomed);
	bt_json_ki64(w, "creations", st->created);
	bt_json_obj_end(w);
	bt_json_key(w, "differences");
	bt_json_arr_begin(w);
	for (size_t i = 0; i < d->paths.n; i++) {
		bt_json_obj_begin(w);
		bt_json_kstr(w, "kind", d->kinds.v[i]);
		bt_json_kstr(w, "path", d->paths.v[i]);
		bt_json_kstr(w, "detail", d->details.v[i]);
		bt_json_obj_end(w);
	}
	bt_json_arr_end(w);
	/* a rescan's repair decides per entry what it copies */
	bt_json_knull(w, "files_to_copy");
	bt_json_knull(w, "bytes_to_copy");
	bt_json_key(w, "deletions");
	bt_json_arr_begin(w);
	for (size_t i = 0; i < d->paths.n; i++)
		if (!strcmp(d->kinds.v[i], "extra"))
			bt_json_str(w, d->paths.v[i]);
	bt_json_arr_end(w);
}

static void offline_part(struct bt_json *w, const struct bt_dry *d)
{
	bt_json_key(w, "offline");
	if (!d->off_active) {
		bt_json_null(w);
		return;
	}
	bt_json_obj_begin(w);
	bt_json_ki64(w, "directories", d->off_dirs);
	bt_json_ki64(w, "differences", d->off_plan.differences);
	bt_json_ki64(w, "deletions", d->off_plan.doomed);
	bt_json_ki64(w, "creations", d->off_plan.created);
	bt_json_obj_end(w);
}

static void replay_part(struct bt_json *w, const struct bt_dry *d)
{
	const struct bt_plan *p = &d->plan;

	bt_json_key(w, "rescan");
	bt_json_obj_begin(w);
	bt_json_kbool(w, "needed", false);
	bt_json_knull(w, "reason");
	bt_json_obj_end(w);
	bt_json_key(w, "journal");
	bt_json_obj_begin(w);
	bt_json_ki64(w, "rows", p->rows);
	bt_json_ki64(w, "creations", p->created);
	bt_json_ki64(w, "renames", p->renamed);
	bt_json_ki64(w, "deletions", p->deleted);
	bt_json_ki64(w, "short_lived", p->dropped);
	bt_json_ki64(w, "data_rows", p->data_rows);
	bt_json_ki64(w, "meta_rows", p->meta_rows);
	bt_json_ki64(w, "mirror_entries", d->mirror);
	bt_json_obj_end(w);
	bt_json_ki64(w, "files_to_copy", (int64_t)d->copies.n);
	bt_json_ki64(w, "bytes_to_copy", d->copy_bytes);
	strv_array(w, "copies", &d->copies);
	strv_array(w, "deletions", &d->deletions);
	offline_part(w, d);
	bt_json_ki64(w, "recheck_names", d->recheck);
}

int bt_dry_print_json(const char *block, const struct bt_dry *d, int rc, const char *err)
{
	struct bt_json w;

	bt_json_init(&w, stdout);
	bt_json_obj_begin(&w);
	bt_json_kstr(&w, "block", block);
	bt_json_kbool(&w, "dry_run", true);
	bt_json_ki64(&w, "exit_code", rc);
	bt_json_kstr(&w, "error", rc && err && *err ? err : NULL);
	if (d && d->why)
		rescan_part(&w, d);
	else if (d && rc == 0)
		replay_part(&w, d);
	bt_json_obj_end(&w);
	return bt_json_end(&w);
}

void bt_dry_free(struct bt_dry *d)
{
	struct bt_strv *all[] = { &d->kinds, &d->paths, &d->details, &d->copies, &d->deletions };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		bt_strv_free(all[i]);
}
