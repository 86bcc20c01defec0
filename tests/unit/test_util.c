/*
 * test_util.c: unit tests of src/util: result tables, buffers, UTC
 * text, the escaping of log lines, the service-manager notification
 * and IP network lists.
 */
#include <config.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "tap.h"
#include "util/buf.h"
#include "util/cidr.h"
#include "util/hex.h"
#include "util/utf8.h"
#include "util/log.h"
#include "util/notify.h"
#include "util/rc.h"
#include "util/utc.h"
#include "util/xml.h"

static void
test_rc_tables(void)
{
	CHECK(pks_rc_http(PKS_OK) == 200);
	CHECK(pks_rc_http(PKS_ERR_NOTFOUND) == 404);
	CHECK(pks_rc_http(PKS_ERR_TOOBIG) == 413);
	CHECK(pks_rc_http(PKS_ERR_UNSUPPORTED) == 501);
	CHECK(pks_rc_sysexit(PKS_ERR_BUSY) == EX_TEMPFAIL);
	CHECK(pks_rc_sysexit(PKS_ERR_PARSE) == EX_DATAERR);
	CHECK(pks_rc_transient(PKS_ERR_FULL));
	CHECK(!pks_rc_transient(PKS_ERR_PARSE));
	CHECK(strcmp(pks_rc_str((enum pks_rc)999), "unknown error") == 0);
}

static void
test_buf_cap(void)
{
	struct buf b;

	buf_init(&b, 8);
	CHECK(buf_adds(&b, "12345") == PKS_OK);
	CHECK(buf_adds(&b, "6789") == PKS_ERR_TOOBIG);
	CHECK(b.len == 5 && strcmp((char *)b.data, "12345") == 0);
	CHECK(buf_printf(&b, "%d", 678) == PKS_OK);
	CHECK(b.len == 8);
	CHECK(buf_addc(&b, 'x') == PKS_ERR_TOOBIG);
	buf_free(&b);
	buf_free(&b);
}

static void
test_buf_be32(void)
{
	struct buf b;

	buf_init(&b, 16);
	CHECK(buf_add_be32(&b, 0x01020304) == PKS_OK);
	CHECK(b.len == 4 && b.data[0] == 1 && b.data[3] == 4);
	buf_free(&b);
}

static void
test_utc_text(void)
{
	char b[32];

	CHECK(strcmp(utc_text(1309842384, UTC_DAY, "-", b, sizeof(b)),
		  "2011-07-05") == 0);
	CHECK(strcmp(utc_text(86399, UTC_SECOND, "-", b, sizeof(b)),
		  "1970-01-01 23:59:59") == 0);
	CHECK(
	    strcmp(utc_text(0, UTC_DAY, "never", b, sizeof(b)), "never") == 0);
	CHECK(
	    strcmp(utc_text(-5, UTC_DAY, "never", b, sizeof(b)), "never") == 0);
	CHECK(strcmp(utc_text(1309842384, UTC_SECOND, "x", b, 5), "x") == 0);
}

static void
test_log_escape(void)
{
	char out[64];
	size_t n;

	n = log_escape("a\nb\r\tc\\d", 10, out, sizeof(out));
	CHECK(strcmp(out, "a\\nb\\r\\tc\\\\d") == 0 && n == strlen(out));
	log_escape("x\x1b[2Jy\x7f", 8, out, sizeof(out));
	CHECK(strcmp(out, "x\\x1b[2Jy\\x7f") == 0);
	/* UTF-8 stays; bad UTF-8, C1, U+2028 and bidi overrides do not */
	log_escape("J\xc3\xbcrgen", 7, out, sizeof(out));
	CHECK(strcmp(out, "J\xc3\xbcrgen") == 0);
	log_escape(
	    "\xc3(\xc2\x85\xe2\x80\xa8\xe2\x80\xae", 11, out, sizeof(out));
	CHECK(
	    strcmp(out, "\\xc3(\\xc2\\x85\\xe2\\x80\\xa8\\xe2\\x80\\xae") == 0);
	/* truncation never splits an escape and always terminates */
	n = log_escape("ab\n", 3, out, 4);
	CHECK(n == 2 && strcmp(out, "ab") == 0);
}

/* A value with a newline cannot start a second log line. */
static void
test_log_one_line(void)
{
	char path[] = "/tmp/pks-logXXXXXX", text[1024];
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	FILE *f;
	size_t n;

	CHECK(fd != -1 && saved != -1);
	if (fd == -1 || saved == -1)
		return;
	dup2(fd, STDERR_FILENO);
	log_warnx(
	    "mail from %s", "x\n2026-01-01T00:00:00Z pksync info: forged");
	dup2(saved, STDERR_FILENO);
	close(saved);
	f = fdopen(fd, "r");
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	unlink(path);
	CHECK(n > 0 && strchr(text, '\n') == text + n - 1);
	CHECK(strstr(text, "mail from x\\n2026-01-01T00:00:00Z pksync info: "
			   "forged\n") != NULL);
}

/* A datagram socket at path (a leading '@': abstract); returns the fd. */
static int
notify_listener(const char *path)
{
	struct sockaddr_un sa;
	size_t len = strlen(path);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	if (fd == -1 || bind(fd, (struct sockaddr *)&sa,
			    (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
					len)) == -1)
		return -1;
	return fd;
}

/* notify_send() sends exactly the state's message to $NOTIFY_SOCKET. */
static int
notify_roundtrip(const char *path, enum notify_state st, const char *want)
{
	char got[64];
	ssize_t n;
	int fd = notify_listener(path), ok;

	if (fd == -1)
		return 0;
	setenv("NOTIFY_SOCKET", path, 1);
	ok = notify_send(st) == PKS_OK;
	n = recv(fd, got, sizeof(got) - 1, MSG_DONTWAIT);
	close(fd);
	if (n < 0)
		return 0;
	got[n] = '\0';
	return ok && strcmp(got, want) == 0;
}

static void
test_notify(void)
{
	char path[64], abstract[64];

	snprintf(path, sizeof(path), "/tmp/pks-notify.%ld", (long)getpid());
	snprintf(abstract, sizeof(abstract), "@pks-notify.%ld", (long)getpid());
	unsetenv("NOTIFY_SOCKET");
	CHECK(notify_send(NOTIFY_READY) == PKS_OK);
	CHECK(notify_roundtrip(path, NOTIFY_READY, "READY=1"));
	unlink(path);
	CHECK(notify_roundtrip(abstract, NOTIFY_STOPPING, "STOPPING=1"));
	CHECK(notify_roundtrip(abstract, NOTIFY_RELOADING, "RELOADING=1"));
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	CHECK(notify_send(NOTIFY_READY) == PKS_ERR_IO);
	setenv("NOTIFY_SOCKET", "/tmp/pks-notify-nobody-listens", 1);
	CHECK(notify_send(NOTIFY_READY) == PKS_ERR_IO);
	unsetenv("NOTIFY_SOCKET");
}

/* addr as 16 bytes (IPv4 mapped), for cidr_list_match. */
static void
addr16(const char *text, uint8_t out[16])
{
	uint8_t a4[4];

	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, a4) == 1) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, a4, 4);
	} else if (inet_pton(AF_INET6, text, out) != 1) {
		memset(out, 0xee, 16);
	}
}

static int
cidr_has(const struct cidr_list *l, const char *text)
{
	uint8_t a[16];

	addr16(text, a);
	return cidr_list_match(l, a);
}

static void
test_cidr(void)
{
	struct pks_err err = { 0, NULL };
	struct cidr_list l;
	struct buf many;
	size_t i;

	CHECK(cidr_list_parse("127.0.0.0/8 ::1, 192.0.2.77/24\t2001:db8::/33",
	    &l, &err) == PKS_OK && l.n == 4);
	CHECK(cidr_has(&l, "127.1.2.3") && cidr_has(&l, "::1"));
	CHECK(!cidr_has(&l, "128.0.0.1") && !cidr_has(&l, "::2"));
	/* host bits of 192.0.2.77/24 are ignored */
	CHECK(cidr_has(&l, "192.0.2.1") && !cidr_has(&l, "192.0.3.1"));
	CHECK(cidr_has(&l, "2001:db8:7fff::1") && !cidr_has(&l, "2001:db8:8000::1"));
	/* an IPv4 network is not an IPv6 one of the same bits */
	CHECK(!cidr_has(&l, "7f00::1"));
	CHECK(cidr_list_parse("0.0.0.0/0", &l, &err) == PKS_OK);
	CHECK(cidr_has(&l, "10.0.0.1") && !cidr_has(&l, "2001:db8::1"));
	CHECK(cidr_list_parse("::/0", &l, &err) == PKS_OK);
	CHECK(cidr_has(&l, "10.0.0.1") && cidr_has(&l, "2001:db8::1"));
	CHECK(cidr_list_parse("", &l, &err) == PKS_OK && l.n == 0);
	CHECK(!cidr_has(&l, "127.0.0.1"));
	CHECK(cidr_list_parse("::1 10.0.0.0/33", &l, &err) == PKS_ERR_PARSE);
	CHECK(err.off == 4 && err.why != NULL &&
	    strstr(err.why, "prefix length") != NULL);
	CHECK(cidr_list_parse("10.0.0.0/", &l, &err) == PKS_ERR_PARSE);
	CHECK(cidr_list_parse("10.0.0.0/+8", &l, &err) == PKS_ERR_PARSE);
	CHECK(cidr_list_parse("::/129", &l, &err) == PKS_ERR_PARSE);
	CHECK(cidr_list_parse("localhost", &l, &err) == PKS_ERR_PARSE &&
	    err.off == 0);
	CHECK(cidr_list_parse("1.2.3.4/8/8", &l, &err) == PKS_ERR_PARSE);
	buf_init(&many, 4096);
	for (i = 0; i <= PKS_MAX_CIDRS; i++)
		CHECK(buf_printf(&many, "10.0.0.%zu ", i % 256) == PKS_OK);
	CHECK(cidr_list_parse((const char *)many.data, &l, &err) ==
	    PKS_ERR_TOOBIG);
	buf_free(&many);
}

static void
test_hex_value(void)
{
	const char *digits = "0123456789abcdef";
	int i, ok = 1;

	for (i = 0; i < 16; i++)
		ok = ok && hex_value(digits[i]) == i;
	CHECK(ok);
	CHECK(hex_value('A') == 10 && hex_value('F') == 15);
	CHECK(hex_value('g') == -1 && hex_value('G') == -1);
	CHECK(hex_value('/') == -1 && hex_value(':') == -1);
	CHECK(hex_value('@') == -1 && hex_value('`') == -1);
	CHECK(hex_value(0) == -1 && hex_value(0xff) == -1);
}

static void
test_utf8_seq(void)
{
	const unsigned char *u = (const unsigned char *)"a\xc3\xa9\xe2\x82\xac"
							"\xf0\x9f\x94\x91";

	CHECK(utf8_seq(u, 10) == 1);
	CHECK(utf8_seq(u + 1, 9) == 2);
	CHECK(utf8_seq(u + 3, 7) == 3);
	CHECK(utf8_seq(u + 6, 4) == 4);
	CHECK(utf8_seq(u + 6, 3) == 0);         /* cut short */
	CHECK(utf8_seq(u + 2, 8) == 0);         /* a continuation byte */
	CHECK(utf8_seq((const unsigned char *)"\xc0\x80", 2) == 0); /* overlong */
	CHECK(utf8_seq((const unsigned char *)"\xe0\x80\x80", 3) == 0);
	CHECK(utf8_seq((const unsigned char *)"\xed\xa0\x80", 3) == 0); /* surrogate */
	CHECK(utf8_seq((const unsigned char *)"\xf4\x90\x80\x80", 4) == 0);
	CHECK(utf8_seq((const unsigned char *)"\xff", 1) == 0);
}

/* Whether out holds exactly want (NUL-terminated for the compare). */
static int
holds(struct buf *out, const char *want)
{
	return buf_addc(out, 0) == PKS_OK &&
	       strcmp((const char *)out->data, want) == 0;
}

static void
test_xml(void)
{
	struct svg_node n = { .x = 5, .y = 6, .r = 7, .fill = "#abc" };
	struct buf b;

	buf_init(&b, 4096);
	CHECK(xml_escapes(&b, "<a href='x'>&\"\x01\xff\t\xc3\xa9") == PKS_OK &&
	    holds(&b, "&lt;a href=&#39;x&#39;&gt;&amp;&quot;\xef\xbf\xbd"
		      "\xef\xbf\xbd\t\xc3\xa9"));
	buf_reset(&b);
	CHECK(xml_escape_cut(&b, "ab<cd", 3) == PKS_OK &&
	    holds(&b, "ab&lt;..."));
	buf_reset(&b);
	/* a cut through a UTF-8 sequence leaves U+FFFD, not half of it */
	CHECK(xml_escape_cut(&b, "a\xc3\xa9", 2) == PKS_OK &&
	    holds(&b, "a\xef\xbf\xbd..."));
	buf_reset(&b);
	CHECK(svg_node(&b, &n) == PKS_OK &&
	    holds(&b, "<g><circle cx=\"5\" cy=\"6\" r=\"7\" "
		      "fill=\"#abc\"/></g>\n"));
	buf_reset(&b);
	n.cls = "server x";
	n.stroke = "#333";
	n.line = 1;
	n.from_x = 1;
	n.from_y = 2;
	n.label[0] = (struct svg_label){ 5, 20, "end", 0, NULL, "a<b", 0 };
	n.label[1] = (struct svg_label){ 5, 30, "start", 11, "<b>ok: ",
		"long state", 4 };
	CHECK(svg_node(&b, &n) == PKS_OK &&
	    holds(&b, "<g class=\"server x\"><line x1=\"1\" y1=\"2\" "
		      "x2=\"5\" y2=\"6\" stroke=\"#abc\" "
		      "stroke-width=\"2\"/>\n<circle cx=\"5\" cy=\"6\" "
		      "r=\"7\" fill=\"#abc\" stroke=\"#333\"/>\n<text "
		      "x=\"5\" y=\"20\" text-anchor=\"end\">a&lt;b</text>"
		      "\n<text x=\"5\" y=\"30\" text-anchor=\"start\" "
		      "font-size=\"11\"><b>ok: long...</text></g>\n"));
	buf_reset(&b);
	CHECK(xml_escapes(&b, "<<<<") == PKS_OK);
	b.max = b.len + 2;
	CHECK(xml_escapes(&b, "<") == PKS_ERR_TOOBIG);
	buf_free(&b);
}

int
main(void)
{
	RUN(test_rc_tables);
	RUN(test_log_escape);
	RUN(test_log_one_line);
	RUN(test_buf_cap);
	RUN(test_buf_be32);
	RUN(test_utc_text);
	RUN(test_notify);
	RUN(test_cidr);
	RUN(test_hex_value);
	RUN(test_utf8_seq);
	RUN(test_xml);
	return tap_done();
}
