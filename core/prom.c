/* SPDX-License-Identifier: BSD-3-Clause */
/* Prometheus text escaping: see include/btsoot/prom.h. */
#include <string.h>

#include "btsoot/json.h"
#include "btsoot/prom.h"

/* Appends p[0..n) when all of it fits (with the NUL); false when not. */
static bool append(char *buf, size_t len, size_t *used, const char *p, size_t n)
{
	if (*used + n >= len)
		return false;
	memcpy(buf + *used, p, n);
	*used += n;
	return true;
}

static char *escape(const char *v, char *buf, size_t len, bool quote)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t used = 0, n = strlen(v);
	bool room = len > 0;

	for (size_t i = 0; room && i < n;) {
		size_t k = bt_utf8_seq_len(s + i, n - i);

		if (k == 0)
			room = append(buf, len, &used, "\xEF\xBF\xBD", 3), k = 1;
		else if (s[i] == '\\')
			room = append(buf, len, &used, "\\\\", 2);
		else if (s[i] == '\n')
			room = append(buf, len, &used, "\\n", 2);
		else if (s[i] == '"' && quote)
			room = append(buf, len, &used, "\\\"", 2);
		else
			room = append(buf, len, &used, (const char *)s + i, k);
		i += k;
	}
	if (len)
		buf[used] = '\0';
	return buf;
}

char *bt_prom_label_value(const char *v, char *buf, size_t len)
{
	return escape(v, buf, len, true);
}

char *bt_prom_help_text(const char *v, char *buf, size_t len)
{
	return escape(v, buf, len, false);
}
