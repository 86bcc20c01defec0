/*
 * mail_send.c: one SMTP session with libesmtp for a batch of messages.
 */
#include <config.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libesmtp.h>

#include "mail/mail_send.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Bytes handed to libesmtp per callback (one BDAT chunk each). */
#define CHUNK (256u * 1024)

/* One message as libesmtp reads it: CRLF bytes and a read position. */
struct source {
	struct buf crlf;
	size_t off;
};

/* Copy msg with every bare LF made CRLF. */
static enum pks_rc
to_crlf(const uint8_t *msg, size_t len, struct buf *out)
{
	enum pks_rc rc = PKS_OK;
	size_t i, start = 0;

	for (i = 0; i < len && rc == PKS_OK; i++) {
		if (msg[i] != '\n' || (i > 0 && msg[i - 1] == '\r'))
			continue;
		rc = buf_add(out, msg + start, i - start);
		if (rc == PKS_OK)
			rc = buf_add(out, "\r\n", 2);
		start = i + 1;
	}
	if (rc == PKS_OK && start < len)
		rc = buf_add(out, msg + start, len - start);
	/* The message must end with a line end. */
	if (rc == PKS_OK && (out->len < 2 || out->data[out->len - 1] != '\n'))
		rc = buf_add(out, "\r\n", 2);
	return rc;
}

/* libesmtp's message callback: len NULL rewinds, else the next chunk. */
static const char *
read_cb(void **ctx, int *len, void *arg)
{
	struct source *src = arg;
	size_t n;

	(void)ctx;
	if (len == NULL) {
		src->off = 0;
		return NULL;
	}
	n = src->crlf.len - src->off;
	if (n == 0) {
		*len = 0;
		return NULL;
	}
	if (n > CHUNK)
		n = CHUNK;
	*len = (int)n;
	src->off += n;
	return (const char *)src->crlf.data + src->off - n;
}

/* Classify an SMTP status code: 0 = no answer. */
static enum mail_send_status
classify(int code)
{
	if (code >= 200 && code < 300)
		return MAIL_SEND_OK;
	if (code >= 500 && code < 600)
		return MAIL_SEND_PERM;
	return MAIL_SEND_TEMP;
}

static void
set_why(struct mail_send_item *it, int code, const char *text)
{
	size_t n;

	snprintf(
	    it->why, sizeof(it->why), "%d %s", code, text != NULL ? text : "");
	n = strlen(it->why);
	while (n > 0 && (it->why[n - 1] == '\n' || it->why[n - 1] == '\r' ||
			    it->why[n - 1] == ' '))
		it->why[--n] = '\0';
}

/*
 * The outcome of one message: the sender's, recipient's and message's
 * statuses must all be 2xx; the first that is not decides.
 */
static void
outcome(smtp_message_t m, smtp_recipient_t r, struct mail_send_item *it)
{
	const smtp_status_t *st[3];
	size_t i;

	st[0] = smtp_reverse_path_status(m);
	st[1] = smtp_recipient_status(r);
	st[2] = smtp_message_transfer_status(m);
	for (i = 0; i < 3; i++) {
		if (st[i] == NULL || st[i]->code == 0) {
			it->status = MAIL_SEND_TEMP;
			snprintf(it->why, sizeof(it->why),
			    "no answer from the "
			    "relay (connection lost)");
			return;
		}
		it->status = classify(st[i]->code);
		set_why(it, st[i]->code, st[i]->text);
		if (it->status != MAIL_SEND_OK)
			return;
	}
}

static void
set_timeouts(smtp_session_t s)
{
	static const int which[] = { Timeout_GREETING, Timeout_ENVELOPE,
		Timeout_DATA, Timeout_TRANSFER, Timeout_DATA2 };
	size_t i;

	for (i = 0; i < sizeof(which) / sizeof(which[0]); i++)
		smtp_set_timeout(s, which[i] | Timeout_OVERRIDE_RFC2822_MINIMUM,
		    MAIL_SEND_TIMEOUT * 1000L);
}

/* Add one message to the session. */
static enum pks_rc
add_message(smtp_session_t s, struct mail_send_item *it, struct source *src,
    smtp_message_t *m, smtp_recipient_t *r)
{
	enum pks_rc rc;

	buf_init(&src->crlf, (size_t)INT_MAX);
	src->off = 0;
	if ((rc = to_crlf(it->msg, it->len, &src->crlf)) != PKS_OK)
		return rc;
	if ((*m = smtp_add_message(s)) == NULL ||
	    !smtp_set_reverse_path(*m, it->rev_path) ||
	    (*r = smtp_add_recipient(*m, it->rcpt)) == NULL ||
	    !smtp_set_messagecb(*m, read_cb, src))
		return PKS_ERR_NOMEM;
	/* libesmtp appends Date and Message-Id, as an MTA would. */
	return PKS_OK;
}

static void
all_temp(struct mail_send_item *items, size_t n, const char *why)
{
	size_t i;

	for (i = 0; i < n; i++) {
		items[i].status = MAIL_SEND_TEMP;
		snprintf(items[i].why, sizeof(items[i].why), "%s", why);
	}
}

/* Run the session and read every outcome. */
static enum pks_rc
run_session(smtp_session_t s, const char *relay, struct mail_send_item *items,
    smtp_message_t *m, smtp_recipient_t *r, size_t n)
{
	char ebuf[128], why[200];
	size_t i, nok = 0;
	int ok;

	ok = smtp_start_session(s);
	for (i = 0; i < n; i++) {
		outcome(m[i], r[i], &items[i]);
		nok += items[i].status == MAIL_SEND_OK;
	}
	if (ok)
		return PKS_OK;
	smtp_strerror(smtp_errno(), ebuf, sizeof(ebuf));
	snprintf(why, sizeof(why), "relay %s: %s", relay, ebuf);
	log_warnx("mail: %s", why);
	/* Keep what the relay accepted before the session broke. */
	for (i = 0; i < n; i++)
		if (items[i].status != MAIL_SEND_OK)
			snprintf(items[i].why, sizeof(items[i].why), "%s", why);
	return nok > 0 ? PKS_OK : PKS_ERR_IO;
}

enum pks_rc
mail_send(
    const char *relay, const char *helo, struct mail_send_item *items, size_t n)
{
	smtp_session_t s;
	smtp_message_t *m = xcalloc(n + 1, sizeof(*m));
	smtp_recipient_t *r = xcalloc(n + 1, sizeof(*r));
	struct source *src = xcalloc(n + 1, sizeof(*src));
	enum pks_rc rc = PKS_ERR_NOMEM;
	size_t i;

	if ((s = smtp_create_session()) == NULL) {
		all_temp(items, n, "out of memory");
		goto out;
	}
	if (smtp_set_server(s, relay) && smtp_set_hostname(s, helo)) {
		set_timeouts(s);
		rc = PKS_OK;
	}
	for (i = 0; i < n && rc == PKS_OK; i++)
		rc = add_message(s, &items[i], &src[i], &m[i], &r[i]);
	if (rc == PKS_OK)
		rc = run_session(s, relay, items, m, r, n);
	else
		all_temp(items, n, pks_rc_str(rc));
	smtp_destroy_session(s);
out:
	for (i = 0; i < n; i++)
		buf_free(&src[i].crlf);
	free(m);
	free(r);
	free(src);
	return rc;
}
