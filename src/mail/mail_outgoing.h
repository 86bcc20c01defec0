/*
 * mail_outgoing.h: the PKS incremental mails pksync sends to its sync
 * peers, composed from outbox rows.
 *
 * An incremental is exactly what PKS sends (LF line ends here; the
 * sender makes them CRLF):
 *
 *   To: <peer>
 *   From: <[mail] maintainer>
 *   Subject: incremental
 *   X-KeyServer-Sent: <site>          one per site, oldest first,
 *   X-KeyServer-Sent: <this_site>     ours last
 *   Precedence: list
 *   MIME-Version: 1.0
 *   Content-type: application/pgp-keys
 *
 * then a blank line and one armored PUBLIC KEY BLOCK holding every key
 * of the message.  The SMTP client appends Date and Message-Id, as the
 * MTA did for PKS (mail_send.h).
 * The keys are re-encoded for PKS: old-format packet headers only, and
 * no photo IDs or other packets with tags of 16 and up (with the
 * signatures on them); v5/v6 keys are not sent at all.
 */
#ifndef PKS_MAIL_OUTGOING_H
#define PKS_MAIL_OUTGOING_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/rc.h"

/*
 * Append the keys of data[0..len) (a keyring in SKS framing, as the
 * outbox holds it) to out in the PKS encoding above; *nkeys is
 * increased by the keys written.  Left out, each with an info log
 * line: a key that does not parse; a v5/v6 key, or a key with a v5/v6
 * subkey (PKS reads key packets of versions 2..4 only); a key that
 * cannot be written with old-format packet headers; and one that keeps
 * nothing but its primary key packet when it had more (a delta of only
 * a photo ID).  Errors: PKS_ERR_TOOBIG at out's cap (out is then
 * incomplete).
 */
enum pks_rc mail_out_pks_keys(
    const uint8_t *data, size_t len, struct buf *out, size_t *nkeys);

/*
 * Append the incremental to 'to' from 'from' carrying the binary keys
 * keys[0..len) to out.  path holds the X-KeyServer-Sent values joined
 * by '\n'.  Errors: PKS_ERR_PARSE when an address or path value holds a
 * control character or space (it could forge a header), PKS_ERR_TOOBIG
 * at out's cap.
 */
enum pks_rc mail_out_incremental(const char *from, const char *to,
    const char *path, const uint8_t *keys, size_t len, struct buf *out);

#endif
