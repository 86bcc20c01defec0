/*
 * pgp_key.h: transferable public keys as SKS stores them.
 *
 * A keyring is split into keys at every Public-Key packet (tag 6).  A key
 * is parsed with SKS's grammar
 *     pubkey sig* ( (uid | uat) sig* )* ( subkey sig* )*
 * (no subkeys for v2/v3 keys).  Trust (12), marker (10) and padding (21)
 * packets are dropped on the way in; secret-key packets (5, 7) and any
 * other grammar violation refuse the key with a reason.
 *
 * pgp_key_canonicalize() applies SKS's yminsky.dedup rules, and
 * pgp_key_merge() SKS's yminsky.merge rules (sks-recon.md §8), so the
 * stored packets and the SKS key hash agree with every SKS peer.
 * Pure: no I/O.
 */
#ifndef PKS_PGP_KEY_H
#define PKS_PGP_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "pgp/pgp_packet.h"
#include "util/buf.h"
#include "util/rc.h"

/* One packet; the key owns 'body'. */
struct pgp_pkt {
	unsigned tag;
	size_t len;
	uint8_t *body;
};

/* A user ID, user attribute or subkey with the signatures that follow. */
struct pgp_block {
	struct pgp_pkt head;
	struct pgp_pkt *sigs;
	size_t nsigs;
};

struct pgp_key {
	struct pgp_pkt key;   /* the primary key packet (tag 6) */
	struct pgp_pkt *sigs; /* direct signatures and revocations */
	size_t nsigs;
	struct pgp_block *uids; /* tag 13 and tag 17 blocks, in order */
	size_t nuids;
	struct pgp_block *subkeys; /* tag 14 blocks */
	size_t nsubkeys;
};

/* Iterator over the keys of a binary keyring (borrowed bytes). */
struct pgp_keyring_iter {
	const uint8_t *data;
	size_t len;
	size_t off;
};

void pgp_keyring_init(
    struct pgp_keyring_iter *it, const uint8_t *data, size_t len);

/*
 * Next key of the keyring: *key and *keylen borrow the bytes of one key,
 * from its tag-6 packet up to the next tag-6 packet.  Returns
 * PKS_ERR_NOTFOUND at the end.  PKS_ERR_PARSE with a range for packets
 * that cannot start a key (e.g. a secret key or a lone revocation); the
 * caller may continue.  A framing error returns PKS_ERR_PARSE with *key
 * set to NULL, err->off at the bad header, and ends the iteration (the
 * rest cannot be resynchronised; later calls return PKS_ERR_NOTFOUND).
 */
enum pks_rc pgp_keyring_next(struct pgp_keyring_iter *it, const uint8_t **key,
    size_t *keylen, struct pks_err *err);

/*
 * Parse the packets of exactly one key.  On success *out is a new key,
 * owned by the caller (pgp_key_free).  Refuses with PKS_ERR_PARSE and a
 * reason in err (grammar, framing, secret-key packets: "secret key
 * material refused", a key packet without a fingerprint), or
 * PKS_ERR_TOOBIG over PKS_MAX_KEY, PKS_MAX_KEY_PACKETS or PKS_MAX_PACKET,
 * or PKS_ERR_UNSUPPORTED for key packet versions other than 2..6.  The
 * key is as received: call pgp_key_canonicalize() before storing it.
 */
enum pks_rc pgp_key_parse(
    const uint8_t *data, size_t len, struct pgp_key **out, struct pks_err *err);

void pgp_key_free(struct pgp_key *key);

/* Deep copy. */
struct pgp_key *pgp_key_dup(const struct pgp_key *key);

/* Key packet version (byte 0 of the primary key body). */
int pgp_key_version(const struct pgp_key *key);

/* Number of packets in the key. */
size_t pgp_key_npackets(const struct pgp_key *key);

/* SKS's yminsky.dedup canonical form, in place (idempotent). */
void pgp_key_canonicalize(struct pgp_key *key);

/*
 * SKS's yminsky.merge: merge 'in' into 'into'.  Both must have the same
 * primary key packet (else PKS_ERR_REFUSED).  *added is the number of
 * packets 'into' did not have before.  When delta is not NULL and
 * something was added, *delta is a new key (caller frees) holding the
 * primary key packet and only what was added, with the uid or subkey
 * packets the new signatures belong to (what an incremental carries);
 * otherwise *delta is NULL.
 *
 * 'into' should be canonical (as stored) and 'in' canonicalised first,
 * as SKS does with every incoming key.  As in SKS (keydb.ml), nothing
 * changes -- *added == 0, 'into' keeps its exact bytes -- when 'in' (in
 * canonical form) has the hash of 'into' (an identical copy) or when
 * the merged key has the hash of 'into'.  Otherwise 'into' becomes the
 * merged key.  That can change its hash even with *added == 0: a uid
 * kept with duplicate signatures loses them when merged with a copy that
 * differs.  Compare pgp_key_hash() before and after to know whether the
 * stored key must be rewritten.  'in' is not changed.
 */
enum pks_rc pgp_key_merge(struct pgp_key *into, const struct pgp_key *in,
    size_t *added, struct pgp_key **delta);

/* The SKS key hash: MD5 over the packets sorted by (tag, body), each
 * framed with a 4-octet tag and a 4-octet length; duplicates count. */
void pgp_key_hash(const struct pgp_key *key, uint8_t md5[16]);

/* Append the key's packets, in stored order, framed with 'style'.  With
 * PGP_HDR_OLD_ONLY, packets with tags >= 16 and the signatures that
 * follow them are left out.  On error (PKS_ERR_TOOBIG: out's cap) out
 * is left as it was. */
enum pks_rc pgp_key_write(
    const struct pgp_key *key, struct buf *out, enum pgp_hdr_style style);

#endif
