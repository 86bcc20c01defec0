/*
 * pgpsign.c: a small OpenPGP signer for tests (pgpsign.h).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "pgp/pgp_fpr.h"
#include "pgp/pgp_packet.h"
#include "pgpsign.h"

static const uint8_t ed_oid[] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47,
	0x0f, 0x01 };

void
tsigner_init(struct tsigner *s, uint32_t ctime)
{
	gcry_sexp_t parms = NULL, pair = NULL, q = NULL;
	const uint8_t *qv;
	size_t qn = 0, at;
	struct pgp_fpr f;

	pgp_init();
	memset(s, 0, sizeof(*s));
	gcry_sexp_build(&parms, NULL, "(genkey(ecc(curve Ed25519)(flags eddsa)))");
	gcry_pk_genkey(&pair, parms);
	gcry_sexp_release(parms);
	q = gcry_sexp_find_token(pair, "q", 0);
	qv = (const uint8_t *)gcry_sexp_nth_data(q, 1, &qn);
	s->pkt[0] = 4;
	s->pkt[1] = (uint8_t)(ctime >> 24);
	s->pkt[2] = (uint8_t)(ctime >> 16);
	s->pkt[3] = (uint8_t)(ctime >> 8);
	s->pkt[4] = (uint8_t)ctime;
	s->pkt[5] = 22;
	s->pkt[6] = sizeof(ed_oid);
	memcpy(s->pkt + 7, ed_oid, sizeof(ed_oid));
	at = 7 + sizeof(ed_oid);
	s->pkt[at++] = 0x01; /* 263 bits: 0x40 prefix + 32 octets */
	s->pkt[at++] = 0x07;
	/* libgcrypt gives the 32 octets; OpenPGP prefixes 0x40. */
	if (qn == 32)
		s->pkt[at++] = 0x40;
	memcpy(s->pkt + at, qv, qn);
	s->pktlen = at + qn;
	gcry_sexp_release(q);
	s->sk = pair;
	pgp_fpr_compute(s->pkt, s->pktlen, &f, NULL);
	memcpy(s->keyid, f.keyid, 8);
}

void
tsigner_free(struct tsigner *s)
{
	gcry_sexp_release(s->sk);
	s->sk = NULL;
}

static uint8_t *
sub32(uint8_t *q, unsigned type, uint32_t v)
{
	q[0] = 5;
	q[1] = (uint8_t)type;
	q[2] = (uint8_t)(v >> 24);
	q[3] = (uint8_t)(v >> 16);
	q[4] = (uint8_t)(v >> 8);
	q[5] = (uint8_t)v;
	return q + 6;
}

static void
hash_framed(gcry_md_hd_t h, uint8_t tag, const uint8_t *p, size_t n, int w)
{
	uint8_t f[5] = { tag, 0, 0, 0, 0 };

	if (w == 2) {
		f[1] = (uint8_t)(n >> 8);
		f[2] = (uint8_t)n;
		gcry_md_write(h, f, 3);
	} else {
		f[1] = (uint8_t)(n >> 24);
		f[2] = (uint8_t)(n >> 16);
		f[3] = (uint8_t)(n >> 8);
		f[4] = (uint8_t)n;
		gcry_md_write(h, f, 5);
	}
	gcry_md_write(h, p, n);
}

/* Append an MPI of n octets (leading zeros stripped). */
static uint8_t *
mpi(uint8_t *q, const uint8_t *v, size_t n)
{
	unsigned bits;
	uint8_t c;

	while (n > 0 && v[0] == 0) {
		v++;
		n--;
	}
	bits = n ? (unsigned)(8 * (n - 1)) : 0;
	for (c = n ? v[0] : 0; c; c >>= 1)
		bits++;
	q[0] = (uint8_t)(bits >> 8);
	q[1] = (uint8_t)bits;
	memcpy(q + 2, v, n);
	return q + 2 + n;
}

void
tsigner_sign(const struct tsigner *s, const struct tsig *o,
    unsigned target_tag, const uint8_t *target, size_t tlen, struct buf *out)
{
	uint8_t b[256], *q = b + 6, t[6], d[32];
	gcry_md_hd_t h;
	gcry_sexp_t data = NULL, sig = NULL, r = NULL, sv = NULL;
	const uint8_t *rv, *svv;
	size_t hl, rn = 0, sn = 0;

	b[0] = 4;
	b[1] = (uint8_t)o->type;
	b[2] = 22;
	b[3] = 8; /* SHA-256 */
	q = sub32(q, 2, o->ctime);
	if (o->key_expiry)
		q = sub32(q, 9, o->key_expiry);
	if (o->sig_expiry)
		q = sub32(q, 3, o->sig_expiry);
	if (o->primary) {
		*q++ = 2;
		*q++ = 25;
		*q++ = 1;
	}
	hl = (size_t)(q - b - 6);
	b[4] = 0;
	b[5] = (uint8_t)hl;
	gcry_md_open(&h, GCRY_MD_SHA256, 0);
	hash_framed(h, 0x99, s->pkt, s->pktlen, 2);
	if (target != NULL && target_tag == 14)
		hash_framed(h, 0x99, target, tlen, 2);
	else if (target != NULL)
		hash_framed(h, target_tag == 17 ? 0xd1 : 0xb4, target, tlen, 4);
	gcry_md_write(h, b, 6 + hl);
	t[0] = 4;
	t[1] = 0xff;
	t[2] = 0;
	t[3] = 0;
	t[4] = (uint8_t)((6 + hl) >> 8);
	t[5] = (uint8_t)(6 + hl);
	gcry_md_write(h, t, 6);
	memcpy(d, gcry_md_read(h, GCRY_MD_SHA256), 32);
	gcry_md_close(h);
	*q++ = 0;
	*q++ = 10;
	*q++ = 9;
	*q++ = 16;
	memcpy(q, o->issuer ? o->issuer : s->keyid, 8);
	q += 8;
	*q++ = d[0];
	*q++ = d[1];
	gcry_sexp_build(&data, NULL,
	    "(data(flags eddsa)(hash-algo sha512)(value %b))", 32, d);
	gcry_pk_sign(&sig, data, s->sk);
	r = gcry_sexp_find_token(sig, "r", 0);
	sv = gcry_sexp_find_token(sig, "s", 0);
	rv = (const uint8_t *)gcry_sexp_nth_data(r, 1, &rn);
	svv = (const uint8_t *)gcry_sexp_nth_data(sv, 1, &sn);
	q = mpi(q, rv, rn);
	q = mpi(q, svv, sn);
	if (o->forge)
		q[-1] ^= 1;
	pgp_packet_write(out, 2, b, (size_t)(q - b), PGP_HDR_SKS);
	gcry_sexp_release(r);
	gcry_sexp_release(sv);
	gcry_sexp_release(sig);
	gcry_sexp_release(data);
}
