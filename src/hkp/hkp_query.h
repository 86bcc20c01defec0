/*
 * hkp_query.h: the arguments of GET /pks/lookup and the search term.
 *
 * hkp_query_parse() reads op, options (comma list: mr, nm), fingerprint,
 * exact and search from decoded form fields (the first of each name
 * counts; unknown names and options are ignored).  The search term is
 * classified:
 *   0x + 8 or 16 hex digits      key ID (32 or 64 bits)
 *   0x + 32, 40 or 64 hex digits fingerprint (v3, v4, v5/v6)
 *   40 or 64 hex digits, spaces allowed, no 0x: fingerprint (pasted)
 *   local@domain, with or without <>: e-mail address
 *   anything else                words (letters, digits, UTF-8)
 * 0x followed by anything but hex digits (and spaces) is an error.
 * A hex string without 0x is never taken for a key ID.  op=hget wants
 * 32 hex digits (an SKS key hash), with or without 0x.  Either case of
 * hex digits is accepted.  Pure: no I/O.
 */
#ifndef PKS_HKP_QUERY_H
#define PKS_HKP_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "hkp/hkp_form.h"
#include "util/limits.h"
#include "util/rc.h"

enum hkp_op {
	HKP_OP_GET,
	HKP_OP_INDEX,
	HKP_OP_VINDEX,
	HKP_OP_HGET,
	HKP_OP_STATS
};

enum hkp_search_kind {
	HKP_SEARCH_NONE,     /* no search (op=stats) */
	HKP_SEARCH_KEYID,    /* keyid, bits 32 or 64 */
	HKP_SEARCH_FPR,      /* bin[0..len): 16, 20 or 32 bytes */
	HKP_SEARCH_HASH,     /* bin[0..16): SKS key hash */
	HKP_SEARCH_EMAIL,    /* text: the address, ASCII lower-cased */
	HKP_SEARCH_WORDS     /* text: words lower-cased, one space apart */
};

/* Words shorter than this are dropped from a text search. */
#define HKP_MIN_WORD 2u

struct hkp_search {
	enum hkp_search_kind kind;
	uint64_t keyid;
	int bits;
	uint8_t bin[32];
	size_t len;
	char text[PKS_MAX_QUERY + 1];
};

enum hkp_opt {
	HKP_OPT_MR = 1,      /* machine-readable output */
	HKP_OPT_NM = 2       /* no modification (accepted, no effect) */
};

struct hkp_query {
	enum hkp_op op;
	unsigned opts;       /* HKP_OPT_* bits */
	int fingerprint;     /* fingerprint=on */
	int exact;           /* exact=on */
	struct hkp_search search;
};

/*
 * Parse lookup arguments into *q.  Errors, each with a one-line reason
 * in err->why (err->off is 0 or the offset in the search term):
 * PKS_ERR_PARSE for a missing op or search, bad hex, a search too long
 * or without usable words; PKS_ERR_UNSUPPORTED for an unknown op.
 */
enum pks_rc hkp_query_parse(const struct hkp_form *args, struct hkp_query *q,
    struct pks_err *err);

/* The HKP_OPT_* bits of an options value such as "mr,nm". */
unsigned hkp_options_parse(const char *s, size_t len);

/*
 * Classify one search term (see above).  op selects the hget rule.
 * Errors as for hkp_query_parse.
 */
enum pks_rc hkp_search_parse(const char *s, size_t len, enum hkp_op op,
    struct hkp_search *out, struct pks_err *err);

/* Name of an op ("get", ...).  Static. */
const char *hkp_op_name(enum hkp_op op);

#endif
