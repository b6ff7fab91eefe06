/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Text for the Prometheus exposition format (node_exporter's textfile
 * collector reads `btsoot status --prometheus`): escaping of label values
 * and HELP text as the format defines it.
 *   label value: '\' -> "\\", '"' -> "\"", newline -> "\n"
 *   HELP text:   '\' -> "\\", newline -> "\n"
 * Bytes that are not valid UTF-8 (the format is UTF-8) become U+FFFD.
 * Both write a NUL-terminated string into buf (truncated at a character
 * boundary, never overflowing) and return buf.
 */
#ifndef BTSOOT_PROM_H
#define BTSOOT_PROM_H

#include <stddef.h>

char *bt_prom_label_value(const char *v, char *buf, size_t len);
char *bt_prom_help_text(const char *v, char *buf, size_t len);

#endif
