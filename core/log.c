/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "btsoot/log.h"

static const char *log_component = "btsoot";
static enum bt_log_level log_max = BT_LOG_NOTICE;
static int log_syslog;
static void (*log_before)(void);

void bt_log_init(const char *component, enum bt_log_level level)
{
	log_component = component;
	log_max = level;
}

void bt_log_use_syslog(void)
{
	openlog(log_component, LOG_PID, LOG_DAEMON);
	log_syslog = 1;
}

void bt_log_before_stderr(void (*fn)(void))
{
	log_before = fn;
}

enum bt_log_level bt_log_level(void)
{
	return log_max;
}

void bt_vlog(enum bt_log_level level, const char *fmt, va_list ap)
{
	char line[2048];

	if (level > log_max)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_syslog) {
		syslog((int)level, "%s", line);
		return;
	}
	if (log_before)
		log_before();
	/* One write per line so lines of concurrent threads do not interleave. */
	fprintf(stderr, "%s: %s\n", log_component, line);
}

void bt_log(enum bt_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bt_vlog(level, fmt, ap);
	va_end(ap);
}
