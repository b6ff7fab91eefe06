/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Blocks: a named pair of a source directory and a remote directory.
 *
 * Where things live
 *   config dir  default /etc/btsoot, or $BTSOOT_CONFIG_DIR, or --config-dir
 *               <config>/blocks/<name>.conf   one file per block, mode 0600
 *   state dir   default /var/lib/btsoot, or $BTSOOT_STATE_DIR, or --state-dir
 *               <state>/<name>/               mode 0700, holds:
 *                 journal.db (+ -wal, -shm)   the SQLite journal
 *                 daemon.lock                 flock'd by a running btsootfs; holds its pid
 *                 sync.lock                   flock'd by a running sync or verify
 *                 NEEDS_RESCAN                exists when the journal is known incomplete
 *   remote      <remote>/.btsoot/             btsoot's own area on the remote:
 *                 marker                      "block=<name>\nid=<uuid>\n"
 *                 tmp/                        files being written, renamed into place
 *                 trash/<UTC date-time>/...   what a sync deleted or overwrote
 *
 * Block file format: "key = value" lines, '#' comments, blank lines ignored.
 * Keys: source (absolute path), remote (absolute path), id (uuid written by
 * `btsoot add`), trash_days (integer >= 0, default 30),
 * remote_is_mount (0/1: remote was a mount point when added),
 * source_is_mount (0/1: another filesystem was mounted at the source when
 * added), max_delete_percent (0..100, default 50: a sync that would delete
 * more than this share of the mirror stops before its first change),
 * scan_offline_changes (0/1, default 1: after btsootfs was unmounted, the
 * next sync walks the source for entries changed since, see btsoot-sync(8)).
 * An unknown key or malformed line is an error naming file and line.
 */
#ifndef BTSOOT_CONFIG_H
#define BTSOOT_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define BT_DEFAULT_CONFIG_DIR "/etc/btsoot"
#define BT_DEFAULT_STATE_DIR "/var/lib/btsoot"
#define BT_ENV_CONFIG_DIR "BTSOOT_CONFIG_DIR"
#define BT_ENV_STATE_DIR "BTSOOT_STATE_DIR"
#define BT_BLOCK_NAME_MAX 64
#define BT_REMOTE_AREA ".btsoot" /* reserved name at the remote (and source) root */

struct bt_dirs {
	char config_dir[PATH_MAX];
	char state_dir[PATH_MAX];
};

struct bt_block {
	char name[BT_BLOCK_NAME_MAX + 1];
	char source[PATH_MAX];
	char remote[PATH_MAX];
	char id[40];
	int trash_days;
	bool remote_is_mount;
	bool source_is_mount;
	int max_delete_percent;
	bool scan_offline_changes;
	/* derived by bt_block_load from bt_dirs, not stored in the file: */
	char state[PATH_MAX];   /* <state_dir>/<name> */
	char journal[PATH_MAX]; /* <state>/journal.db */
	char conf_path[PATH_MAX];
};

/* Fills dirs from the environment, falling back to the defaults.
 * Command-line flags then overwrite the fields directly. */
void bt_dirs_default(struct bt_dirs *d);

/* [A-Za-z0-9_.-]{1,64}, not starting with '.' or '-'. */
bool bt_block_name_valid(const char *name);

/* Loads <config>/blocks/<name>.conf. 0, -ENOENT (unknown block), -EINVAL
 * (bad name or bad line; err holds "FILE:LINE: what is wrong"), or -errno. */
int bt_block_load(const struct bt_dirs *d, const char *name, struct bt_block *b,
		  char *err, size_t errlen);
/* Writes the block file atomically (temp + rename, 0600; dirs 0700) and
 * fills the derived fields. -EEXIST if it exists and !replace. */
int bt_block_save(const struct bt_dirs *d, struct bt_block *b, bool replace,
		  char *err, size_t errlen);
/* Removes the block file (not the state, not the remote). */
int bt_block_remove(const struct bt_dirs *d, const char *name);
/* Sorted list of block names; free with bt_block_names_free. */
int bt_block_list(const struct bt_dirs *d, char ***names, size_t *n);
void bt_block_names_free(char **names, size_t n);
/* Fills state/journal/conf_path from d and b->name. */
void bt_block_derive_paths(const struct bt_dirs *d, struct bt_block *b);
/* Creates <state_dir>/<name> (0700, parents too). 0 or -errno. */
int bt_block_make_state_dir(const struct bt_block *b);
/* Checks source/remote: absolute, existing directories, neither inside the
 * other, state dir not inside the source. 0 or -EINVAL with err set. */
int bt_block_check_paths(const struct bt_block *b, char *err, size_t errlen);

#endif
