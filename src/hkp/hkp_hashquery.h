/*
 * hkp_hashquery.h: POST /pks/hashquery, how recon peers fetch keys.
 *
 * The request body is SKS's list of strings: a 4-octet big-endian
 * count, then count x (4-octet big-endian length = 16, 16 MD5 octets).
 * The answer is count x (4-octet length, stored key bytes) after a
 * count, then CRLF (sks-recon.md §7).  Unknown hashes are skipped.
 */
#ifndef PKS_HKP_HASHQUERY_H
#define PKS_HKP_HASHQUERY_H

#include <stddef.h>
#include <stdint.h>

#include "util/limits.h"
#include "util/rc.h"

/* Largest request body: the count plus PKS_MAX_HASHQUERY entries. */
#define HKP_HASHQUERY_MAX_BODY (4u + 20u * PKS_MAX_HASHQUERY)

/* Key bytes in one answer; later keys are left out (the peer asks for
 * them again at its next recon). */
#define HKP_HASHQUERY_MAX_REPLY (64u * 1024 * 1024)

/* Hashes sorted and without duplicates; v is owned (hkp_hashes_free). */
struct hkp_hashes {
	uint8_t (*v)[16];
	size_t n;
};

/*
 * Decode a request body into *out (sorted, duplicates removed).  Bytes
 * after the last entry are ignored, as SKS does.  Errors:
 * PKS_ERR_PARSE for a short body or an entry length other than 16,
 * PKS_ERR_TOOBIG for a count over PKS_MAX_HASHQUERY; err->off is the
 * offset of the bad field.  Pure: no I/O.
 */
enum pks_rc hkp_hashquery_decode(const uint8_t *body, size_t len,
    struct hkp_hashes *out, struct pks_err *err);

void hkp_hashes_free(struct hkp_hashes *h);

#endif
