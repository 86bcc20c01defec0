/*
 * pgp_verify.h: key material and self-signature verification.
 *
 * pgp_key_check_material() reads the public key material of every key
 * packet of a key (primary and subkeys) the way gpg does and refuses a
 * key whose material does not parse (an MPI that runs past the packet,
 * a bad curve OID length, a native key of the wrong size).
 *
 * pgp_key_verify() checks every self-issued signature of a key
 * cryptographically with libgcrypt (RSA, DSA, ECDSA on NIST and
 * Brainpool curves, EdDSA (legacy Ed25519), Ed25519 and Ed448; v3, v4
 * and v6 signatures; SHA-1, RIPEMD-160, SHA-2 and SHA-3) and writes the
 * result as a check record: what the key is stored with, so that a
 * signature is verified once, at ingest, and never per request.  MD5
 * signatures, v5 signatures and unknown algorithms cannot be checked
 * (as in gpg 2.2) and count as absent.  Pure: no I/O.
 */
#ifndef PKS_PGP_VERIFY_H
#define PKS_PGP_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "pgp/pgp_key.h"
#include "util/buf.h"
#include "util/rc.h"

/*
 * The check record a key is stored with: a format octet
 * (PGP_CHECKS_FORMAT), then 4-octet big-endian entries, ascending,
 * each (flat packet index << 2 | state).  pgp_key_verify writes one
 * entry per self-issued signature.  On a third-party certification
 * (pgp_checks_mark_known) an entry is the verdict of its issuer key
 * stored on this server: PGP_SIG_OTHER, the signature verifies
 * against it (read as PGP_SIG_OTHER by everything but pgp_key_served,
 * which prefers it); PGP_SIG_BAD, it does not (never served, like a
 * bad self-signature).  Format 1 records (before issuers were
 * verified) still read: their self-signature entries count, their
 * issuer marks (matched, not verified) do not.
 */
#define PGP_CHECKS_FORMAT 2
#define PGP_CHECKS_FORMAT_MATCHED 1

/* What a check record says of one signature packet. */
enum pgp_sigstate {
	PGP_SIG_OTHER = 0,      /* not issued by the primary key: not judged */
	PGP_SIG_VALID = 1,      /* a self-signature that verifies */
	PGP_SIG_BAD = 2,        /* self-issued, but does not verify */
	PGP_SIG_UNCHECKABLE = 3 /* self-issued, algorithm not supported */
};

/*
 * Refuse a key whose primary key or subkey material does not parse:
 * PKS_ERR_PARSE with err->why naming the packet ("subkey 2: ...") and
 * err->off its packet index.  Unknown algorithms are not refused.
 */
enum pks_rc pgp_key_check_material(
    const struct pgp_key *key, struct pks_err *err);

/*
 * Verify the self-issued signatures of 'key' and append its check
 * record to 'out' (a format octet, then one 4-octet entry per judged
 * signature: flat packet index << 2 | state, ascending; flat order is
 * the stored order of pgp_key_write).  When 'prev' and its record
 * 'prevrec' (prevlen octets) are given, a signature that 'prev' holds
 * under the same user ID or subkey packet takes its earlier result
 * without a new verification.  *nchecked (may be NULL) gets the number
 * of cryptographic verifications done.  PKS_ERR_TOOBIG: out's cap.
 */
enum pks_rc pgp_key_verify(const struct pgp_key *key,
    const struct pgp_key *prev, const uint8_t *prevrec, size_t prevlen,
    struct buf *out, size_t *nchecked);

/*
 * The state of every packet of 'key' in flat order, from its check
 * record (NULL: verify now, as pgp_key_verify would).  Returns a new
 * array of pgp_key_npackets(key) octets (caller frees); entries of a
 * record that does not fit the key are ignored.
 */
uint8_t *pgp_key_sigstates(
    const struct pgp_key *key, const uint8_t *rec, size_t reclen);

/*
 * Drop every signature not issued by the primary key (third-party
 * certifications and junk), keeping the key's own signatures, user IDs
 * and subkeys.  Returns how many were dropped.  What ingest falls back
 * to when a merge would pass the key limits: the owner's packets are
 * never refused in favour of other people's.
 */
size_t pgp_key_keep_self(struct pgp_key *key);

/*
 * The key as handed to people (pgp_served.c): verified self-signatures
 * and the user IDs and subkeys they make valid, at most 'ncerts'
 * third-party certifications per user ID (with [keys]
 * served_certs_prefer = known those whose issuer the record marks as
 * known first, then the newest first), nothing gpg
 * cannot parse.  *out is a new key (caller frees) and its check record
 * is appended to rec.  'checks' as for pgp_key_sigstates.
 */
enum pks_rc pgp_key_served(const struct pgp_key *key, const uint8_t *checks,
    size_t checks_len, size_t ncerts, struct pgp_key **out, struct buf *rec);

/*
 * Keep in k only what 'allowed' holds too (blocks by head packet,
 * signatures by their bytes): how an incremental (the delta of a
 * merge) is cut down to what op=get serves of the merged key.
 * Returns the number of packets left besides the primary key.
 */
size_t pgp_key_restrict(struct pgp_key *k, const struct pgp_key *allowed);

/* What is known of a certification's issuer (struct pgp_issuer). */
enum pgp_verdict {
	PGP_ISSUER_UNJUDGED = 0, /* not verified (yet, or over the bound) */
	PGP_ISSUER_VALID,        /* verifies against the stored issuer */
	PGP_ISSUER_FORGED        /* the stored issuer's key refutes it */
};

/* The issuer a third-party certification names, whether it is stored
 * here (filled in by the caller: store_issuers_known) and the verdict
 * of its signature (pgp_issuers_reuse, pgp_cert_verify). */
struct pgp_issuer {
	size_t idx;     /* flat packet index of the signature */
	size_t fpr_len; /* 0: the signature names a key ID only */
	uint8_t fpr[32];
	uint8_t keyid[8];
	int known;
	enum pgp_verdict verdict;
};

/*
 * The issuers of the third-party certifications of every user ID (and
 * the direct area) that holds more than 'ncerts' of those pgp_key_served
 * chooses among: the areas where the choice matters.  An ordinary key
 * costs one comparison per user ID, and a bound of 0 nothing.  *out is
 * a new array (caller frees; NULL when none); returns its length.
 * 'checks' as for pgp_key_sigstates.
 */
size_t pgp_key_flood_issuers(const struct pgp_key *key, const uint8_t *checks,
    size_t checks_len, size_t ncerts, struct pgp_issuer **out);

/*
 * Take over the verdicts that 'prev' (the stored copy of the key) and
 * its record 'prevrec' hold for the same signatures under the same
 * user ID (or in the direct area): a certification is verified once.
 * v from pgp_key_flood_issuers of 'key'.  Returns how many were taken.
 */
size_t pgp_issuers_reuse(const struct pgp_key *key, struct pgp_issuer *v,
    size_t n, const struct pgp_key *prev, const uint8_t *prevrec,
    size_t prevlen);

/*
 * The key packet of 'issuer' (its primary key or a subkey) that the
 * certification e names, by fingerprint, else by key ID; NULL if none.
 */
const struct pgp_pkt *pgp_issuer_packet(
    const struct pgp_key *issuer, const struct pgp_issuer *e);

/*
 * Verify the certification e of 'key' (flat index e->idx) against the
 * issuer key packet 'ik' (pgp_issuer_packet): PGP_ISSUER_VALID or
 * PGP_ISSUER_FORGED; PGP_ISSUER_UNJUDGED when the algorithm cannot be
 * checked (as in gpg 2.2).
 */
enum pgp_verdict pgp_cert_verify(const struct pgp_key *key,
    const struct pgp_issuer *e, const struct pgp_pkt *ik);

/*
 * Add to the check record 'rec' the verdict entry of every v[i] with
 * one (v from pgp_key_flood_issuers of the same key and record).  A
 * record of another format is left alone.  PKS_ERR_TOOBIG: rec's cap.
 */
enum pks_rc pgp_checks_mark_known(
    struct buf *rec, const struct pgp_issuer *v, size_t n);

/* The same from stored bytes to served bytes (SKS framing), appended to
 * out.  Errors: the stored bytes do not parse, out's cap. */
enum pks_rc pgp_served_bytes(const uint8_t *data, size_t len,
    const uint8_t *checks, size_t checks_len, size_t ncerts, struct buf *out);

#endif
