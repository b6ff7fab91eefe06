/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * core/log.c: its two sinks and the block every syslog line names. syslog
 * is defined here, so the library's calls land in `logged` (the program's
 * own definition wins over libc's); stderr is a temp file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "btsoot/log.h"

static char logged[4096]; /* "<LEVEL>IDENT: MESSAGE\n" per call */
static char ident[64];

void openlog(const char *id, int option, int facility)
{
	(void)option, (void)facility;
	snprintf(ident, sizeof(ident), "%s", id);
}

void vsyslog(int pri, const char *fmt, va_list ap)
{
	size_t n = strlen(logged);

	n += (size_t)snprintf(logged + n, sizeof(logged) - n, "<%d>%s: ", pri & LOG_PRIMASK,
			      ident);
	n += (size_t)vsnprintf(logged + n, sizeof(logged) - n, fmt, ap);
	snprintf(logged + n, sizeof(logged) - n, "\n");
}

void syslog(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(pri, fmt, ap);
	va_end(ap);
}

void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	vsyslog(pri, fmt, ap);
	va_end(ap);
}

/* What went to stderr during fn. */
static char *stderr_of(void (*fn)(void))
{
	static char buf[4096];
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	return buf;
}

static void cron_run(void)
{
	bt_err("remote /r has no btsoot marker");
	bt_warn("block 'media': the remote keeps times to 1 s");
	bt_notice("rescan saw 3 entries");
	bt_log_syslog(BT_LOG_INFO, "block 'media': synced: 3 rows replayed");
	bt_info("not for stderr");
	bt_debug("a trace: %d", 1);
}

static void syslog_gets_more_than_stderr_each_line_naming_the_block(void **state)
{
	(void)state;
	logged[0] = '\0';
	bt_log_init("btsoot-sync", BT_LOG_WARNING); /* cron: warnings and errors */
	bt_log_set_block("media");
	bt_log_also_syslog(BT_LOG_INFO);
	assert_string_equal(stderr_of(cron_run),
			    "btsoot-sync: remote /r has no btsoot marker\n"
			    "btsoot-sync: block 'media': the remote keeps times to 1 s\n");
	assert_string_equal(logged,
			    "<3>btsoot-sync: block 'media': remote /r has no btsoot marker\n"
			    "<4>btsoot-sync: block 'media': the remote keeps times to 1 s\n"
			    "<5>btsoot-sync: block 'media': rescan saw 3 entries\n"
			    "<6>btsoot-sync: block 'media': synced: 3 rows replayed\n"
			    "<6>btsoot-sync: block 'media': not for stderr\n");
	assert_int_equal(bt_log_level(), BT_LOG_WARNING); /* bt_debug stays cheap */
}

static void quiet(void)
{
	bt_warn("a warning");
	bt_err("an error");
}

static void detached_daemon_logs_to_syslog_only(void **state)
{
	(void)state;
	logged[0] = '\0';
	bt_log_init("btsootfs", BT_LOG_NOTICE);
	bt_log_set_block("b");
	bt_log_use_syslog();
	assert_string_equal(stderr_of(quiet), "");
	assert_string_equal(logged, "<4>btsootfs: block 'b': a warning\n"
				    "<3>btsootfs: block 'b': an error\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syslog_gets_more_than_stderr_each_line_naming_the_block),
		cmocka_unit_test(detached_daemon_logs_to_syslog_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
