/*
 * pgp_armor.h: ASCII armor (RFC 4880 §6, RFC 9580 §6).
 *
 * Decoding finds "-----BEGIN PGP PUBLIC KEY BLOCK-----" blocks anywhere in
 * a text (junk before, between and after is skipped), accepts any armor
 * headers, LF or CRLF, lines dash-escaped by a clear signature ("- "),
 * and a CRC-24 line that is checked when present.  Encoding writes
 * 64-column lines and a CRC line.  Pure: no I/O.
 */
#ifndef PKS_PGP_ARMOR_H
#define PKS_PGP_ARMOR_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/rc.h"

/*
 * Decode the next public key block at or after text[*off].  The binary
 * is appended to out.  On success *off is moved past the END line.
 * Returns PKS_ERR_NOTFOUND when no further BEGIN line exists, and
 * PKS_ERR_PARSE for a bad block (bad base64, CRC mismatch, missing END);
 * then err->off is the offset in text and *off is moved past the bad
 * block's BEGIN line, so the caller may go on with the next block.
 */
enum pks_rc pgp_armor_next(const char *text, size_t len, size_t *off,
    struct buf *out, struct pks_err *err);

/* Nonzero if text contains an armor BEGIN line of a public key block. */
int pgp_armor_present(const char *text, size_t len);

/*
 * Append data as one armored PUBLIC KEY BLOCK to out.  'headers' is NULL
 * or lines such as "Comment: x\n" placed after the BEGIN line.
 */
enum pks_rc pgp_armor_encode(
    const uint8_t *data, size_t len, const char *headers, struct buf *out);

/* CRC-24 as used by armor (init 0xB704CE, poly 0x1864CFB). */
uint32_t pgp_armor_crc24(const uint8_t *data, size_t len);

/*
 * The same armor as pgp_armor_encode(data, len, NULL, out), written in
 * pieces: begin, then add the binary data in any number of calls (each
 * appends the complete 64-column lines it can), then end (the last
 * line, the checksum and the END line).  Memory: one line.  Pure.
 */
struct pgp_armor_enc {
	uint32_t crc;
	uint8_t carry[48]; /* bytes of the next line */
	size_t ncarry;
	int started; /* BEGIN line written */
};
void pgp_armor_enc_begin(struct pgp_armor_enc *e);
enum pks_rc pgp_armor_enc_add(
    struct pgp_armor_enc *e, const uint8_t *data, size_t len, struct buf *out);
enum pks_rc pgp_armor_enc_end(struct pgp_armor_enc *e, struct buf *out);

#endif
