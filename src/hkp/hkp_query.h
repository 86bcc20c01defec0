/*
 * hkp_query.h: the arguments of GET /pks/lookup and the search term.
 *
 * hkp_query_parse() reads op, options (comma list: mr, nm), fingerprint,
 * exact and search from decoded form fields (the first of each name
 * counts; unknown names and options are ignored).  The search term is
 * classified by store_query_parse() (store/store_query.h: key ID,
 * fingerprint, e-mail address or words); op=hget wants 32 hex digits
 * (an SKS key hash), with or without 0x.  Pure: no I/O.
 */
#ifndef PKS_HKP_QUERY_H
#define PKS_HKP_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "hkp/hkp_form.h"
#include "store/store_query.h"
#include "util/limits.h"
#include "util/rc.h"

enum hkp_op {
	HKP_OP_GET,
	HKP_OP_INDEX,
	HKP_OP_VINDEX,
	HKP_OP_HGET,
	HKP_OP_STATS
};

enum hkp_opt {
	HKP_OPT_MR = 1, /* machine-readable output */
	HKP_OPT_NM = 2  /* no modification (accepted, no effect) */
};

struct hkp_query {
	enum hkp_op op;
	unsigned opts;   /* HKP_OPT_* bits */
	int fingerprint; /* fingerprint=on */
	int exact;       /* exact=on */
	struct store_query search;
};

/*
 * Parse lookup arguments into *q.  Errors, each with a one-line reason
 * in err->why (err->off is 0 or the offset in the search term):
 * PKS_ERR_PARSE for a missing op or search, bad hex, a search too long
 * or without usable words; PKS_ERR_UNSUPPORTED for an unknown op.
 */
enum pks_rc hkp_query_parse(
    const struct hkp_form *args, struct hkp_query *q, struct pks_err *err);

/* The HKP_OPT_* bits of an options value such as "mr,nm". */
unsigned hkp_options_parse(const char *s, size_t len);

/*
 * Classify one search term (see above).  op selects the hget rule.
 * Errors as for hkp_query_parse.
 */
enum pks_rc hkp_search_parse(const char *s, size_t len, enum hkp_op op,
    struct store_query *out, struct pks_err *err);

/* Name of an op ("get", ...).  Static. */
const char *hkp_op_name(enum hkp_op op);

#endif
