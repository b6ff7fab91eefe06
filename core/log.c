/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "btsoot/log.h"

static const char *log_component = "btsoot";
static enum bt_log_level log_max = BT_LOG_NOTICE;
static const char *log_block;      /* named by every syslog line, or NULL */
static int syslog_max = -1;        /* highest level sent to syslog; -1: none */
static bool log_stderr = true;
static void (*log_before)(void);

void bt_log_init(const char *component, enum bt_log_level level)
{
	log_component = component;
	log_max = level;
}

void bt_log_set_block(const char *block)
{
	log_block = block;
}

static void open_syslog(void)
{
	openlog(log_component, LOG_PID, LOG_DAEMON);
}

void bt_log_use_syslog(void)
{
	open_syslog();
	syslog_max = (int)log_max;
	log_stderr = false;
}

void bt_log_also_syslog(enum bt_log_level max)
{
	open_syslog();
	syslog_max = (int)max;
}

void bt_log_before_stderr(void (*fn)(void))
{
	log_before = fn;
}

enum bt_log_level bt_log_level(void)
{
	return log_max;
}

/* One syslog line that names the block: as it is when it says
 * "block 'NAME'" already, else with that prefix. */
static void to_syslog(enum bt_log_level level, const char *line)
{
	char named[128];

	if (log_block) {
		snprintf(named, sizeof(named), "block '%s'", log_block);
		if (!strstr(line, named)) {
			syslog((int)level, "%s: %s", named, line);
			return;
		}
	}
	syslog((int)level, "%s", line);
}

void bt_vlog(enum bt_log_level level, const char *fmt, va_list ap)
{
	bool to_stderr = log_stderr && level <= log_max;
	char line[2048];

	if (!to_stderr && (int)level > syslog_max)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if ((int)level <= syslog_max)
		to_syslog(level, line);
	if (!to_stderr)
		return;
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

void bt_log_syslog(enum bt_log_level level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if ((int)level > syslog_max)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	to_syslog(level, line);
}
