/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Confined path handling. Every relative path btsoot uses comes from a
 * journal row, a config file or a directory listing and is untrusted.
 *
 * A valid relative path ("rel") is "" (the tree's root) or one or more
 * components separated by single '/', with no leading or trailing '/', no
 * empty component, no "." or "..", no NUL (C strings), each component at most
 * NAME_MAX bytes. Any other byte is allowed (spaces, newlines, invalid UTF-8).
 *
 * Opening beneath a root descriptor never follows a symlink in any
 * component, never leaves the root, and works for paths longer than
 * PATH_MAX (it walks them in pieces).
 */
#ifndef BTSOOT_PATHSAFE_H
#define BTSOOT_PATHSAFE_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

bool bt_path_valid(const char *rel);

/* openat2(rootfd, rel, flags | O_NOFOLLOW, mode) with RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS. rel "" opens the root itself
 * (a new descriptor). The last component is not followed either: opening a
 * symlink fails with ELOOP unless flags has O_PATH. Returns fd or -errno;
 * -EINVAL for an invalid rel. */
int bt_open_beneath(int rootfd, const char *rel, int flags, mode_t mode);
/* Opens rel for reading only if it is a regular file (O_PATH first: a fifo
 * or device put at that name is never opened for real); -ENOENT if it is
 * not. The _stat form also gives the file's stat at open. */
int bt_open_file_beneath(int rootfd, const char *rel);
int bt_open_file_beneath_stat(int rootfd, const char *rel, struct stat *st);
/* The same opened directly, without the O_PATH step and /proc reopen (a
 * third of verify's time on small files): a fifo at the name is opened
 * without blocking and turned away, but a device node put there between a
 * listing and this call would be opened (a watchdog arms on open) before
 * it is turned away. Only for trees that cannot hand us a device we must
 * not open: the source, or a remote mounted nodev. */
int bt_open_file_beneath_fast(int rootfd, const char *rel, struct stat *st);
/* bt_open_file_beneath_stat with open flags (O_WRONLY...; no O_CREAT),
 * but -EEXIST when rel is there and not a regular file. */
int bt_reopen_file_beneath(int rootfd, const char *rel, int flags, struct stat *st);
/* rel ("" = rootfd itself) opened for readdir, confined like
 * bt_open_beneath. NULL with errno set on failure. */
DIR *bt_opendir_beneath(int rootfd, const char *rel);

/* Opens the directory holding rel's last component (O_PATH | O_DIRECTORY),
 * beneath rootfd, and points *leaf into rel at that last component, so the
 * caller can use the *at() calls on (fd, *leaf). rel must not be "".
 * Returns fd or -errno. */
int bt_open_parent(int rootfd, const char *rel, const char **leaf);

/* "a/b" + "c" -> "a/b/c"; "" + "c" -> "c". malloc'd; NULL on ENOMEM. */
char *bt_path_join(const char *dir, const char *name);
/* Parent of rel: "a/b/c" -> "a/b", "c" -> "". malloc'd. rel must not be "". */
char *bt_path_dirname(const char *rel);
/* True if path equals dir or lies below it ("" is above everything). */
bool bt_path_is_under(const char *path, const char *dir);
/* If path equals from or lies below it, returns a malloc'd copy with that
 * prefix replaced by to (the effect of rename(from, to) on path); otherwise
 * returns NULL and sets *moved = false. On ENOMEM returns NULL with *moved =
 * true. */
char *bt_path_rename(const char *path, const char *from, const char *to,
		     bool *moved);
/* Cuts rel (in place) to its parent: "a/b" -> "a", "a" -> "". False, and
 * rel unchanged, when rel is "" (the root has no parent). */
bool bt_path_up(char *rel);
/* Number of components ("" -> 0, "a/b" -> 2). */
size_t bt_path_depth(const char *rel);

/* Escapes a path for one-line messages: control bytes, backslash and
 * non-UTF-8 bytes become \xNN. Returns buf (always NUL-terminated,
 * truncated with "..." if it does not fit). */
const char *bt_path_printable(const char *rel, char *buf, size_t len);

#endif
