/*
 * fuzz_verify.c: fuzz target of key material parsing, self-signature
 * verification and the served form of a key.  For a key that parses:
 * the material check names the packet it refuses; the check record
 * covers only signature packets; the served key writes and parses
 * back, holds nothing the key does not hold, and verifying it again
 * with the key's record verifies nothing twice; its facts and the
 * listing model can be read.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgp/pgp_index.h"
#include "pgp/pgp_key.h"
#include "pgp/pgp_verify.h"
#include "util/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_served(const struct pgp_key *k, const struct buf *rec)
{
	struct pgp_key *sv = NULL, *back = NULL, *copy;
	struct pks_err err = { 0, NULL };
	struct pgp_key_info *info = NULL;
	struct buf srec, w, r2;
	size_t n = 1;

	buf_init(&srec, PKS_MAX_KEY);
	buf_init(&w, PKS_MAX_KEY * 2);
	buf_init(&r2, PKS_MAX_KEY);
	if (pgp_key_served(k, rec->data, rec->len, 2, &sv, &srec) != PKS_OK)
		__builtin_trap();
	if (pgp_key_write(sv, &w, PGP_HDR_SKS) != PKS_OK ||
	    pgp_key_parse(w.data, w.len, &back, &err) != PKS_OK)
		__builtin_trap();
	/* Everything served is in the key. */
	copy = pgp_key_dup(sv);
	if (pgp_key_restrict(copy, k) + 1 != pgp_key_npackets(sv))
		__builtin_trap();
	if (pgp_key_verify(sv, k, rec->data, rec->len, &r2, &n) != PKS_OK ||
	    n != 0)
		__builtin_trap();
	if (pgp_key_info(sv, srec.data, srec.len, &info) == PKS_OK)
		pgp_key_info_free(info);
	pgp_key_free(copy);
	pgp_key_free(back);
	pgp_key_free(sv);
	buf_free(&r2);
	buf_free(&w);
	buf_free(&srec);
}

static void
one_key(const uint8_t *d, size_t n)
{
	struct pgp_key *k = NULL, *l = NULL;
	struct pgp_key_info *info = NULL;
	struct pks_err err = { 0, NULL };
	struct buf rec;
	uint8_t *st;
	size_t i, np;

	if (pgp_key_parse(d, n, &k, &err) != PKS_OK)
		return;
	pgp_key_canonicalize(k);
	if (pgp_key_check_material(k, &err) != PKS_OK && err.why == NULL)
		__builtin_trap();
	buf_init(&rec, PKS_MAX_KEY);
	if (pgp_key_verify(k, NULL, NULL, 0, &rec, NULL) != PKS_OK ||
	    rec.len < 1 || (rec.len - 1) % 4 != 0)
		__builtin_trap();
	st = pgp_key_sigstates(k, rec.data, rec.len);
	np = pgp_key_npackets(k);
	/* Only signatures are judged: never the primary key packet. */
	if (st[0] != PGP_SIG_OTHER)
		__builtin_trap();
	for (i = 0; i < np; i++)
		if (st[i] > PGP_SIG_UNCHECKABLE)
			__builtin_trap();
	free(st);
	check_served(k, &rec);
	if (pgp_key_listing(d, n, rec.data, rec.len, 3, &l, &info, &err) ==
	    PKS_OK)
		pgp_key_info_free(info);
	pgp_key_free(l);
	buf_free(&rec);
	pgp_key_free(k);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > PKS_MAX_KEY)
		return 0;
	one_key(data, size);
	return 0;
}
