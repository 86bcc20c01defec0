/*
 * log.c: stderr logging with a timestamp, the program tag and a level.
 * Lines are written with one write(2) each so that lines from several
 * threads never interleave.
 *
 * Log messages carry values from outside (mail headers, recon strings,
 * URLs), so the formatter escapes the whole formatted message: control
 * characters, DEL, backslash, bytes that are not UTF-8, and the Unicode
 * line separators, C1 controls and bidi overrides are written as \n,
 * \r, \t, \\ or \xNN.  One log line is always one event, whatever a
 * caller passed to "%s".
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
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

/* Code points a log line shows as they are: not C1 controls, line
 * or paragraph separators, direction marks or bidi overrides. */
static int
cp_shown(uint32_t c)
{
	if (c < 0xa0 || c == 0x200e || c == 0x200f)
		return 0;
	if (c >= 0x2028 && c <= 0x202e)
		return 0;
	return c < 0x2066 || c > 0x2069;
}

/* Length of the valid, shown UTF-8 sequence at s[0..n), or 0. */
static size_t
utf8_ok(const unsigned char *s, size_t n)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len, i;
	uint32_t c;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	c = s[0] & (0x7fu >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3fu);
	}
	if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return cp_shown(c) ? len : 0;
}

/* The escape of byte b into e; its length (2 or 4). */
static size_t
escape_byte(unsigned char b, char e[4])
{
	static const char hex[] = "0123456789abcdef";

	e[0] = '\\';
	switch (b) {
	case '\n':
		e[1] = 'n';
		return 2;
	case '\r':
		e[1] = 'r';
		return 2;
	case '\t':
		e[1] = 't';
		return 2;
	case '\\':
		e[1] = '\\';
		return 2;
	default:
		e[1] = 'x';
		e[2] = hex[b >> 4];
		e[3] = hex[b & 15];
		return 4;
	}
}

size_t
log_escape(const char *in, size_t n, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)in;
	const char *from;
	size_t i = 0, o = 0, k, adv;
	char e[4];

	if (size == 0)
		return 0;
	while (i < n && s[i] != '\0') {
		k = s[i] >= 0x80 ? utf8_ok(s + i, n - i) : 0;
		if (k == 0 && s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\')
			k = 1;
		from = (const char *)s + i;
		adv = k;
		if (k == 0) {
			k = escape_byte(s[i], e);
			from = e;
			adv = 1;
		}
		if (o + k >= size)
			break;
		memcpy(out + o, from, k);
		o += k;
		i += adv;
	}
	out[o] = '\0';
	return o;
}

static void __attribute__((format(printf, 3, 0)))
vlog(const char *lvl, int errnum, const char *fmt, va_list ap)
{
	char line[4096], msg[2048];
	struct tm tm;
	time_t now = time(NULL);
	size_t n;
	int r;

	gmtime_r(&now, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	r = snprintf(line + n, sizeof(line) - n, "%s %s: ", log_tag, lvl);
	if (r > 0 && (size_t)r < sizeof(line) - n)
		n += (size_t)r;
	r = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (r > 0)
		n += log_escape(msg,
		    (size_t)r < sizeof(msg) ? (size_t)r : sizeof(msg) - 1,
		    line + n, sizeof(line) - n - 1);
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
