/*
 * buf.c: the capped growable buffer.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xalloc.h"

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

enum pks_rc
buf_reserve(struct buf *b, size_t n, uint8_t **out)
{
	size_t need, cap;

	if (n > b->max || b->len > b->max - n)
		return PKS_ERR_TOOBIG;
	need = b->len + n + 1;
	if (need > b->cap) {
		cap = b->cap ? b->cap : 64;
		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		b->data = xreallocarray(b->data, cap, 1);
		b->cap = cap;
	}
	if (out != NULL)
		*out = b->data + b->len;
	return PKS_OK;
}

enum pks_rc
buf_add(struct buf *b, const void *p, size_t n)
{
	enum pks_rc rc;

	rc = buf_reserve(b, n, NULL);
	if (rc != PKS_OK)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return PKS_OK;
}

enum pks_rc
buf_addc(struct buf *b, uint8_t c)
{
	return buf_add(b, &c, 1);
}

enum pks_rc
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

enum pks_rc
buf_add_be32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { v >> 24, v >> 16, v >> 8, v };

	return buf_add(b, x, 4);
}

enum pks_rc
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	enum pks_rc rc;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return PKS_ERR_INTERNAL;
	rc = buf_reserve(b, (size_t)n, NULL);
	if (rc != PKS_OK)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return PKS_OK;
}

uint8_t *
buf_steal(struct buf *b, size_t *len)
{
	uint8_t *p = b->data;

	if (len != NULL)
		*len = b->len;
	if (p == NULL)
		p = xcalloc(1, 1);
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
