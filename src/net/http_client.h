/*
 * http_client.h: a small bounded HTTP/1.0 client for talking to other
 * keyservers (recon's POST /pks/hashquery, the network crawler's GETs).
 *
 * Every step is bounded: a name resolves to at most a few addresses,
 * each checked against the private, loopback and link-local ranges
 * before any connection (the checked address is the one connected to,
 * so a second lookup cannot swap it); a connect and each read have a
 * timeout and the whole exchange a deadline; an answer is read into a
 * struct buf whose cap the caller chooses.  The reply parser is pure
 * (no I/O) and is fuzzed (tests/fuzz/fuzz_http_reply.c).
 */
#ifndef PKS_NET_HTTP_CLIENT_H
#define PKS_NET_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/buf.h"
#include "util/rc.h"

/* Addresses of one name tried at most. */
#define HTTP_MAX_ADDRS 4
/* Bytes of a header value we keep (Server:, Content-Type:). */
#define HTTP_MAX_HEADER_VALUE 128

/*
 * Nonzero when sa is in a range a crawler must not be steered into:
 * IPv4 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.168/16,
 * 224/3 and broadcast; IPv6 unspecified, loopback, link-local fe80::/10,
 * unique-local fc00::/7, multicast, and v4-mapped forms of the above.
 */
int http_addr_private(const struct sockaddr *sa);

/*
 * Resolve host (a name or an IP literal; "[v6]" brackets allowed) and
 * keep the first address that may be used: with allow_private 0, an
 * address in a private range is skipped.  *out gets the address with
 * port set.  PKS_ERR_REFUSED when every address was private,
 * PKS_ERR_NOTFOUND when the name does not resolve.
 */
enum pks_rc http_resolve(const char *host, uint16_t port, int allow_private,
    struct sockaddr_storage *out, socklen_t *len);

/* The address as text ("127.0.0.1", "::1") into out (size >= 46). */
void http_addr_text(const struct sockaddr_storage *a, char *out, size_t size);

/*
 * A TCP connection to addr with its port set to port, bound to
 * bind_host (an IP literal; NULL or "" for any) first, within
 * timeout_ms.  *fd is blocking and owned by the caller.  PKS_ERR_IO on
 * failure (logged at debug level).
 */
enum pks_rc http_connect(const struct sockaddr_storage *addr, socklen_t len,
    uint16_t port, const char *bind_host, int timeout_ms, int *fd);

/*
 * Write all of req, then read until EOF (HTTP/1.0) into reply (its cap
 * bounds the bytes read: PKS_ERR_TOOBIG past it); each read within
 * timeout_ms, all of it before the monotonic time deadline (clock.h).
 * PKS_ERR_IO on a socket error or timeout.
 */
enum pks_rc http_exchange(int fd, const struct buf *req, int timeout_ms,
    int64_t deadline, struct buf *reply);

/*
 * The status line and header block of an answer in p[0..len): *status
 * gets the status code and *off the offset of the body.  PKS_ERR_PARSE
 * when there is no status line or no end of the headers.  Pure.
 */
enum pks_rc http_reply_head(
    const uint8_t *p, size_t len, int *status, size_t *off);

struct http_reply {
	int status;
	char server[HTTP_MAX_HEADER_VALUE];       /* Server:, or "" */
	char content_type[HTTP_MAX_HEADER_VALUE]; /* Content-Type:, or "" */
	struct buf body; /* owned; decoded when chunked */
};

/*
 * Parse a whole answer: status, the Server and Content-Type headers,
 * and the body, de-chunked when Transfer-Encoding is chunked and cut
 * at Content-Length when given.  r->body is initialised here with cap
 * max_body (PKS_ERR_TOOBIG past it) and must be freed with
 * http_reply_free() whatever the result.  Pure.
 */
enum pks_rc http_reply_parse(
    const uint8_t *p, size_t len, size_t max_body, struct http_reply *r);

void http_reply_free(struct http_reply *r);

/* One GET. */
struct http_get {
	const struct sockaddr_storage *addr; /* checked by the caller */
	socklen_t addrlen;
	uint16_t port;
	const char *host_header; /* Host: value */
	const char *path;        /* "/pks/lookup?op=stats" (no CR/LF) */
	const char *user_agent;
	int timeout_ms;   /* connect and each read */
	int64_t deadline; /* clock_ms() time the whole GET must end by */
	size_t max_bytes; /* bytes of the answer read, headers included */
};

/*
 * GET g->path and parse the answer into r (as http_reply_parse; free
 * it with http_reply_free whatever the result).  PKS_ERR_IO when the
 * server cannot be reached or does not answer in time, PKS_ERR_TOOBIG
 * past max_bytes, PKS_ERR_PARSE for an answer that is not HTTP.
 */
enum pks_rc http_get(const struct http_get *g, struct http_reply *r);

#endif
