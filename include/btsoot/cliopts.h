/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Long options are taken exactly as written, never abbreviated.
 *
 * glibc's getopt_long takes any unique prefix of a long option: `--f`
 * means `--force` today and becomes an error, or another option, the day
 * an option `--from` is added. A backup tool must not guess, so every
 * program checks its argv with bt_cli_exact() before getopt_long.
 */
#ifndef BTSOOT_CLIOPTS_H
#define BTSOOT_CLIOPTS_H

#include <getopt.h>
#include <stddef.h>

/* Checks every long option in argv[1..argc) against longopts (exact names;
 * "--name=value" too), skipping the arguments of options that take one
 * (shortopts says which short ones do). Stops at "--", and, when shortopts
 * starts with '+', at the first non-option. Returns 0, or -EINVAL with
 * *bad set to the index of the first long option that is not exactly
 * one of longopts. */
int bt_cli_exact(int argc, char *const argv[], const char *shortopts,
		 const struct option *longopts, int *bad);

/* The long option that starts with the bad one's name ("--f": "force"),
 * for a "did you mean" hint, or NULL when none or more than one does. */
const char *bt_cli_completion(const char *arg, const struct option *longopts);

#endif
