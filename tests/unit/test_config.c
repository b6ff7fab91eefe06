/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btsoot/config.h"

struct fx {
	char base[64];
	struct bt_dirs d;
	char src[128], rem[128];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->base, "/tmp/btsoot-config-XXXXXX");
	if (!mkdtemp(f->base))
		return -1;
	snprintf(f->d.config_dir, sizeof(f->d.config_dir), "%s/etc", f->base);
	snprintf(f->d.state_dir, sizeof(f->d.state_dir), "%s/var", f->base);
	snprintf(f->src, sizeof(f->src), "%s/my source", f->base);
	snprintf(f->rem, sizeof(f->rem), "%s/remote", f->base);
	mkdir(f->src, 0755);
	mkdir(f->rem, 0755);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->base);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static struct bt_block block(struct fx *f, const char *name)
{
	struct bt_block b = { .trash_days = 30 };

	snprintf(b.name, sizeof(b.name), "%s", name);
	snprintf(b.source, sizeof(b.source), "%s", f->src);
	snprintf(b.remote, sizeof(b.remote), "%s", f->rem);
	bt_block_derive_paths(&f->d, &b);
	return b;
}

static void save_then_load_round_trips_paths_with_spaces(void **state)
{
	struct fx *f = *state;
	struct bt_block b = block(f, "media"), l;
	char err[512];
	struct stat st;

	assert_int_equal(bt_block_save(&f->d, &b, false, err, sizeof(err)), 0);
	assert_int_equal(bt_block_load(&f->d, "media", &l, err, sizeof(err)), 0);
	assert_string_equal(l.source, f->src);
	assert_string_equal(l.remote, f->rem);
	assert_string_equal(l.id, b.id);
	assert_int_equal(strlen(l.id), 36);
	assert_int_equal(l.trash_days, 30);
	assert_int_equal(stat(b.conf_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(f->d.config_dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
}

static void unknown_block_is_enoent_with_its_name(void **state)
{
	struct fx *f = *state;
	struct bt_block l;
	char err[512];

	assert_int_equal(bt_block_load(&f->d, "nosuch", &l, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "nosuch"));
}

static void write_conf(struct fx *f, const char *name, const char *text)
{
	char dir[256], path[320];
	FILE *fp;

	snprintf(dir, sizeof(dir), "%s/blocks", f->d.config_dir);
	mkdir(f->d.config_dir, 0700);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/%s.conf", dir, name);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
}

static void bad_line_names_file_and_line(void **state)
{
	struct fx *f = *state;
	struct bt_block l;
	char err[512];

	write_conf(f, "bad", "# comment\n\nsource = /a\nthis is not a pair\n");
	assert_int_equal(bt_block_load(&f->d, "bad", &l, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad.conf:4"));
}

static void duplicate_key_names_file_line_and_key(void **state)
{
	struct fx *f = *state;
	struct bt_block l;
	char err[512];

	write_conf(f, "dup", "source = /a\nremote = /b\ntrash_days = 3\n# x\ntrash_days=9\n");
	assert_int_equal(bt_block_load(&f->d, "dup", &l, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "dup.conf:5"));
	assert_non_null(strstr(err, "'trash_days'"));
	assert_non_null(strstr(err, "line 3"));
	write_conf(f, "dup2", "source = /a\nremote = /b\nsource = /c\n");
	assert_int_equal(bt_block_load(&f->d, "dup2", &l, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'source'"));
}

static void unknown_key_and_relative_path_are_errors(void **state)
{
	struct fx *f = *state;
	struct bt_block l;
	char err[512];

	write_conf(f, "k", "source = /a\nremote = /b\ncolour = blue\n");
	assert_int_equal(bt_block_load(&f->d, "k", &l, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "colour"));
	write_conf(f, "r", "source = relative/path\nremote = /b\n");
	assert_int_equal(bt_block_load(&f->d, "r", &l, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "absolute"));
	write_conf(f, "m", "source = /a\n");
	assert_int_equal(bt_block_load(&f->d, "m", &l, err, sizeof(err)), -EINVAL);
}

static void block_names_are_validated(void **state)
{
	assert_true(bt_block_name_valid("media"));
	assert_true(bt_block_name_valid("Photos_2024.v2-x"));
	assert_false(bt_block_name_valid(""));
	assert_false(bt_block_name_valid("../etc"));
	assert_false(bt_block_name_valid("a/b"));
	assert_false(bt_block_name_valid(".hidden"));
	assert_false(bt_block_name_valid("-opt"));
	assert_false(bt_block_name_valid("sp ace"));
	assert_false(bt_block_name_valid(
		"x12345678901234567890123456789012345678901234567890123456789012345"));
}

static void duplicate_save_is_eexist_and_remove_works(void **state)
{
	struct fx *f = *state;
	struct bt_block b = block(f, "dup"), c = block(f, "a");
	char err[512], **names;
	size_t n;

	assert_int_equal(bt_block_save(&f->d, &b, false, err, sizeof(err)), 0);
	assert_int_equal(bt_block_save(&f->d, &b, false, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "already exists"));
	assert_int_equal(bt_block_save(&f->d, &c, false, err, sizeof(err)), 0);
	assert_int_equal(bt_block_list(&f->d, &names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "a"); /* sorted */
	assert_string_equal(names[1], "dup");
	bt_block_names_free(names, n);
	assert_int_equal(bt_block_remove(&f->d, "dup"), 0);
	assert_int_equal(bt_block_list(&f->d, &names, &n), 0);
	assert_int_equal(n, 1);
	bt_block_names_free(names, n);
}

static void check_paths_rejects_nesting_but_not_prefixes(void **state)
{
	struct fx *f = *state;
	struct bt_block b = block(f, "p");
	char err[512];

	assert_int_equal(bt_block_check_paths(&b, err, sizeof(err)), 0);
	/* remote inside source */
	snprintf(b.remote, sizeof(b.remote), "%s/inner", f->src);
	mkdir(b.remote, 0755);
	assert_int_equal(bt_block_check_paths(&b, err, sizeof(err)), -EINVAL);
	/* source inside remote */
	snprintf(b.remote, sizeof(b.remote), "%s", f->base);
	assert_int_equal(bt_block_check_paths(&b, err, sizeof(err)), -EINVAL);
	/* "/x/my source2" is not inside "/x/my source" */
	snprintf(b.remote, sizeof(b.remote), "%s/my source2", f->base);
	mkdir(b.remote, 0755);
	assert_int_equal(bt_block_check_paths(&b, err, sizeof(err)), 0);
	/* relative and missing */
	snprintf(b.remote, sizeof(b.remote), "remote");
	assert_int_equal(bt_block_check_paths(&b, err, sizeof(err)), -EINVAL);
	snprintf(b.remote, sizeof(b.remote), "%s/missing", f->base);
	assert_int_equal(bt_block_check_paths(&b, err, sizeof(err)), -EINVAL);
}

static void state_dir_inside_source_is_rejected(void **state)
{
	struct fx *f = *state;
	struct bt_block b;
	char err[512];

	snprintf(f->d.state_dir, sizeof(f->d.state_dir), "%s/state", f->src);
	b = block(f, "s");
	assert_int_equal(bt_block_check_paths(&b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "inside"));
}

static void environment_overrides_defaults(void **state)
{
	struct bt_dirs d;

	unsetenv(BT_ENV_CONFIG_DIR);
	unsetenv(BT_ENV_STATE_DIR);
	bt_dirs_default(&d);
	assert_string_equal(d.config_dir, "/etc/btsoot");
	assert_string_equal(d.state_dir, "/var/lib/btsoot");
	setenv(BT_ENV_CONFIG_DIR, "/tmp/c", 1);
	setenv(BT_ENV_STATE_DIR, "/tmp/s", 1);
	bt_dirs_default(&d);
	assert_string_equal(d.config_dir, "/tmp/c");
	assert_string_equal(d.state_dir, "/tmp/s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(save_then_load_round_trips_paths_with_spaces, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_block_is_enoent_with_its_name, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_line_names_file_and_line, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_key_and_relative_path_are_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(duplicate_key_names_file_line_and_key, setup, teardown),
		cmocka_unit_test(block_names_are_validated),
		cmocka_unit_test_setup_teardown(duplicate_save_is_eexist_and_remove_works, setup, teardown),
		cmocka_unit_test_setup_teardown(check_paths_rejects_nesting_but_not_prefixes, setup, teardown),
		cmocka_unit_test_setup_teardown(state_dir_inside_source_is_rejected, setup, teardown),
		cmocka_unit_test(environment_overrides_defaults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
