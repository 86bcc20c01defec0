/*
 * tap.h: a tiny TAP producer for the C unit tests.
 *
 * Each test function is one TAP result.  CHECK() records a failure with
 * file:line and goes on; the automake TAP driver counts the results.
 *   static void test_x(void) { CHECK(1 + 1 == 2); }
 *   int main(void) { RUN(test_x); return tap_done(); }
 * Environment: PKS_SRCDIR (source tree) and PKS_BUILDDIR, set by make.
 */
#ifndef PKS_TESTS_TAP_H
#define PKS_TESTS_TAP_H

#include <stddef.h>
#include <stdint.h>

void tap_check(int ok, const char *file, int line, const char *expr);
void tap_run(const char *name, void (*fn)(void));
void tap_skip(const char *name, const char *why);
int tap_done(void);
/* Path under the source tree (static buffer, valid until next call). */
const char *tap_srcpath(const char *rel);
/* Read a whole file into a new buffer (caller frees); NULL on error. */
uint8_t *tap_read_file(const char *path, size_t *len);
/* Decode hex into out; returns the number of bytes. */
size_t tap_unhex(const char *hex, uint8_t *out, size_t max);

#define CHECK(cond) tap_check(!!(cond), __FILE__, __LINE__, #cond)
#define RUN(fn) tap_run(#fn, fn)

#endif
