/*
 * pgp_index.h: what a key index shows, and the machine-readable index.
 *
 * pgp_key_info() reads algorithm, key size (curve size for ECC; unknown
 * algorithms and curves are kept), creation, expiry and revocation from
 * the self-signatures that verified (pgp_verify.h), and orders user IDs
 * primary first.
 * pgp_index_mr() writes the HKP machine-readable lines of
 * hkp-openpgp.md §1.5.  pgp_sig_info() reads what a verbose listing
 * shows of one signature (type, issuer, creation, self-signature).
 * Pure: no I/O.
 */
#ifndef PKS_PGP_INDEX_H
#define PKS_PGP_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "pgp/pgp_fpr.h"
#include "pgp/pgp_key.h"
#include "util/buf.h"
#include "util/rc.h"

struct pgp_uid_info {
	const uint8_t *text; /* borrowed from the key; not NUL-terminated */
	size_t len;
	int is_uat;      /* a user attribute (photo ID) */
	int64_t ctime;   /* newest self-signature's creation, 0 = none */
	int64_t expires; /* absolute expiry of the uid, 0 = never */
	int revoked;
	int primary; /* the key's primary user ID (exactly one, if any) */
	int valid;   /* has a verified self-certification or 0x30 */
	int64_t key_expires; /* key expiry its self-cert sets, 0 none */
	const struct pgp_block *block; /* borrowed from the key */
	const struct pgp_pkt *sigs; /* its signatures, borrowed from the key */
	size_t nsigs;
};

struct pgp_subkey_info {
	struct pgp_fpr fpr;
	unsigned algo;
	unsigned bits;
	int64_t ctime;
	int64_t expires;
	int revoked;
	int bound; /* has a verified binding signature (always, if listed) */
	const struct pgp_block *block; /* borrowed from the key */
	const struct pgp_pkt *sigs;    /* its signatures, borrowed */
	size_t nsigs;
};

struct pgp_key_info {
	struct pgp_fpr fpr;
	int version;
	unsigned algo;
	unsigned bits;   /* RSA/DSA/Elgamal: MPI bits; ECC: curve size */
	char curve[32];  /* curve name or OID in dotted form, "" if none */
	int64_t ctime;   /* key creation time */
	int64_t expires; /* absolute key expiry, 0 = never */
	int revoked;
	struct pgp_uid_info *uids; /* valid ones: primary first, then
				      stored order */
	size_t nuids;
	struct pgp_subkey_info *subkeys; /* bound ones, stored order */
	size_t nsubkeys;
	const struct pgp_pkt *sigs; /* direct-key signatures, borrowed */
	size_t nsigs;
};

/*
 * Build the index facts of a key from its verified self-signatures
 * only: 'checks' is its check record (pgp_verify.h; NULL: verify now).
 * *out is owned by the caller (pgp_key_info_free) and borrows uid text
 * and blocks from 'key', which must outlive it.  User IDs (and user
 * attributes) without a verified self-certification or certification
 * revocation, and subkeys without a verified binding, are left out, as
 * gpg drops them on import; one whose newest is a 0x30 is revoked.  Fails only
 * when the primary key packet has no fingerprint (the rc of pgp_fpr_compute); a
 * subkey without one gets a zeroed fpr.  A uid's expiry is its
 * self-signature's expiration (subpacket 3); the key's expiry, its
 * revocation, the primary user ID and subkey facts follow gpg 2.2
 * (pgp_index.c).
 */
enum pks_rc pgp_key_info(const struct pgp_key *key, const uint8_t *checks,
    size_t checks_len, struct pgp_key_info **out);

void pgp_key_info_free(struct pgp_key_info *info);

/*
 * The listing model every key listing is rendered from (HTML index and
 * vindex, the mr index, mail INDEX and VERBOSE INDEX): the stored bytes
 * turned into the key as it is served (pgp_key_served, at most 'ncerts'
 * third-party certifications per user ID) in *key, and its facts from
 * verified self-signatures in *info (borrowing from *key).  The caller
 * frees both.  With ncerts PGP_LISTING_SHORT *key is the stored key
 * itself: the facts are the same, but the signature lists in *info are
 * not bounded (for listings that show no signatures).  Errors: the
 * stored bytes do not parse (err says why).
 */
#define PGP_LISTING_SHORT ((size_t)-1)
enum pks_rc pgp_key_listing(const uint8_t *data, size_t len,
    const uint8_t *checks, size_t checks_len, size_t ncerts,
    struct pgp_key **key, struct pgp_key_info **info, struct pks_err *err);

/*
 * Append the machine-readable lines of one key:
 *   pub:<FPR>:<algo>:<bits>:<ctime>:<exptime>:<flags>
 *   uid:<escaped uid>:<ctime>:<exptime>:<flags>
 * LF line ends, full upper-case fingerprint (key ID for v3), flags 'r'
 * revoked and 'e' expired (judged against 'now'); '%', ':', control and
 * non-ASCII bytes %-escaped (as %XX, upper-case hex); empty fields
 * for unknown values.  User attributes get no line (gpg reads only pub
 * and uid records).  The caller writes the "info:1:N" line.  On error
 * (PKS_ERR_TOOBIG: out's cap) out is left as it was.
 */
enum pks_rc pgp_index_mr(
    const struct pgp_key_info *info, time_t now, struct buf *out);

/* What a verbose listing shows of one signature. */
struct pgp_sig_info {
	int version;   /* signature packet version */
	unsigned type; /* signature type (0x10 generic cert, ...) */
	int64_t ctime; /* creation (hashed subpacket 2), 0 = none */
	int has_issuer;
	uint8_t issuer[8]; /* issuer key ID */
	int self;          /* the issuer is the primary key */
};

/*
 * Read the facts of the signature packet sig on the key whose primary
 * fingerprint is 'primary' (pgp_sig.c does the parsing; nothing is
 * verified).  The issuer key ID is subpacket 16 (or the v3 body field),
 * else the one an issuer fingerprint (subpacket 33) implies: the last 8
 * octets of a v4 fingerprint, the first 8 of a v5/v6 one.  'self' is
 * set when the issuer key ID or fingerprint names the primary key.
 * Errors (out zeroed): PKS_ERR_PARSE for a malformed body or a packet
 * that is not a signature, PKS_ERR_UNSUPPORTED for an unknown version.
 */
enum pks_rc pgp_sig_info(const struct pgp_pkt *sig,
    const struct pgp_fpr *primary, struct pgp_sig_info *out);

/*
 * Short label of a signature type for listings: "sig" (0x10 and
 * unknown types), "sig1".."sig3", "sbind", "pbind" (0x19), "dsig"
 * (0x1f), "revok" (0x20, 0x28, 0x30).  Static string.
 */
const char *pgp_sig_label(unsigned type);

/* Append the status of a key or subkey in a pgp -kv style listing:
 * " [revoked]", then " [expired: YYYY-MM-DD]" or " [expires: ...]". */
enum pks_rc pgp_index_status(
    struct buf *out, int revoked, int64_t expires, time_t now);

/* Name of a public-key algorithm ("RSA", "EdDSA", ...) or NULL. */
const char *pgp_algo_name(unsigned algo);

/* One-letter algorithm code for "pub 4096R/..." style listings. */
char pgp_algo_letter(unsigned algo);

#endif
