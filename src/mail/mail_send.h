/*
 * mail_send.h: handing messages to the SMTP relay.  The only user of
 * libesmtp.
 *
 * Every message of one call goes through one SMTP session (each with one
 * recipient).  Messages are given with LF line ends and sent with CRLF,
 * in large buffers (libesmtp uses BDAT when the relay offers CHUNKING,
 * one chunk per buffer).  The outcome of each message is read from the
 * recipient's status as well as the message's: with PIPELINING a
 * refused RCPT still lets libesmtp send the data, and only the
 * recipient status holds the real answer.
 */
#ifndef PKS_MAIL_SEND_H
#define PKS_MAIL_SEND_H

#include <stddef.h>
#include <stdint.h>

#include "util/rc.h"

enum mail_send_status {
	MAIL_SEND_OK,   /* the relay accepted it (2xx) */
	MAIL_SEND_TEMP, /* 4xx, no answer, connection trouble: retry */
	MAIL_SEND_PERM  /* 5xx: the relay refused it for good */
};

/* One message.  The strings and msg are borrowed. */
struct mail_send_item {
	const char *rev_path; /* envelope sender; "" for the null sender */
	const char *rcpt;     /* the one recipient */
	const uint8_t *msg;   /* the message, LF (or CRLF) line ends */
	size_t len;
	enum mail_send_status status; /* set by mail_send() */
	char why[256];                /* the relay's answer, or the error */
};

/* Seconds each SMTP step may take before the session is dropped. */
#define MAIL_SEND_TIMEOUT 60

/*
 * Send items[0..n) through relay ("host:port"), announcing ourselves as
 * helo in EHLO.  Every item gets a status and a reason.  The first call
 * opens libesmtp (it is not linked: see mail_send.c).  Returns PKS_OK
 * when the session ran (individual messages may still have failed),
 * PKS_ERR_IO when no session could be had or libesmtp could not be
 * opened (every item MAIL_SEND_TEMP),
 * PKS_ERR_NOMEM, or PKS_ERR_TOOBIG for a message over INT_MAX bytes.
 */
enum pks_rc mail_send(const char *relay, const char *helo,
    struct mail_send_item *items, size_t n);

#endif
