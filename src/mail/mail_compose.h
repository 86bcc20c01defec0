/*
 * mail_compose.h: the replies pksync sends to people, as complete
 * RFC 5322 messages, and handing them to the outgoing queue.
 *
 * A reply is (LF line ends; the queue runner turns them into CRLF):
 *
 *   To: <the Reply-To address, else the From address>
 *   From: <[mail] maintainer>
 *   Subject: Your command, <request subject>[<status>]
 *   In-Reply-To: <request Message-Id>        (when it had a usable one)
 *   References: <request Message-Id>
 *   Date: <now, UTC>
 *   Message-ID: <pksync.TIME.PID.N@[server] hostname>
 *   Auto-Submitted: auto-replied
 *   MIME-Version: 1.0
 *   Content-Type: multipart/mixed; boundary="=_pksync_..."
 *
 * then a text/plain part (UTF-8, quoted-printable) with the intro
 * text, and optionally a second part: text/plain (UTF-8,
 * quoted-printable) for listings and help, or application/pgp-keys
 * (7bit) holding one armored block.  A non-ASCII subject is written as
 * RFC 2047 encoded words; control characters become spaces.
 *
 * The key listing of INDEX and VERBOSE INDEX is pgp -kv style, with
 * 64-bit key IDs and ISO dates:
 *
 *   Type bits/keyID            Date       User ID
 *   pub  4096R/00018C22381A7594 2010-01-01 First User <first@example.org>
 *                                          Second User <second@example.org>
 *
 * VERBOSE INDEX gives per key the pub line (with [revoked] or
 * [expires: date] when so), "Key fingerprint = ..." in groups of four,
 * one "uid  ..." line per user ID, each followed by one line per
 * signature on it (pgp -kvv style; label from pgp_sig_label(), the
 * issuer's 64-bit key ID, the creation date):
 *
 *   uid  First User <first@example.org>
 *   sig       00018C22381A7594  2010-01-01  [selfsig]
 *   sig       1234567890ABCDEF  2011-02-03  Signer <signer@example.org>
 *   revok     1234567890ABCDEF  2012-03-04  Signer <signer@example.org>
 *
 * (the issuer's primary user ID when its key is in the database), and
 * one "sub  ..." line per subkey.
 */
#ifndef PKS_MAIL_COMPOSE_H
#define PKS_MAIL_COMPOSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/rc.h"

/* Cap of one composed reply (bytes). */
#define MAIL_MAX_REPLY (32u * 1024 * 1024)

/* What a reply says; everything is borrowed. */
struct mail_reply {
	const char *to;          /* recipient address (a plain addr-spec) */
	const char *subject;     /* subject of the request, UTF-8 */
	const char *status;      /* appended to the subject, or NULL */
	const char *in_reply_to; /* Message-Id of the request, or NULL */
	const char *intro;       /* text of the first part (UTF-8, LF) */
	const uint8_t *body;     /* the second part, or NULL for none */
	size_t bodylen;
	int body_keys; /* body is an armored key block */
};

/*
 * Append the complete reply message to out (buf_init'ed by the caller;
 * MAIL_MAX_REPLY is a sensible cap).  cfg gives From: (maintainer) and
 * the Message-ID host (hostname).  PKS_ERR_TOOBIG if out's cap is
 * passed (out is then incomplete: discard it).
 */
enum pks_rc mail_compose_reply(const struct pks_config *cfg,
    const struct mail_reply *r, time_t now, struct buf *out);

/*
 * Append the INDEX (verbose 0) or VERBOSE INDEX (verbose 1) listing of
 * the keys ids (at most limit of them), with its heading line, to out;
 * *nkeys gets how many keys it lists.  INDEX reads the stored listing
 * facts and parses no key; VERBOSE INDEX lists the keys as served, with
 * their signatures and the names of issuers stored in st (at most 256
 * distinct ones per listing).  Keys that do not parse are left out (and
 * logged).  Errors: the database's, PKS_ERR_TOOBIG at out's cap.
 */
enum pks_rc mail_compose_index(struct store *st, const struct store_ids *ids,
    size_t limit, int verbose, time_t now, struct buf *out, size_t *nkeys);

/* Size of a rate-limit key (longer addresses are cut). */
#define MAIL_RATE_KEY_MAX 320

/*
 * The key the reply rate limits count an address under: lower-cased,
 * with any "+tag" of the local part left out, so Alice+x@Example.org
 * and alice@example.org are one requester.  Written to out[0..size).
 */
void mail_rate_key(const char *addr, char *out, size_t size);

/*
 * Hand a composed reply to rcpt to the outgoing side.  With dry_run
 * the message is written to 'out' (and nothing is queued); otherwise it
 * is queued in the database (store_outbox_add_reply, which also counts
 * it for the rate limits under mail_rate_key(rcpt)) and "reply to RCPT queued"
 * logged. Errors: PKS_ERR_IO (writing 'out'), the store's errors (nothing
 * queued; transient ones are worth a retry).
 */
enum pks_rc mail_reply_submit(struct store *st, int dry_run, FILE *out,
    const char *rcpt, const struct buf *msg);

#endif
