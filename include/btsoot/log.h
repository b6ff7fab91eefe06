/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One logging function for every btsoot program.
 *
 * Every line carries the program's component prefix ("btsoot-sync: ...").
 * Levels are syslog's. Two sinks, each with its own highest level:
 * - stderr, at the level bt_log_init sets (the foreground, cron's mail);
 * - syslog (facility daemon, ident the component, with the pid): the
 *   daemon sends everything there instead of stderr once it has detached;
 *   btsoot-sync and btsoot-verify send it errors, warnings, notices and
 *   their run's summary as well, whatever stderr gets (bt_log_also_syslog),
 *   so the journal has every failure even when cron throws output away.
 * Every syslog line names the block (bt_log_set_block): a message that
 * does not say "block 'NAME'" gets that as its prefix. Nothing here aborts.
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
/* The block every syslog line names (a string that outlives the logging). */
void bt_log_set_block(const char *block);
/* Send further messages to syslog instead of stderr (daemon after detaching). */
void bt_log_use_syslog(void);
/* Also send messages up to level max to syslog; stderr keeps its level. */
void bt_log_also_syslog(enum bt_log_level max);
/* The highest level printed on stderr (what bt_debug checks). */
enum bt_log_level bt_log_level(void);
/* fn (NULL: none) runs before each line written to stderr: the progress
 * line (sync/progress.h) erases itself so the message starts clean. */
void bt_log_before_stderr(void (*fn)(void));

void bt_log(enum bt_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void bt_vlog(enum bt_log_level level, const char *fmt, va_list ap);
/* One line to syslog only, if it takes that level (a run's summary, which
 * stdout shows in its own words). */
void bt_log_syslog(enum bt_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

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
