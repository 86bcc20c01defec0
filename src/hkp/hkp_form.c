/*
 * hkp_form.c: the application/x-www-form-urlencoded decoder.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "hkp/hkp_form.h"
#include "util/hex.h"
#include "util/xalloc.h"

void
hkp_form_init(struct hkp_form *f)
{
	f->v = NULL;
	f->n = 0;
}

void
hkp_form_free(struct hkp_form *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
	}
	free(f->v);
	hkp_form_init(f);
}

static struct hkp_field *
form_slot(struct hkp_form *f)
{
	if (f->n >= HKP_FORM_MAX_FIELDS)
		return NULL;
	f->v = xreallocarray(f->v, f->n + 1, sizeof(*f->v));
	memset(&f->v[f->n], 0, sizeof(f->v[f->n]));
	return &f->v[f->n++];
}

enum pks_rc
hkp_form_add(struct hkp_form *f, const char *name, size_t namelen,
    const char *value, size_t len)
{
	struct hkp_field *fl;

	fl = form_slot(f);
	if (fl == NULL)
		return PKS_ERR_TOOBIG;
	fl->name = xstrndup(name, namelen);
	fl->namelen = namelen;
	fl->value = xmalloc(len + 1);
	if (len)
		memcpy(fl->value, value, len);
	fl->value[len] = '\0';
	fl->len = len;
	return PKS_OK;
}

enum pks_rc
hkp_form_unescape(
    const char *in, size_t len, char *out, size_t *outlen, struct pks_err *err)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (in[i] == '+') {
			out[o++] = ' ';
		} else if (in[i] == '%') {
			if (len - i < 3)
				return pks_fail(err, i, "truncated %-escape",
				    PKS_ERR_PARSE);
			hi = hex_value(in[i + 1]);
			lo = hex_value(in[i + 2]);
			if (hi < 0 || lo < 0)
				return pks_fail(
				    err, i, "bad %-escape", PKS_ERR_PARSE);
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = in[i];
		}
	}
	out[o] = '\0';
	*outlen = o;
	return PKS_OK;
}

/* Decode one "name[=value]" segment into a new field. */
static enum pks_rc
decode_field(struct hkp_form *f, const char *seg, size_t len, size_t base,
    struct pks_err *err)
{
	const char *eq;
	struct hkp_field *fl;
	size_t nlen;
	enum pks_rc rc;

	eq = memchr(seg, '=', len);
	nlen = eq != NULL ? (size_t)(eq - seg) : len;
	fl = form_slot(f);
	if (fl == NULL)
		return pks_fail(
		    err, base, "too many form fields", PKS_ERR_TOOBIG);
	fl->name = xmalloc(nlen + 1);
	rc = hkp_form_unescape(seg, nlen, fl->name, &fl->namelen, err);
	if (rc == PKS_OK) {
		fl->value = xmalloc(eq != NULL ? len - nlen : 1);
		if (eq != NULL)
			rc = hkp_form_unescape(
			    eq + 1, len - nlen - 1, fl->value, &fl->len, err);
		else
			fl->value[0] = '\0';
		if (rc != PKS_OK && err != NULL)
			err->off += nlen + 1;
	}
	if (rc != PKS_OK) {
		free(fl->name);
		free(fl->value);
		f->n--;
		if (err != NULL)
			err->off += base;
	}
	return rc;
}

enum pks_rc
hkp_form_decode(
    struct hkp_form *f, const char *text, size_t len, struct pks_err *err)
{
	size_t off = 0, seglen;
	const char *amp;
	enum pks_rc rc;

	while (off < len) {
		amp = memchr(text + off, '&', len - off);
		seglen = amp != NULL ? (size_t)(amp - (text + off)) : len - off;
		if (seglen > 0) {
			rc = decode_field(f, text + off, seglen, off, err);
			if (rc != PKS_OK)
				return rc;
		}
		off += seglen + 1;
	}
	return PKS_OK;
}

const struct hkp_field *
hkp_form_get(const struct hkp_form *f, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < f->n; i++)
		if (f->v[i].namelen == n && memcmp(f->v[i].name, name, n) == 0)
			return &f->v[i];
	return NULL;
}
