/* SPDX-License-Identifier: BSD-3-Clause */
/* A growing array of owned strings. */
#ifndef BTSOOT_SYNC_STRV_H
#define BTSOOT_SYNC_STRV_H

#include <stddef.h>

struct bt_strv {
	char **v;
	size_t n, cap;
};

/* Appends a copy of str. 0 or -ENOMEM. */
int bt_strv_push(struct bt_strv *s, const char *str);
/* Frees the strings and the array; s is empty again. */
void bt_strv_free(struct bt_strv *s);

#endif
