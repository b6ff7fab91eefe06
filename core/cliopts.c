/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "btsoot/cliopts.h"

/* arg is "--name" or "--name=value": the option named exactly, or NULL. */
static const struct option *find_long(const char *arg, const struct option *longopts)
{
	const char *name = arg + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);

	for (const struct option *o = longopts; o && o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	return NULL;
}

/* A cluster of short options "-abc": true if its last option takes the
 * next argv entry as its argument. */
static bool short_takes_next(const char *arg, const char *shortopts)
{
	for (const char *c = arg + 1; *c; c++) {
		const char *d = strchr(shortopts, *c);

		if (*c != ':' && d && d[1] == ':')
			return c[1] == '\0' && d[2] != ':'; /* "-jN" carries it */
	}
	return false;
}

int bt_cli_exact(int argc, char *const argv[], const char *shortopts,
		 const struct option *longopts, int *bad)
{
	bool stop_at_operand = shortopts[0] == '+';

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct option *o;

		if (!strcmp(a, "--"))
			return 0;
		if (a[0] != '-' || a[1] == '\0') {
			if (stop_at_operand)
				return 0;
			continue;
		}
		if (a[1] != '-') {
			i += short_takes_next(a, shortopts);
			continue;
		}
		o = find_long(a, longopts);
		if (!o) {
			*bad = i;
			return -EINVAL;
		}
		i += o->has_arg == required_argument && !strchr(a, '=');
	}
	return 0;
}

const char *bt_cli_completion(const char *arg, const struct option *longopts)
{
	const char *name = arg + (strncmp(arg, "--", 2) ? 0 : 2), *found = NULL;
	size_t len = strcspn(name, "=");

	for (const struct option *o = longopts; len && o && o->name; o++) {
		if (strncmp(o->name, name, len))
			continue;
		if (found)
			return NULL;
		found = o->name;
	}
	return found;
}
