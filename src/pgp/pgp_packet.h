/*
 * pgp_packet.h: OpenPGP packet framing (RFC 4880 §4.2, RFC 9580 §4.2).
 *
 * Reads old- and new-format packet headers with every definite length
 * form.  Partial and indeterminate lengths are refused (they never occur
 * in key material), and every length is checked against the bytes that
 * remain and against PKS_MAX_PACKET.  Pure: no I/O.
 */
#ifndef PKS_PGP_PACKET_H
#define PKS_PGP_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/rc.h"

/* Packet tags used by a keyserver. */
enum pgp_tag {
	PGP_TAG_SIG = 2,
	PGP_TAG_SECKEY = 5,
	PGP_TAG_PUBKEY = 6,
	PGP_TAG_SECSUBKEY = 7,
	PGP_TAG_MARKER = 10,
	PGP_TAG_TRUST = 12,
	PGP_TAG_UID = 13,
	PGP_TAG_PUBSUBKEY = 14,
	PGP_TAG_UAT = 17,
	PGP_TAG_PADDING = 21
};

/* A packet inside some caller-owned buffer: 'body' is borrowed. */
struct pgp_packet {
	unsigned tag;
	const uint8_t *body;
	size_t len;
	size_t hdrlen; /* bytes of header before body */
};

/*
 * Read the packet that starts at data[*off].  On success *off is moved
 * past it and *out borrows from data.  Errors (PKS_ERR_PARSE, or
 * PKS_ERR_TOOBIG over PKS_MAX_PACKET) fill err with the offset of the
 * bad header; *off is then unchanged.  Tag 0 is refused.  At the end of
 * data (*off >= len) it returns PKS_ERR_NOTFOUND.
 */
enum pks_rc pgp_packet_next(const uint8_t *data, size_t len, size_t *off,
    struct pgp_packet *out, struct pks_err *err);

/*
 * Only the header of the packet at data[0..len): its tag, header length
 * and body length, which may run past len (a reader skipping what it
 * cannot hold).  PKS_ERR_PARSE for a header that is bad or cut off
 * (read more and try again), with err->why.
 */
enum pks_rc pgp_packet_header(const uint8_t *data, size_t len, unsigned *tag,
    size_t *hdrlen, size_t *bodylen, struct pks_err *err);

/* How pgp_packet_write frames a packet. */
enum pgp_hdr_style {
	/* SKS's write: old format for tags < 16 (1, 2 or 4 octet length by
	 * size), new format with a 5-octet length otherwise. */
	PGP_HDR_SKS,
	/* PKS-compatible: old format only; tags >= 16 are refused
	 * (PKS_ERR_UNSUPPORTED) so the caller can leave them out. */
	PGP_HDR_OLD_ONLY
};

/* Append one framed packet to out (tag 1..63).  PKS_ERR_TOOBIG past
 * out's cap, leaving out as it was. */
enum pks_rc pgp_packet_write(struct buf *out, unsigned tag, const uint8_t *body,
    size_t len, enum pgp_hdr_style style);

#endif
