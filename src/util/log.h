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

enum log_level { LOG_LVL_WARN = 0, LOG_LVL_INFO = 1, LOG_LVL_DEBUG = 2 };

/* Set the program tag ("pksync serve") and the most verbose level shown. */
void log_init(const char *tag, enum log_level level);
void log_set_level(enum log_level level);
int log_enabled(enum log_level level);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
