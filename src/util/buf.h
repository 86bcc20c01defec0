/*
 * buf.h: a growable byte buffer with a mandatory cap (curl's dynbuf).
 *
 * Every input that is accumulated (POST bodies, armor, mail parts, recon
 * messages, keys) goes through a struct buf whose 'max' comes from
 * limits.h.  An append that would pass the cap fails with
 * PKS_ERR_TOOBIG and leaves the buffer as it was.  The buffer owns
 * 'data'; buf_free() releases it and may be called on a zeroed struct.
 * data is always NUL-terminated past len (not counted), so text can be
 * read as a C string.
 */
#ifndef PKS_UTIL_BUF_H
#define PKS_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "util/rc.h"

struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max;
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
enum pks_rc buf_add(struct buf *b, const void *p, size_t n);
enum pks_rc buf_addc(struct buf *b, uint8_t c);
enum pks_rc buf_adds(struct buf *b, const char *s);
enum pks_rc buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
enum pks_rc buf_add_be32(struct buf *b, uint32_t v);
/* Make room for n more bytes; returns a pointer to them (len unchanged). */
enum pks_rc buf_reserve(struct buf *b, size_t n, uint8_t **out);
/* Hand the data to the caller (who frees it) and reset the buffer. */
uint8_t *buf_steal(struct buf *b, size_t *len);

#endif
