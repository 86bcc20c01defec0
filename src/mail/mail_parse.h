/*
 * mail_parse.h: one incoming RFC 5322 message, as the mail filter sees
 * it.  The only user of GMime.
 *
 * The message is read whole into memory first (mail_read: a pipe from
 * the MTA, capped), then taken apart without GMime when it is plain
 * (mail_plain.h), else by GMime, which is loaded for it.  An mbox "From " line
 * before the headers (Postfix local(8), Exim) is allowed; its sender is kept.
 * Only the headers the filter needs are kept, and every leaf MIME part
 * that may carry keys (text/..., application/pgp-keys, application/pgp,
 * application/octet-stream), decoded (base64, quoted-printable), in
 * message order.  Attached messages (message/rfc822) are not entered.
 */
#ifndef PKS_MAIL_PARSE_H
#define PKS_MAIL_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/rc.h"

/* At most this many X-KeyServer-Sent values are kept (more: refused). */
#define MAIL_MAX_SENT 64u
/* At most this many MIME parts are kept (later ones are skipped). */
#define MAIL_MAX_PARTS 64u
/* At most this many multipart boundaries in one message. */
#define MAIL_MAX_BOUNDARIES 64u
/* The longest address kept (RFC 5321 forward-path). */
#define MAIL_MAX_ADDR 254u

/* A decoded MIME leaf part; the message owns it. */
struct mail_part {
	char *type;    /* "text/plain", lower-case */
	uint8_t *data; /* decoded content, NUL-terminated past len */
	size_t len;
};

/* What the filter knows of a message.  Strings are UTF-8, owned by
 * the message (mail_msg_free), NULL when the header is absent. */
struct mail_msg {
	char *env_from;    /* sender of the mbox "From " line */
	char *return_path; /* Return-Path value, trimmed ("<>" = null) */
	char *from;        /* address of the first From: mailbox */
	char *from_local;  /* its local part, for MAILER-DAEMON checks */
	char *reply_to;    /* address of the first Reply-To: mailbox */
	char *subject;     /* decoded and unfolded; "" if absent */
	char *message_id;  /* without the angle brackets */
	char *auto_submitted;
	char *precedence;
	char *content_type; /* top-level MIME type, lower-case */
	char **sent;        /* X-KeyServer-Sent values, in received order */
	size_t nsent;
	struct mail_part *parts;
	size_t nparts;
};

/*
 * Read everything from fd into out (buf_init'ed by the caller, any
 * cap).  PKS_ERR_TOOBIG as soon as more than max bytes arrive (the rest
 * is not read); PKS_ERR_IO on a read error.
 */
enum pks_rc mail_read(int fd, size_t max, struct buf *out);

/*
 * Parse a message.  *out is owned by the caller (mail_msg_free).
 * Addresses are kept only when they are plain ASCII addr-specs of at
 * most MAIL_MAX_ADDR bytes (anything else is left NULL, so it can never
 * be a reply target).  Errors (err->why says why): PKS_ERR_PARSE for
 * an empty message, when GMime finds no message or no header at all,
 * too many multipart boundaries or X-KeyServer-Sent values;
 * PKS_ERR_TOOBIG when len is over PKS_MAX_MAIL; PKS_ERR_IO when the
 * message needs GMime and GMime cannot be loaded (logged).
 */
enum pks_rc mail_parse(
    const char *data, size_t len, struct mail_msg **out, struct pks_err *err);

/*
 * The same, always through GMime: what mail_parse() does with the
 * messages mail_plain.c hands back, and what the fuzz target compares
 * mail_plain.c's reading with.
 */
enum pks_rc mail_parse_mime(
    const char *data, size_t len, struct mail_msg **out, struct pks_err *err);

void mail_msg_free(struct mail_msg *m);

#endif
