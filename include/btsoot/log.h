/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One logging function for every btsoot program.
 *
 * Every line carries the program's component prefix ("btsoot-sync: ...").
 * Levels are syslog's. The daemon logs to syslog once it has detached;
 * the command-line tools log to stderr. Nothing here aborts.
 */
#ifndef BTSOOT_LOG_H
#define BTSOOT_LOG_H

#include <stdarg.h>

enum bt_log_level {
	BT_LOG_ERR = 3,
	BT_LOG_WARNING = 4,
	BT_LOG_NOTICE = 5,
	BT_LOG_INFO = 6,
	BT_LOG_DEBUG = 7,
};

/* component: short program name used as prefix; level: highest level printed. */
void bt_log_init(const char *component, enum bt_log_level level);
/* Send further messages to syslog instead of stderr (daemon after detaching). */
void bt_log_use_syslog(void);
enum bt_log_level bt_log_level(void);
/* fn (NULL: none) runs before each line written to stderr: the progress
 * line (sync/progress.h) erases itself so the message starts clean. */
void bt_log_before_stderr(void (*fn)(void));

void bt_log(enum bt_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void bt_vlog(enum bt_log_level level, const char *fmt, va_list ap);

#define bt_err(...) bt_log(BT_LOG_ERR, __VA_ARGS__)
#define bt_warn(...) bt_log(BT_LOG_WARNING, __VA_ARGS__)
#define bt_notice(...) bt_log(BT_LOG_NOTICE, __VA_ARGS__)
#define bt_info(...) bt_log(BT_LOG_INFO, __VA_ARGS__)
/* Cheap when disabled: the arguments are not evaluated. */
#define bt_debug(...)                                                          \
	do {                                                                   \
		if (bt_log_level() >= BT_LOG_DEBUG)                            \
			bt_log(BT_LOG_DEBUG, __VA_ARGS__);                     \
	} while (0)

#endif
