/*
 * http_client.c: the bounded HTTP/1.0 client (see http_client.h):
 * address checks, connect with a timeout, one request and its answer
 * read within a deadline and a byte cap, and the answer's parser.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "net/http_client.h"
#include "util/clock.h"
#include "util/hex.h"
#include "util/log.h"

static int
v4_private(uint32_t a)
{
	return (a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 ||
	       (a & 0xffc00000u) == 0x64400000u || /* 100.64/10 */
	       (a & 0xffff0000u) == 0xa9fe0000u || /* 169.254/16 */
	       (a & 0xfff00000u) == 0xac100000u || /* 172.16/12 */
	       (a & 0xffff0000u) == 0xc0a80000u || /* 192.168/16 */
	       (a >> 29) == 7;                     /* 224/3, broadcast */
}

static int
v6_private(const struct in6_addr *a)
{
	static const uint8_t zero[16];
	const uint8_t *b = a->s6_addr;
	uint32_t v4;

	if (memcmp(b, zero, 15) == 0) /* :: and ::1 */
		return 1;
	if (memcmp(b, zero, 10) == 0 && b[10] == 0xff && b[11] == 0xff) {
		v4 = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
		     (uint32_t)b[14] << 8 | b[15];
		return v4_private(v4);
	}
	return (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || /* fe80::/10 */
	       (b[0] & 0xfe) == 0xfc ||                   /* fc00::/7 */
	       b[0] == 0xff;                              /* multicast */
}

int
http_addr_private(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return v4_private(
		    ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
	if (sa->sa_family == AF_INET6)
		return v6_private(
		    &((const struct sockaddr_in6 *)sa)->sin6_addr);
	return 1;
}

static void
set_port(struct sockaddr_storage *a, uint16_t port)
{
	if (a->ss_family == AF_INET)
		((struct sockaddr_in *)a)->sin_port = htons(port);
	else if (a->ss_family == AF_INET6)
		((struct sockaddr_in6 *)a)->sin6_port = htons(port);
}

/* host without the brackets of "[v6]" into out. */
static int
bare_host(const char *host, char *out, size_t size)
{
	size_t n = strlen(host);

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		host++;
		n -= 2;
	}
	if (n == 0 || n >= size)
		return -1;
	memcpy(out, host, n);
	out[n] = '\0';
	return 0;
}

enum pks_rc
http_resolve(const char *host, uint16_t port, int allow_private,
    struct sockaddr_storage *out, socklen_t *len)
{
	struct addrinfo hints, *ai = NULL, *p;
	enum pks_rc rc = PKS_ERR_NOTFOUND;
	char name[256];
	int tried = 0;

	if (bare_host(host, name, sizeof(name)) != 0)
		return PKS_ERR_PARSE;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, NULL, &hints, &ai) != 0 || ai == NULL)
		return PKS_ERR_NOTFOUND;
	for (p = ai; p != NULL && tried < HTTP_MAX_ADDRS; p = p->ai_next) {
		if (p->ai_addrlen > sizeof(*out))
			continue;
		tried++;
		if (!allow_private && http_addr_private(p->ai_addr)) {
			rc = PKS_ERR_REFUSED;
			continue;
		}
		memset(out, 0, sizeof(*out));
		memcpy(out, p->ai_addr, p->ai_addrlen);
		*len = p->ai_addrlen;
		set_port(out, port);
		rc = PKS_OK;
		break;
	}
	freeaddrinfo(ai);
	return rc;
}

void
http_addr_text(const struct sockaddr_storage *a, char *out, size_t size)
{
	const void *src =
	    a->ss_family == AF_INET6
		? (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr
		: (const void *)&((const struct sockaddr_in *)a)->sin_addr;

	if (inet_ntop(a->ss_family, src, out, size) == NULL)
		snprintf(out, size, "?");
}

/* Bind fd to host (IP literal), port 0. */
static int
bind_local(int fd, int family, const char *host)
{
	struct addrinfo hints, *ai = NULL;
	int r;

	if (host == NULL || *host == '\0')
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
	if (getaddrinfo(host, "0", &hints, &ai) != 0 || ai == NULL)
		return 0; /* another family: leave it to the kernel */
	r = bind(fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return r;
}

enum pks_rc
http_connect(const struct sockaddr_storage *addr, socklen_t len, uint16_t port,
    const char *bind_host, int timeout_ms, int *fd)
{
	struct sockaddr_storage a = *addr;
	struct pollfd pfd;
	socklen_t el = sizeof(int);
	int s, err = 0, fl, n;

	set_port(&a, port);
	if ((s = socket(a.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return PKS_ERR_IO;
	if (bind_local(s, a.ss_family, bind_host) != 0)
		goto fail;
	fl = fcntl(s, F_GETFL);
	fcntl(s, F_SETFL, fl | O_NONBLOCK);
	if (connect(s, (struct sockaddr *)&a, len) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = s;
		pfd.events = POLLOUT;
		do {
			n = poll(&pfd, 1, timeout_ms);
		} while (n == -1 && errno == EINTR);
		if (n <= 0 ||
		    getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) == -1 ||
		    err != 0)
			goto fail;
	}
	fcntl(s, F_SETFL, fl);
	*fd = s;
	return PKS_OK;
fail:
	log_debug("http: connect to port %u failed: %s", port,
	    strerror(err ? err : errno));
	close(s);
	return PKS_ERR_IO;
}

/* Milliseconds left before the deadline, at most timeout_ms; 0 when
 * it has passed. */
static int
left_ms(int64_t deadline, int timeout_ms)
{
	int64_t left = deadline - clock_ms();

	if (left <= 0)
		return 0;
	return left < timeout_ms ? (int)left : timeout_ms;
}

static enum pks_rc
write_all(int fd, const struct buf *b, int timeout_ms, int64_t deadline)
{
	struct pollfd pfd = { fd, POLLOUT, 0 };
	size_t off = 0;
	ssize_t r;
	int n, wait;

	while (off < b->len) {
		if ((wait = left_ms(deadline, timeout_ms)) == 0)
			return PKS_ERR_IO;
		do {
			n = poll(&pfd, 1, wait);
		} while (n == -1 && errno == EINTR);
		if (n <= 0)
			return PKS_ERR_IO;
		r = write(fd, b->data + off, b->len - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return PKS_ERR_IO;
		off += (size_t)r;
	}
	return PKS_OK;
}

/* One read of at most 64 KiB into reply; *eof set at the end.  Past
 * the cap one byte more is tried: only EOF is fine there. */
static enum pks_rc
read_some(int fd, struct buf *reply, int *eof)
{
	size_t room = reply->max - reply->len;
	uint8_t *p, extra;
	ssize_t r;

	if (room > 65536)
		room = 65536;
	if (room == 0)
		p = &extra, room = 1;
	else if (buf_reserve(reply, room, &p) != PKS_OK)
		return PKS_ERR_TOOBIG;
	do {
		r = read(fd, p, room);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return PKS_ERR_IO;
	*eof = r == 0;
	if (r > 0 && p == &extra)
		return PKS_ERR_TOOBIG;
	reply->len += (size_t)r;
	if (reply->data != NULL)
		reply->data[reply->len] = '\0';
	return PKS_OK;
}

enum pks_rc
http_exchange(int fd, const struct buf *req, int timeout_ms, int64_t deadline,
    struct buf *reply)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	enum pks_rc rc;
	int n, wait, eof = 0;

	if ((rc = write_all(fd, req, timeout_ms, deadline)) != PKS_OK)
		return rc;
	while (!eof) {
		if ((wait = left_ms(deadline, timeout_ms)) == 0)
			return PKS_ERR_IO;
		do {
			n = poll(&pfd, 1, wait);
		} while (n == -1 && errno == EINTR);
		if (n <= 0)
			return PKS_ERR_IO;
		if ((rc = read_some(fd, reply, &eof)) != PKS_OK)
			return rc;
	}
	return PKS_OK;
}

/* Offset just past the blank line that ends the headers (CRLFCRLF or,
 * from sloppy servers, LFLF), or 0. */
static size_t
head_end(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

enum pks_rc
http_reply_head(const uint8_t *p, size_t len, int *status, size_t *off)
{
	size_t i;
	int code = 0, digits = 0;

	if (len < 12 || memcmp(p, "HTTP/", 5) != 0)
		return PKS_ERR_PARSE;
	for (i = 5; i < len && p[i] != ' ' && p[i] != '\n'; i++)
		;
	for (i++; i < len && digits < 3 && p[i] >= '0' && p[i] <= '9'; i++)
		code = code * 10 + (p[i] - '0'), digits++;
	if (digits != 3 || code < 100)
		return PKS_ERR_PARSE;
	if ((*off = head_end(p, len)) == 0)
		return PKS_ERR_PARSE;
	*status = code;
	return PKS_OK;
}

/* Offset of the header line starting with name (its colon included,
 * any case) in p[0..end), or end. */
static size_t
header_find(const uint8_t *p, size_t end, const char *name)
{
	size_t nl = strlen(name), i;

	for (i = 0; i + nl <= end; i++) {
		if (i != 0 && p[i - 1] != '\n')
			continue;
		if (strncasecmp((const char *)p + i, name, nl) == 0)
			return i + nl;
	}
	return end;
}

/* The value of header name (given with its colon) in the header block
 * p[0..end), trimmed, printable ASCII only, into out; "" when absent. */
static void
header_value(
    const uint8_t *p, size_t end, const char *name, char *out, size_t size)
{
	size_t j = header_find(p, end, name), k = 0;

	while (j < end && (p[j] == ' ' || p[j] == '\t'))
		j++;
	for (; j < end && p[j] != '\r' && p[j] != '\n' && k + 1 < size; j++)
		out[k++] = p[j] >= 0x20 && p[j] < 0x7f ? (char)p[j] : '?';
	while (k > 0 && (out[k - 1] == ' ' || out[k - 1] == '\t'))
		k--;
	out[k] = '\0';
}

/* One chunk-size line at p[*off..len): its size into *n, *off past
 * its LF.  Extensions after ';' are ignored. */
static enum pks_rc
chunk_size(const uint8_t *p, size_t len, size_t *off, size_t *n)
{
	size_t i = *off, v = 0;
	int d, digits = 0;

	for (; i < len && (d = hex_value(p[i])) >= 0; i++, digits++) {
		if (v > (SIZE_MAX >> 4))
			return PKS_ERR_TOOBIG;
		v = v << 4 | (size_t)d;
	}
	if (digits == 0)
		return PKS_ERR_PARSE;
	while (i < len && p[i] != '\n')
		i++;
	if (i >= len)
		return PKS_ERR_PARSE;
	*off = i + 1;
	*n = v;
	return PKS_OK;
}

/* De-chunk p[off..len) into body. */
static enum pks_rc
dechunk(const uint8_t *p, size_t len, size_t off, struct buf *body)
{
	enum pks_rc rc;
	size_t n;

	for (;;) {
		if ((rc = chunk_size(p, len, &off, &n)) != PKS_OK)
			return rc;
		if (n == 0)
			return PKS_OK; /* trailers are not needed */
		if (len - off < n)
			return PKS_ERR_PARSE;
		if ((rc = buf_add(body, p + off, n)) != PKS_OK)
			return rc;
		off += n;
		if (off < len && p[off] == '\r')
			off++;
		if (off < len && p[off] == '\n')
			off++;
	}
}

/* Content-Length of the header block, or -1. */
static long long
content_length(const uint8_t *p, size_t end)
{
	char v[HTTP_MAX_HEADER_VALUE], *e;
	long long n;

	header_value(p, end, "Content-Length:", v, sizeof(v));
	if (v[0] < '0' || v[0] > '9')
		return -1;
	errno = 0;
	n = strtoll(v, &e, 10);
	return errno != 0 || *e != '\0' ? -1 : n;
}

enum pks_rc
http_reply_parse(
    const uint8_t *p, size_t len, size_t max_body, struct http_reply *r)
{
	char te[HTTP_MAX_HEADER_VALUE];
	size_t off;
	long long cl;
	enum pks_rc rc;

	memset(r, 0, sizeof(*r));
	buf_init(&r->body, max_body);
	if ((rc = http_reply_head(p, len, &r->status, &off)) != PKS_OK)
		return rc;
	header_value(p, off, "Server:", r->server, sizeof(r->server));
	header_value(
	    p, off, "Content-Type:", r->content_type, sizeof(r->content_type));
	header_value(p, off, "Transfer-Encoding:", te, sizeof(te));
	if (strcasecmp(te, "chunked") == 0)
		return dechunk(p, len, off, &r->body);
	cl = content_length(p, off);
	if (cl >= 0 && (unsigned long long)cl < len - off)
		len = off + (size_t)cl;
	return buf_add(&r->body, p + off, len - off);
}

void
http_reply_free(struct http_reply *r)
{
	buf_free(&r->body);
}

enum pks_rc
http_get(const struct http_get *g, struct http_reply *r)
{
	struct buf req, reply;
	enum pks_rc rc;
	int fd = -1, wait;

	memset(r, 0, sizeof(*r));
	buf_init(&r->body, 0);
	buf_init(&req, 4096);
	buf_init(&reply, g->max_bytes);
	rc = buf_printf(&req,
	    "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: %s\r\n"
	    "Accept: */*\r\nConnection: close\r\n\r\n",
	    g->path, g->host_header, g->user_agent);
	wait = left_ms(g->deadline, g->timeout_ms);
	if (rc == PKS_OK && wait == 0)
		rc = PKS_ERR_IO;
	if (rc == PKS_OK)
		rc =
		    http_connect(g->addr, g->addrlen, g->port, NULL, wait, &fd);
	if (rc == PKS_OK)
		rc =
		    http_exchange(fd, &req, g->timeout_ms, g->deadline, &reply);
	if (rc == PKS_OK)
		rc = http_reply_parse(reply.data, reply.len, g->max_bytes, r);
	if (fd != -1)
		close(fd);
	buf_free(&req);
	buf_free(&reply);
	return rc;
}
