/*
 * hkp_form.h: application/x-www-form-urlencoded decoding for HKP.
 *
 * The body of POST /pks/add and the query string of GET /pks/lookup
 * are lists of name=value fields separated by '&' (';' is not a
 * separator).  Names and values are decoded: '+' becomes a space and
 * %XX a byte; a '%' not followed by two hex digits is an error.  Fields
 * may come in any order and may repeat.  Pure: no I/O.
 */
#ifndef PKS_HKP_FORM_H
#define PKS_HKP_FORM_H

#include <stddef.h>

#include "util/rc.h"

/* Fields in one form; more is a parse error. */
#define HKP_FORM_MAX_FIELDS 64u

/* One decoded field.  name and value are NUL-terminated (the NUL is not
 * counted); a value may hold NUL bytes of its own (from %00). */
struct hkp_field {
	char *name;
	size_t namelen;
	char *value;
	size_t len;
};

/* The fields in input order.  Owned by the form (hkp_form_free). */
struct hkp_form {
	struct hkp_field *v;
	size_t n;
};

void hkp_form_init(struct hkp_form *f);

/* Free the fields; the form is empty afterwards and may be reused. */
void hkp_form_free(struct hkp_form *f);

/*
 * Append one field (copies of name and value, as given: no decoding).
 * PKS_ERR_TOOBIG past HKP_FORM_MAX_FIELDS.
 */
enum pks_rc hkp_form_add(struct hkp_form *f, const char *name, size_t namelen,
    const char *value, size_t len);

/*
 * Decode text[0..len) and append its fields to f.  Empty segments
 * ("a=1&&b=2") are skipped; a field without '=' has an empty value.
 * Errors: PKS_ERR_PARSE for a bad %-escape (err->off is its offset),
 * PKS_ERR_TOOBIG for too many fields.  On error f keeps the fields
 * decoded before the bad one; the caller frees it either way.
 */
enum pks_rc hkp_form_decode(
    struct hkp_form *f, const char *text, size_t len, struct pks_err *err);

/* The first field called name, or NULL.  Borrowed from f. */
const struct hkp_field *hkp_form_get(
    const struct hkp_form *f, const char *name);

/*
 * Decode one %-escaped component of len bytes into out, which must hold
 * len + 1 bytes; *outlen gets the decoded length (out is NUL-terminated).
 * PKS_ERR_PARSE for a bad escape, with err->off relative to in.
 */
enum pks_rc hkp_form_unescape(
    const char *in, size_t len, char *out, size_t *outlen, struct pks_err *err);

#endif
