/* SPDX-License-Identifier: BSD-3-Clause */
/* Block configuration files: one "key = value" file per block. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btsoot/config.h"

static void copy_dir(char *dst, const char *env, const char *fallback)
{
	const char *v = getenv(env);

	snprintf(dst, PATH_MAX, "%s", v && *v ? v : fallback);
}

void bt_dirs_default(struct bt_dirs *d)
{
	copy_dir(d->config_dir, BT_ENV_CONFIG_DIR, BT_DEFAULT_CONFIG_DIR);
	copy_dir(d->state_dir, BT_ENV_STATE_DIR, BT_DEFAULT_STATE_DIR);
}

bool bt_block_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > BT_BLOCK_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
			return false;
	return true;
}

void bt_block_derive_paths(const struct bt_dirs *d, struct bt_block *b)
{
	snprintf(b->state, sizeof(b->state), "%s/%s", d->state_dir, b->name);
	snprintf(b->journal, sizeof(b->journal), "%s/journal.db", b->state);
	snprintf(b->conf_path, sizeof(b->conf_path), "%s/blocks/%s.conf",
		 d->config_dir, b->name);
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int set_path(char *dst, const char *val, const char *key, char *err,
		    size_t errlen, const char *where)
{
	if (val[0] != '/') {
		snprintf(err, errlen, "%s: %s must be an absolute path, not '%s'",
			 where, key, val);
		return -EINVAL;
	}
	if (strlen(val) >= PATH_MAX) {
		snprintf(err, errlen, "%s: %s is too long", where, key);
		return -EINVAL;
	}
	strcpy(dst, val);
	return 0;
}

static int parse_int(const char *val, int *out)
{
	char *end;
	long v = strtol(val, &end, 10);

	if (end == val || *end || v < 0 || v > 100000)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int parse_line(struct bt_block *b, char *line, const char *where,
		      char *err, size_t errlen)
{
	char *eq = strchr(line, '='), *key, *val;

	if (!eq) {
		snprintf(err, errlen, "%s: expected 'key = value', got '%s'",
			 where, line);
		return -EINVAL;
	}
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	if (!strcmp(key, "source"))
		return set_path(b->source, val, key, err, errlen, where);
	if (!strcmp(key, "remote"))
		return set_path(b->remote, val, key, err, errlen, where);
	if (!strcmp(key, "id")) {
		snprintf(b->id, sizeof(b->id), "%s", val);
		return 0;
	}
	if (!strcmp(key, "trash_days") && parse_int(val, &b->trash_days) == 0)
		return 0;
	if (!strcmp(key, "max_delete_percent") && parse_int(val, &b->max_delete_percent) == 0 &&
	    b->max_delete_percent <= 100)
		return 0;
	if (!strcmp(key, "remote_is_mount") &&
	    (!strcmp(val, "0") || !strcmp(val, "1"))) {
		b->remote_is_mount = val[0] == '1';
		return 0;
	}
	if (!strcmp(key, "source_is_mount") &&
	    (!strcmp(val, "0") || !strcmp(val, "1"))) {
		b->source_is_mount = val[0] == '1';
		return 0;
	}
	if (!strcmp(key, "scan_offline_changes") &&
	    (!strcmp(val, "0") || !strcmp(val, "1"))) {
		b->scan_offline_changes = val[0] == '1';
		return 0;
	}
	if (!strcmp(key, "trash_days") || !strcmp(key, "remote_is_mount") ||
	    !strcmp(key, "source_is_mount") || !strcmp(key, "max_delete_percent") ||
	    !strcmp(key, "scan_offline_changes"))
		snprintf(err, errlen, "%s: bad value '%s' for %s", where, val, key);
	else
		snprintf(err, errlen, "%s: unknown key '%s'", where, key);
	return -EINVAL;
}

/* The keys already read from a block file, with their lines: a key given
 * twice is an error (which one would win is a guess a backup tool must not
 * make). */
struct seen_keys {
	char key[16][32];
	int line[16];
	int n;
};

static int check_duplicate(struct seen_keys *k, const char *s, int lineno,
			   const char *where, char *err, size_t errlen)
{
	char key[32];
	const char *eq = strchr(s, '=');
	size_t len = eq ? (size_t)(eq - s) : 0;

	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (!eq || len >= sizeof(key))
		return 0; /* parse_line names what is wrong with it */
	memcpy(key, s, len);
	key[len] = '\0';
	for (int i = 0; i < k->n; i++)
		if (!strcmp(k->key[i], key)) {
			snprintf(err, errlen, "%s: key '%s' given again (first on line %d); "
				 "keep one of them", where, key, k->line[i]);
			return -EINVAL;
		}
	if (k->n < 16) {
		memcpy(k->key[k->n], key, len + 1);
		k->line[k->n++] = lineno;
	}
	return 0;
}

int bt_block_load(const struct bt_dirs *d, const char *name, struct bt_block *b,
		  char *err, size_t errlen)
{
	struct seen_keys keys = { .n = 0 };
	char line[PATH_MAX + 64], where[PATH_MAX + 32];
	FILE *f;
	int rc = 0, lineno = 0;

	memset(b, 0, sizeof(*b));
	b->trash_days = 30;
	b->max_delete_percent = 50;
	b->scan_offline_changes = true;
	if (!bt_block_name_valid(name)) {
		snprintf(err, errlen, "invalid block name '%s' (letters, digits, '_', '.', '-')", name);
		return -EINVAL;
	}
	snprintf(b->name, sizeof(b->name), "%s", name);
	bt_block_derive_paths(d, b);
	f = fopen(b->conf_path, "re");
	if (!f) {
		rc = -errno;
		if (rc == -ENOENT)
			snprintf(err, errlen, "unknown block '%s' (no %s; see `btsoot list`)",
				 name, b->conf_path);
		else
			snprintf(err, errlen, "cannot read %s: %s", b->conf_path,
				 strerror(-rc));
		return rc;
	}
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		char *s = trim(line);

		lineno++;
		if (*s == '\0' || *s == '#')
			continue;
		snprintf(where, sizeof(where), "%s:%d", b->conf_path, lineno);
		rc = check_duplicate(&keys, s, lineno, where, err, errlen);
		rc = rc ? rc : parse_line(b, s, where, err, errlen);
	}
	fclose(f);
	if (rc == 0 && (!b->source[0] || !b->remote[0])) {
		snprintf(err, errlen, "%s: needs both 'source =' and 'remote =' lines",
			 b->conf_path);
		rc = -EINVAL;
	}
	return rc;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void new_uuid(char *out, size_t len)
{
	unsigned char r[16] = { 0 };

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)(rand() ^ getpid());
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	snprintf(out, len,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
		 r[10], r[11], r[12], r[13], r[14], r[15]);
}

int bt_block_save(const struct bt_dirs *d, struct bt_block *b, bool replace,
		  char *err, size_t errlen)
{
	char dir[PATH_MAX + 16], tmp[PATH_MAX + 16];
	FILE *f;
	int rc, fd;

	if (!bt_block_name_valid(b->name)) {
		snprintf(err, errlen, "invalid block name '%s' (letters, digits, '_', '.', '-')", b->name);
		return -EINVAL;
	}
	bt_block_derive_paths(d, b);
	if (!b->id[0])
		new_uuid(b->id, sizeof(b->id));
	snprintf(dir, sizeof(dir), "%s/blocks", d->config_dir);
	rc = mkdir_p(dir, 0700);
	if (rc < 0) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-rc));
		return rc;
	}
	if (!replace && access(b->conf_path, F_OK) == 0) {
		snprintf(err, errlen, "block '%s' already exists (btsoot remove %s first)",
			 b->name, b->name);
		return -EEXIST;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", b->conf_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(-rc));
		return rc;
	}
	fprintf(f, "# btsoot block '%s'\nsource = %s\nremote = %s\nid = %s\n"
		   "trash_days = %d\nmax_delete_percent = %d\nremote_is_mount = %d\n"
		   "source_is_mount = %d\nscan_offline_changes = %d\n",
		b->name, b->source, b->remote, b->id, b->trash_days, b->max_delete_percent,
		b->remote_is_mount ? 1 : 0, b->source_is_mount ? 1 : 0,
		b->scan_offline_changes ? 1 : 0);
	rc = fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -errno;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, b->conf_path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		snprintf(err, errlen, "cannot write %s: %s", b->conf_path, strerror(-rc));
	}
	return rc;
}

int bt_block_remove(const struct bt_dirs *d, const char *name)
{
	struct bt_block b = { 0 };

	if (!bt_block_name_valid(name))
		return -EINVAL;
	snprintf(b.name, sizeof(b.name), "%s", name);
	bt_block_derive_paths(d, &b);
	return unlink(b.conf_path) < 0 ? -errno : 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int bt_block_list(const struct bt_dirs *d, char ***names, size_t *n)
{
	char dir[PATH_MAX + 16];
	struct dirent *e;
	char **v = NULL;
	size_t cnt = 0;
	DIR *dp;

	*names = NULL;
	*n = 0;
	snprintf(dir, sizeof(dir), "%s/blocks", d->config_dir);
	dp = opendir(dir);
	if (!dp)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(dp))) {
		size_t len = strlen(e->d_name);
		char **nv;

		if (len <= 5 || strcmp(e->d_name + len - 5, ".conf"))
			continue;
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv || !(nv[cnt] = strndup(e->d_name, len - 5))) {
			v = nv ? nv : v;
			closedir(dp);
			bt_block_names_free(v, cnt);
			return -ENOMEM;
		}
		v = nv;
		if (bt_block_name_valid(v[cnt]))
			cnt++;
		else
			free(v[cnt]);
	}
	closedir(dp);
	if (cnt > 1) /* no block: v is NULL, and qsort(NULL, 0) is undefined */
		qsort(v, cnt, sizeof(*v), cmp_names);
	*names = v;
	*n = cnt;
	return 0;
}

void bt_block_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int bt_block_make_state_dir(const struct bt_block *b)
{
	int rc = mkdir_p(b->state, 0700);

	if (rc == 0)
		chmod(b->state, 0700);
	return rc;
}

/* Is a (a canonical path) equal to or below b (canonical)? Component-wise. */
static bool path_within(const char *a, const char *b)
{
	size_t bl = strlen(b);

	if (!strcmp(b, "/"))
		return true;
	return !strncmp(a, b, bl) && (a[bl] == '\0' || a[bl] == '/');
}

int bt_block_check_paths(const struct bt_block *b, char *err, size_t errlen)
{
	char src[PATH_MAX], rem[PATH_MAX], state[PATH_MAX];
	struct stat st;
	const char *what[2] = { "source", "remote" };
	const char *path[2] = { b->source, b->remote };
	char *real[2] = { src, rem };

	for (int i = 0; i < 2; i++) {
		if (path[i][0] != '/') {
			snprintf(err, errlen, "%s must be an absolute path: '%s'",
				 what[i], path[i]);
			return -EINVAL;
		}
		if (!realpath(path[i], real[i]) || stat(real[i], &st) < 0) {
			snprintf(err, errlen, "%s directory %s: %s", what[i], path[i],
				 strerror(errno));
			return -EINVAL;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "%s %s is not a directory", what[i], path[i]);
			return -EINVAL;
		}
	}
	if (path_within(rem, src) || path_within(src, rem)) {
		snprintf(err, errlen, "source %s and remote %s must not contain each other",
			 src, rem);
		return -EINVAL;
	}
	/* The state dir may not exist yet: compare its nearest real ancestor. */
	snprintf(state, sizeof(state), "%s", b->state);
	while (strlen(state) > 1 && !realpath(state, rem)) {
		char *slash = strrchr(state, '/');

		if (!slash)
			break;
		*slash = '\0';
		if (!state[0])
			strcpy(state, "/");
	}
	if (realpath(state, rem) && strcmp(rem, "/") && path_within(rem, src)) {
		snprintf(err, errlen, "state directory %s is inside the source %s: "
			 "the journal would be inside its own mount", b->state, src);
		return -EINVAL;
	}
	return 0;
}
