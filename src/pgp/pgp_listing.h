/*
 * pgp_listing.h: the key listing, written once for every medium.
 *
 * The model is struct pgp_key_info (pgp_index.h): facts read from
 * verified self-signatures only.  From it come the lines of a pgp -kv
 * style listing (mail INDEX, the HTML op=index), of a pgp -kvv style
 * one (mail VERBOSE INDEX, the HTML op=vindex) and the machine-readable
 * lines (pgp_index_mr).  What differs between media is only a style:
 * how text a person reads is escaped, whether key IDs and user IDs are
 * links, and where issuers' names come from.
 *
 *   pub  4096R/0001234567890ABC 2010-01-01 First User <first@example.org>
 *                                          Second User <second@...>
 *        Key fingerprint = 2069 1DFC ...        (style fingerprint)
 *   uid  First User <first@example.org>          (verbose)
 *   sig3      0001234567890ABC  2010-01-01  [selfsig]
 *   sig       7A749064D38F11A3  2012-11-27  Issuer Name <...>
 *   sub  255e/...
 *
 * The facts of a short listing are also kept in a compact binary form
 * (pgp_listing_encode), stored with each key, so that a search that
 * matches many keys is answered without parsing a key.  Pure: no I/O.
 */
#ifndef PKS_PGP_LISTING_H
#define PKS_PGP_LISTING_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "pgp/pgp_index.h"
#include "util/buf.h"
#include "util/rc.h"

struct pgp_listing_style {
	/* Append text a person reads (a user ID, an issuer's name),
	 * escaped for the medium.  Required. */
	enum pks_rc (*text)(struct buf *out, const void *p, size_t n);
	/* Open a link to lookup 'op' ("get", "vindex") of "0x<hex>";
	 * link_end closes it.  NULL: no links. */
	enum pks_rc (*link)(struct buf *out, const char *op, const char *hex);
	const char *link_end;
	/* The name (primary user ID, raw bytes, *len) of the key with this
	 * 64-bit key ID, or NULL when unknown; borrowed until the listing
	 * is written.  NULL: signatures show no names. */
	const uint8_t *(*issuer)(
	    void *arg, const uint8_t keyid[8], size_t *len);
	void *arg;
	int fingerprint; /* add the "Key fingerprint =" line */
};

/* Plain text: pgp_listing_text, no links, no names, no fingerprint. */
extern const struct pgp_listing_style pgp_listing_plain;

/*
 * Plain-text escaping of text a person reads: valid UTF-8 is kept,
 * control characters and invalid bytes become '?'.
 */
enum pks_rc pgp_listing_text(struct buf *out, const void *p, size_t n);

/*
 * Append the short entry of one key: the pub line with its status and
 * first user ID (a link to the key's vindex), the further user IDs
 * aligned under it, then the fingerprint line if the style asks.
 * Signatures are not read.  PKS_ERR_TOOBIG at out's cap (out then
 * holds part of the entry).
 */
enum pks_rc pgp_listing_short(struct buf *out, const struct pgp_key_info *info,
    time_t now, const struct pgp_listing_style *style);

/*
 * Append the verbose entry: the pub line, the fingerprint line if the
 * style asks, the direct-key signatures, each user ID with its
 * signatures, each subkey with its signatures.  One "sig" line a
 * signature of info (label, issuer key ID, date, "[selfsig]" or the
 * issuer's name).  Errors as pgp_listing_short.
 */
enum pks_rc pgp_listing_long(struct buf *out, const struct pgp_key_info *info,
    time_t now, const struct pgp_listing_style *style);

/*
 * The facts of info (not its signatures, nor user attribute contents)
 * appended to out in a compact, versioned binary form.  PKS_ERR_TOOBIG
 * at out's cap.
 */
enum pks_rc pgp_listing_encode(
    const struct pgp_key_info *info, struct buf *out);

/*
 * Read facts written by pgp_listing_encode.  *out is owned by the
 * caller (pgp_key_info_free) and borrows user ID text from data, which
 * must outlive it; it has no signatures.  PKS_ERR_PARSE (out NULL) for
 * bytes that are not such a record.
 */
enum pks_rc pgp_listing_decode(
    const uint8_t *data, size_t len, struct pgp_key_info **out);

/*
 * A decoder of pgp_listing_encode's records that keeps its arrays from
 * one record to the next, for listings of many keys: after
 * pgp_listing_dec_read returns PKS_OK, d->info holds the record's facts
 * (borrowing user ID text from data) until the next read or
 * pgp_listing_dec_free.  PKS_ERR_PARSE for bytes that are not such a
 * record (d->info then lists nothing).
 */
struct pgp_listing_dec {
	struct pgp_key_info info;
	size_t uid_cap, sub_cap;
};

void pgp_listing_dec_init(struct pgp_listing_dec *d);
enum pks_rc pgp_listing_dec_read(
    struct pgp_listing_dec *d, const uint8_t *data, size_t len);
void pgp_listing_dec_free(struct pgp_listing_dec *d);

#endif
