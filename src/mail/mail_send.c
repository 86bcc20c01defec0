/*
 * mail_send.c: one SMTP session with libesmtp for a batch of messages.
 *
 * libesmtp (and OpenSSL under it) is not linked but opened on the first
 * send (util/dynlib.h): only queue-run needs it, and every other pksync
 * process, one mail-filter per incoming message above all, would pay
 * for loading it.  The libesmtp functions this file calls are defined
 * below under their own names and forward to the opened library, so
 * the code that uses them reads as libesmtp's manual says.
 */
#include <config.h>

#include <dirent.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libesmtp.h>

#include "mail/mail_send.h"
#include "util/buf.h"
#include "util/dynlib.h"
#include "util/log.h"
#include "util/xalloc.h"

#ifndef PKS_ESMTP_SONAME
#define PKS_ESMTP_SONAME "libesmtp.so.6"
#endif

/* The opened library's functions. */
static struct {
	__typeof__(smtp_create_session) *create_session;
	__typeof__(smtp_destroy_session) *destroy_session;
	__typeof__(smtp_set_server) *set_server;
	__typeof__(smtp_set_hostname) *set_hostname;
	__typeof__(smtp_set_timeout) *set_timeout;
	__typeof__(smtp_set_eventcb) *set_eventcb;
	__typeof__(smtp_add_message) *add_message;
	__typeof__(smtp_set_reverse_path) *set_reverse_path;
	__typeof__(smtp_add_recipient) *add_recipient;
	__typeof__(smtp_set_messagecb) *set_messagecb;
	__typeof__(smtp_start_session) *start_session;
	__typeof__(smtp_reverse_path_status) *reverse_path_status;
	__typeof__(smtp_recipient_status) *recipient_status;
	__typeof__(smtp_message_transfer_status) *message_transfer_status;
	__typeof__(smtp_errno) *errno_;
	__typeof__(smtp_strerror) *strerror_;
} esmtp;

static pthread_once_t esmtp_once = PTHREAD_ONCE_INIT;
static enum pks_rc esmtp_rc = PKS_ERR_IO;
static char esmtp_err[200];

#define SYM(f, name)                                                           \
	{                                                                      \
		name, (void (**)(void)) & esmtp.f                              \
	}

static void
esmtp_open(void)
{
	const struct dynlib_sym syms[] = { SYM(create_session,
					       "smtp_create_session"),
		SYM(destroy_session, "smtp_destroy_session"),
		SYM(set_server, "smtp_set_server"),
		SYM(set_hostname, "smtp_set_hostname"),
		SYM(set_timeout, "smtp_set_timeout"),
		SYM(set_eventcb, "smtp_set_eventcb"),
		SYM(add_message, "smtp_add_message"),
		SYM(set_reverse_path, "smtp_set_reverse_path"),
		SYM(add_recipient, "smtp_add_recipient"),
		SYM(set_messagecb, "smtp_set_messagecb"),
		SYM(start_session, "smtp_start_session"),
		SYM(reverse_path_status, "smtp_reverse_path_status"),
		SYM(recipient_status, "smtp_recipient_status"),
		SYM(message_transfer_status, "smtp_message_transfer_status"),
		SYM(errno_, "smtp_errno"), SYM(strerror_, "smtp_strerror") };

	esmtp_rc = dynlib_open(PKS_ESMTP_SONAME, syms,
	    sizeof(syms) / sizeof(syms[0]), esmtp_err, sizeof(esmtp_err));
	if (esmtp_rc != PKS_OK)
		log_warnx("mail: cannot load libesmtp: %s", esmtp_err);
}

/* Open libesmtp once; PKS_ERR_IO (reason in esmtp_err) if it cannot. */
static enum pks_rc
esmtp_load(void)
{
	if (pthread_once(&esmtp_once, esmtp_open) != 0)
		return PKS_ERR_IO;
	return esmtp_rc;
}

/*
 * The libesmtp functions used here.  mail_send() loads the library
 * before it calls any of them.
 */
smtp_session_t
smtp_create_session(void)
{
	return esmtp.create_session();
}

int
smtp_destroy_session(smtp_session_t s)
{
	return esmtp.destroy_session(s);
}

int
smtp_set_server(smtp_session_t s, const char *hostport)
{
	return esmtp.set_server(s, hostport);
}

int
smtp_set_hostname(smtp_session_t s, const char *hostname)
{
	return esmtp.set_hostname(s, hostname);
}

long
smtp_set_timeout(smtp_session_t s, int which, long value)
{
	return esmtp.set_timeout(s, which, value);
}

int
smtp_set_eventcb(smtp_session_t s, smtp_eventcb_t cb, void *arg)
{
	return esmtp.set_eventcb(s, cb, arg);
}

smtp_message_t
smtp_add_message(smtp_session_t s)
{
	return esmtp.add_message(s);
}

int
smtp_set_reverse_path(smtp_message_t m, const char *mailbox)
{
	return esmtp.set_reverse_path(m, mailbox);
}

smtp_recipient_t
smtp_add_recipient(smtp_message_t m, const char *mailbox)
{
	return esmtp.add_recipient(m, mailbox);
}

int
smtp_set_messagecb(smtp_message_t m, smtp_messagecb_t cb, void *arg)
{
	return esmtp.set_messagecb(m, cb, arg);
}

int
smtp_start_session(smtp_session_t s)
{
	return esmtp.start_session(s);
}

const smtp_status_t *
smtp_reverse_path_status(smtp_message_t m)
{
	return esmtp.reverse_path_status(m);
}

const smtp_status_t *
smtp_recipient_status(smtp_recipient_t r)
{
	return esmtp.recipient_status(r);
}

const smtp_status_t *
smtp_message_transfer_status(smtp_message_t m)
{
	return esmtp.message_transfer_status(m);
}

int
smtp_errno(void)
{
	return esmtp.errno_();
}

char *
smtp_strerror(int error, char buf[], size_t buflen)
{
	return esmtp.strerror_(error, buf, buflen);
}

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

/* Whether fd is a TCP socket. */
static int
tcp_socket(int fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	int type = 0;
	socklen_t tlen = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 &&
	       type == SOCK_STREAM &&
	       getsockname(fd, (struct sockaddr *)&sa, &len) == 0 &&
	       (sa.ss_family == AF_INET || sa.ss_family == AF_INET6);
}

/* Without /proc: the descriptors below this are looked at. */
#define TCP_OPT_SCAN_FDS 1024
/* TCP sockets a session remembers from its connect (its own, and those
 * of sessions other threads run meanwhile). */
#define TCP_SESSION_FDS 16

/* The TCP sockets found when a session connected: the callback's arg. */
struct tcp_fds {
	int fd[TCP_SESSION_FDS];
	size_t n;
};

/* When fd is a TCP socket: turn its option opt on, and note it in *t
 * while there is room. */
static void
tcp_note(struct tcp_fds *t, int fd, int opt)
{
	int one = 1;

	if (!tcp_socket(fd))
		return;
	(void)setsockopt(fd, IPPROTO_TCP, opt, &one, sizeof(one));
	if (t->n < TCP_SESSION_FDS)
		t->fd[t->n++] = fd;
}

/* tcp_note of every descriptor of the process, *t emptied first. */
static void
tcp_scan(struct tcp_fds *t, int opt)
{
	struct dirent *de;
	DIR *d;
	char *end;
	long fd;
	int i;

	t->n = 0;
	if ((d = opendir("/proc/self/fd")) == NULL) {
		for (i = 0; i < TCP_OPT_SCAN_FDS; i++)
			tcp_note(t, i, opt);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		fd = strtol(de->d_name, &end, 10);
		if (end != de->d_name && *end == '\0' && fd != dirfd(d) &&
		    fd >= 0 && fd <= INT_MAX)
			tcp_note(t, (int)fd, opt);
	}
	closedir(d);
}

/* TCP_QUICKACK on the sockets noted at the connect.  One closed and
 * its number reused since is no TCP socket, or another session's: the
 * call fails or does no harm. */
static void
tcp_quickack(const struct tcp_fds *t)
{
#ifdef TCP_QUICKACK
	size_t i;
	int one = 1;

	for (i = 0; i < t->n; i++)
		(void)setsockopt(
		    t->fd[i], IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#else
	(void)t;
#endif
}

/*
 * libesmtp's event callback: two TCP options its socket needs.  It
 * pipelines a message's RCPT TO, header chunk and body (BDAT, when the
 * relay offers CHUNKING), then reads the answers, then sends what is
 * left of the body; each time one side's last segment was short and
 * the other side had nothing to send, that segment waited for the
 * delayed acknowledgement of the one before (40 ms on Linux): Nagle's
 * algorithm here (a short end of the body) or in the relay (Postfix's
 * answer to the last chunk).  Traced through Postfix, one message in
 * four to one in two stalled so, and the next MAIL FROM waits for
 * that answer.  Hence Nagle off once connected (TCP_NODELAY), and what
 * the relay sent acknowledged at once after the answer to RCPT TO
 * (TCP_QUICKACK, which the kernel drops again by itself).  libesmtp
 * does not hand out its socket: at the connect the process's
 * descriptors are looked through (in queue-run, its SMTP sessions
 * alone are TCP) and the TCP ones noted in arg (struct tcp_fds), so
 * each message's answer costs one setsockopt per noted socket, not a
 * look through them all.
 */
static void
event_cb(smtp_session_t s, int event, void *arg, ...)
{
	(void)s;
	if (event == SMTP_EV_CONNECT)
		tcp_scan(arg, TCP_NODELAY);
	else if (event == SMTP_EV_RCPTSTATUS)
		tcp_quickack(arg);
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
	struct tcp_fds fds = { { 0 }, 0 };
	enum pks_rc rc = PKS_ERR_NOMEM;
	size_t i;

	if (esmtp_load() != PKS_OK) {
		all_temp(items, n, esmtp_err);
		rc = PKS_ERR_IO;
		goto out;
	}
	if ((s = smtp_create_session()) == NULL) {
		all_temp(items, n, "out of memory");
		goto out;
	}
	if (smtp_set_server(s, relay) && smtp_set_hostname(s, helo) &&
	    smtp_set_eventcb(s, event_cb, &fds)) {
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
