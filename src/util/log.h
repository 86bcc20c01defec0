/*
 * log.h: logging in the OpenBSD log.h style.  One event per line on
 * stderr (the MTA, cron and a foreground 'serve' all capture stderr),
 * "key=value" fields after a short message.  log_warn appends
 * strerror(errno); fatal() and fatalx() exit.  The level is checked
 * before anything is formatted.
 */
#ifndef PKS_UTIL_LOG_H
#define PKS_UTIL_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_LVL_WARN = 0, LOG_LVL_INFO = 1, LOG_LVL_DEBUG = 2 };

/* Set the program tag ("pksync serve") and the most verbose level shown. */
void log_init(const char *tag, enum log_level level);
void log_set_level(enum log_level level);
int log_enabled(enum log_level level);

/*
 * Escape in[0..n) (up to a NUL) for a log line into out (size bytes,
 * always NUL-terminated): printable ASCII and valid UTF-8 stay, other
 * bytes become \n, \r, \t, \\ or \xNN (see log.c).  Stops before
 * a sequence that would not fit.  Returns the length written.  Every
 * log function already applies it to its whole message.
 */
size_t log_escape(const char *in, size_t n, char *out, size_t size);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
