/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A stand-in for syslog(3), loaded with LD_PRELOAD by the integration
 * tests (there is no syslog daemon in a test container, and a private one
 * would need /dev/log, which every process on the machine shares).
 *
 * Each syslog call appends one line to the file $BTSOOT_TEST_SYSLOG:
 *   IDENT[PID] <PRIORITY>: MESSAGE
 * IDENT is what the program passed to openlog ("syslog" if it never did),
 * PRIORITY the level (and facility) it passed. One write(2) per line with
 * O_APPEND, so lines of threads and processes do not interleave. Without
 * $BTSOOT_TEST_SYSLOG the calls do nothing.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static const char *shim_ident = "syslog";
static int shim_facility = LOG_USER;

void openlog(const char *ident, int option, int facility)
{
	(void)option;
	if (ident)
		shim_ident = ident;
	shim_facility = facility;
}

void closelog(void)
{
}

void vsyslog(int pri, const char *fmt, va_list ap)
{
	const char *path = getenv("BTSOOT_TEST_SYSLOG");
	char msg[4096], line[4200];
	int fd, n;

	if (!path)
		return;
	if (!(pri & LOG_FACMASK))
		pri |= shim_facility;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = snprintf(line, sizeof(line), "%s[%d] <%d>: %s\n", shim_ident, (int)getpid(), pri,
		     msg);
	if (n < 0)
		return;
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)n) < 0)
		n = 0;
	close(fd);
}

void syslog(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(pri, fmt, ap);
	va_end(ap);
}

/* What glibc calls instead when built with _FORTIFY_SOURCE. */
void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	vsyslog(pri, fmt, ap);
}

void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	vsyslog(pri, fmt, ap);
	va_end(ap);
}
