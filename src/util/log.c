/*
 * log.c: stderr logging with a timestamp, the program tag and a level.
 * Lines are written with one write(2) each so that lines from several
 * threads never interleave.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

static const char *log_tag = "pksync";
static enum log_level log_level = LOG_LVL_INFO;

void
log_init(const char *tag, enum log_level level)
{
	log_tag = tag;
	log_level = level;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

int
log_enabled(enum log_level level)
{
	return level <= log_level;
}

static void __attribute__((format(printf, 3, 0)))
vlog(const char *lvl, int errnum, const char *fmt, va_list ap)
{
	char line[2048];
	struct tm tm;
	time_t now = time(NULL);
	size_t n;
	int r;

	gmtime_r(&now, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	r = snprintf(line + n, sizeof(line) - n, "%s %s: ", log_tag, lvl);
	if (r > 0 && (size_t)r < sizeof(line) - n)
		n += (size_t)r;
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r
						  : sizeof(line) - n - 1;
	if (errnum != 0 && n < sizeof(line) - 1) {
		r = snprintf(
		    line + n, sizeof(line) - n, ": %s", strerror(errnum));
		if (r > 0)
			n += (size_t)r < sizeof(line) - n
				 ? (size_t)r
				 : sizeof(line) - n - 1;
	}
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) == -1) {
		/* nowhere left to report it */
	}
}

#define LOGFN(name, level, lvlname, witherr)                                   \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		int saved = errno;                                             \
		va_list ap;                                                    \
		if (!log_enabled(level))                                       \
			return;                                                \
		va_start(ap, fmt);                                             \
		vlog(lvlname, witherr ? saved : 0, fmt, ap);                   \
		va_end(ap);                                                    \
		errno = saved;                                                 \
	}

LOGFN(log_warn, LOG_LVL_WARN, "warning", 1)
LOGFN(log_warnx, LOG_LVL_WARN, "warning", 0)
LOGFN(log_info, LOG_LVL_INFO, "info", 0)
LOGFN(log_debug, LOG_LVL_DEBUG, "debug", 0)

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal", saved, fmt, ap);
	va_end(ap);
	exit(70);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal", 0, fmt, ap);
	va_end(ap);
	exit(70);
}
