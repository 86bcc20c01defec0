/*
 * test_hkp_server.c: the HKP server end to end.  A server on port 0 over
 * a temporary database with keys from the debian-keyring package; the
 * test speaks raw HTTP over sockets (HTTP/1.0 like gpg and SKS, and
 * HTTP/1.1 keep-alive) and checks status codes, content types and
 * bodies, then 64 concurrent clients fetch keys while keys are added.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hkp/hkp_html.h"
#include "hkp/hkp_server.h"
#include "ingest/ingest.h"
#include "pgp/pgp_armor.h"
#include "pgp/pgp_fpr.h"
#include "pgp/pgp_index.h"
#include "pgp/pgp_verify.h"
#include "util/limits.h"
#include "pgp/pgp_key.h"
#include "store/store.h"
#include "fixture.h"
#include "tap.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/log.h"

#define KEYRING "/usr/share/keyrings/debian-keyring.gpg"
#define NSTORED 10          /* keys in the database at start */
#define NKEYS 20            /* keys 10..19 are added over HTTP */
#define NCLIENTS 64
#define NGETS 20            /* requests per concurrent client */

static char member[128], mailsync[128];
static uint8_t *ring;
static size_t ringlen, koff[NKEYS], klen[NKEYS];
static struct pks_config cfg;
static struct hkp_server *srv;
static const struct ingest_origin import_origin = { INGEST_IMPORT, NULL,
    0, NULL };
static uint16_t port;

/* Facts of key 0, from its parsed packets. */
static char fpr0[41], longid0[17], shortid0[9], subid0[17], word0[64];
static char email0[128];

struct resp {
	int status;
	char *head;          /* status line and headers, NUL-terminated */
	uint8_t *body;
	size_t len;
};

static void
resp_free(struct resp *r)
{
	free(r->head);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static int
dial(void)
{
	struct sockaddr_in sin;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0) {
		w = send(fd, b, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Case-insensitive search for a header; returns its value or NULL. */
static const char *
header(const struct resp *r, const char *name)
{
	const char *p = r->head;
	size_t n = strlen(name);

	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			return p + n + 1 + (p[n + 1] == ' ');
	}
	return NULL;
}

/* Whether header name is there and is exactly value. */
static int
header_is(const struct resp *r, const char *name, const char *value)
{
	const char *h = header(r, name);
	size_t n = strlen(value);

	return h != NULL && strncmp(h, value, n) == 0 &&
	       (h[n] == '\r' || h[n] == '\n');
}

/* Read one response (headers, then Content-Length bytes or to EOF). */
static int
read_resp(int fd, struct resp *r)
{
	struct buf b;
	uint8_t chunk[16384];
	char *end;
	const char *cl;
	size_t hlen = 0, want = (size_t)-1;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	buf_init(&b, 256u * 1024 * 1024);
	for (;;) {
		if (hlen == 0 && b.data != NULL &&
		    (end = strstr((char *)b.data, "\r\n\r\n")) != NULL) {
			hlen = (size_t)(end - (char *)b.data) + 4;
			r->head = strndup((char *)b.data, hlen - 2);
			cl = header(r, "Content-Length");
			if (cl != NULL)
				want = strtoul(cl, NULL, 10);
		}
		if (hlen > 0 && b.len - hlen >= want)
			break;
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n <= 0)
			break;
		if (buf_add(&b, chunk, (size_t)n) != PKS_OK)
			break;
	}
	if (hlen == 0) {
		buf_free(&b);
		return -1;
	}
	r->len = b.len - hlen < want ? b.len - hlen : want;
	r->body = malloc(r->len + 1);
	memcpy(r->body, b.data + hlen, r->len);
	r->body[r->len] = '\0';
	sscanf(r->head, "HTTP/%*d.%*d %d", &r->status);
	buf_free(&b);
	return r->status;
}

/* One request on a new connection; returns the status or -1. */
static int
http(const void *req, size_t len, struct resp *r)
{
	int fd = dial(), st = -1;

	memset(r, 0, sizeof(*r));
	if (fd == -1)
		return -1;
	if (send_all(fd, req, len) == 0)
		st = read_resp(fd, r);
	close(fd);
	return st;
}

/* GET path with HTTP/1.0 (as gpg sends it). */
static int
get(const char *path, struct resp *r)
{
	char req[2048];
	int n;

	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: "
	    "localhost:%u\r\nPragma: no-cache\r\n\r\n", path, port);
	return http(req, (size_t)n, r);
}

static int
get_status(const char *path)
{
	struct resp r;
	int st = get(path, &r);

	resp_free(&r);
	return st;
}

static void
url_encode(struct buf *out, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' &&
		    p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') ||
		    p[i] == '.' || p[i] == '_')
			buf_addc(out, p[i]);
		else if (p[i] == ' ')
			buf_addc(out, '+');
		else
			buf_printf(out, "%%%02X", p[i]);
	}
}

/* POST a form body to path. */
static int
post(const char *path, const void *body, size_t len, struct resp *r)
{
	struct buf req;
	int st;

	buf_init(&req, 64u * 1024 * 1024);
	buf_printf(&req, "POST %s HTTP/1.0\r\nHost: localhost\r\nContent-Type: "
	    "application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n",
	    path, len);
	buf_add(&req, body, len);
	st = http(req.data, req.len, r);
	buf_free(&req);
	return st;
}

/* "keytext=<armored key i>" with optional extra fields around it. */
static void
add_body(struct buf *body, size_t i, const char *before, const char *after)
{
	struct buf armor;

	buf_init(&armor, 16u * 1024 * 1024);
	pgp_armor_encode(ring + koff[i], klen[i], NULL, &armor);
	buf_adds(body, before);
	buf_adds(body, "keytext=");
	url_encode(body, armor.data, armor.len);
	buf_adds(body, after);
	buf_free(&armor);
}

static int
load_keyring(void)
{
	struct pgp_keyring_iter it;
	struct pks_err err;
	const uint8_t *k;
	size_t n = 0;

	ring = tap_read_file(KEYRING, &ringlen);
	if (ring == NULL)
		return 0;
	pgp_keyring_init(&it, ring, ringlen);
	while (n < NKEYS && pgp_keyring_next(&it, &k, &klen[n], &err) ==
	    PKS_OK) {
		koff[n] = (size_t)(k - ring);
		n++;
	}
	return n == NKEYS;
}

/* Name word and e-mail address of a user ID "Name Word <addr>". */
static void
uid_facts(const struct pgp_uid_info *u)
{
	char uid[512];
	char *lt, *gt, *sp;
	size_t n = u->len < sizeof(uid) - 1 ? u->len : sizeof(uid) - 1;

	memcpy(uid, u->text, n);
	uid[n] = '\0';
	lt = strchr(uid, '<');
	gt = lt != NULL ? strchr(lt, '>') : NULL;
	if (lt == NULL || gt == NULL)
		return;
	snprintf(email0, sizeof(email0), "%.*s", (int)(gt - lt - 1), lt + 1);
	*lt = '\0';
	while (lt > uid && lt[-1] == ' ')
		*--lt = '\0';
	sp = strrchr(uid, ' ');
	snprintf(word0, sizeof(word0), "%.63s", sp != NULL ? sp + 1 : uid);
}

static int
key0_facts(void)
{
	struct pgp_key *key = NULL;
	struct pgp_key_info *info = NULL;
	struct pks_err err;

	if (pgp_key_parse(ring + koff[0], klen[0], &key, &err) != PKS_OK ||
	    pgp_key_info(key, NULL, 0, &info) != PKS_OK || info->nsubkeys == 0 ||
	    info->nuids == 0) {
		pgp_key_free(key);
		return 0;
	}
	pgp_hex(info->fpr.fpr, 20, fpr0);
	pgp_hex(info->fpr.keyid, 8, longid0);
	memcpy(shortid0, longid0 + 8, 9);
	pgp_hex(info->subkeys[0].fpr.keyid, 8, subid0);
	uid_facts(&info->uids[0]);
	pgp_key_info_free(info);
	pgp_key_free(key);
	return word0[0] != '\0' && email0[0] != '\0';
}

static char s_host[] = "127.0.0.1", s_hostname[] = "keys.example.org",
    s_nodename[] = "node<1>", s_contact[] = "0x0123456789ABCDEF",
    s_recon[] = "127.0.0.1:11370";

static int
setup(void)
{
	struct store *st = NULL;
	int ok;

	if (fixture_init("hkp") != 0)
		return 0;
	fixture_path(member, sizeof(member), "membership");
	fixture_path(mailsync, sizeof(mailsync), "mailsync");
	if (!fixture_write(member, "# peers\npeer.example 11370 # a <peer>\n"
	    "10.0.0.2\t11380\nlonely\n") ||
	    !fixture_write(mailsync, "pgp-public-keys@peer.example\n# x\n"))
		return 0;
	if ((st = fixture_store(5000)) == NULL)
		return 0;
	ok = ingest_keyring(st, &import_origin, ring, koff[NSTORED - 1] +
	    klen[NSTORED - 1], NULL, NULL, NULL) == PKS_OK;
	store_close(st);
	cfg.http_host = s_host;
	cfg.http_port = 0;
	cfg.dbfile = fixture_db;
	cfg.hostname = s_hostname;
	cfg.nodename = s_nodename;
	cfg.contact = s_contact;
	cfg.http_threads = 4;
	cfg.max_post = 1024u * 1024;
	cfg.max_matches = 3;
	cfg.busy_timeout_ms = 10000;
	cfg.recon_listen = s_recon;
	cfg.membership_file = member;
	cfg.peers_file = mailsync;
	return ok && hkp_server_start(&cfg, NULL, &srv) == PKS_OK;
}

/* The stored bytes of key i, as the store has them. */
static int
stored_key(size_t i, struct store_key *k)
{
	struct store *st = NULL;
	struct pgp_key *key = NULL;
	struct pgp_key_info *info = NULL;
	struct pks_err err;
	int ok = 0;

	memset(k, 0, sizeof(*k));
	if (pgp_key_parse(ring + koff[i], klen[i], &key, &err) == PKS_OK &&
	    pgp_key_info(key, NULL, 0, &info) == PKS_OK &&
	    store_open(fixture_db, 0, 5000, &st) == PKS_OK)
		ok = store_key_find(st, info->fpr.fpr, info->fpr.len, k) ==
		    PKS_OK;
	store_close(st);
	pgp_key_info_free(info);
	pgp_key_free(key);
	return ok;
}

/* The armored body holds exactly the stored bytes of key i. */
static int
armor_is_key(const struct resp *r, size_t i)
{
	struct store_key k;
	struct buf bin, want;
	struct pks_err err;
	size_t off = 0;
	int ok;

	if (!stored_key(i, &k))
		return 0;
	/* What is served: the stored key as pgp_served_bytes() gives it. */
	buf_init(&want, 16u * 1024 * 1024);
	buf_init(&bin, 16u * 1024 * 1024);
	ok = pgp_served_bytes(k.data, k.len, k.checks, k.checks_len,
		 pks_key_limits()->served_certs, &want) == PKS_OK &&
	     pgp_armor_next((const char *)r->body, r->len, &off, &bin,
		 &err) == PKS_OK &&
	     bin.len == want.len && memcmp(bin.data, want.data, want.len) == 0;
	buf_free(&want);
	buf_free(&bin);
	store_key_clear(&k);
	return ok;
}

static void
test_get(void)
{
	static const char *ids[] = { fpr0, longid0, shortid0, subid0 };
	struct resp r;
	char path[256];
	size_t i;

	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/pks/lookup?op=get&options=mr&"
		    "search=0x%s", ids[i]);
		CHECK(get(path, &r) == 200);
		CHECK(strncmp(header(&r, "Content-Type"),
		    "application/pgp-keys", 20) == 0);
		CHECK(strncmp((char *)r.body, "-----BEGIN PGP PUBLIC KEY "
		    "BLOCK-----\n", 37) == 0);
		CHECK(r.len > 40 && strcmp((char *)r.body + r.len - 35,
		    "-----END PGP PUBLIC KEY BLOCK-----\n") == 0);
		CHECK(armor_is_key(&r, 0));
		CHECK(header(&r, "Access-Control-Allow-Origin") != NULL);
		resp_free(&r);
	}
	/* lower case, no options=mr: HTML with the armor in <pre> */
	snprintf(path, sizeof(path), "/pks/lookup?op=get&search=0x%s", fpr0);
	for (i = 0; path[i] != '\0'; i++)
		if (path[i] >= 'A' && path[i] <= 'F')
			path[i] = (char)(path[i] - 'A' + 'a');
	CHECK(get(path, &r) == 200);
	CHECK(strncmp(header(&r, "Content-Type"), "text/html", 9) == 0);
	CHECK(strstr((char *)r.body, "<pre>\n-----BEGIN PGP PUBLIC KEY") !=
	    NULL);
	resp_free(&r);
}

static void
test_index(void)
{
	struct resp r;
	char path[512], want[64];

	snprintf(want, sizeof(want), "\npub:%s:", fpr0);
	snprintf(path, sizeof(path), "/pks/lookup?op=index&options=mr&"
	    "fingerprint=on&search=%s", word0);
	CHECK(get(path, &r) == 200);
	CHECK(strncmp(header(&r, "Content-Type"), "text/plain", 10) == 0);
	CHECK(strncmp((char *)r.body, "info:1:1\n", 9) == 0);
	CHECK(strstr((char *)r.body, want) != NULL);
	CHECK(strstr((char *)r.body, "\nuid:") != NULL);
	CHECK(strchr((char *)r.body, '\r') == NULL);
	resp_free(&r);
	snprintf(path, sizeof(path), "/pks/lookup?op=index&options=mr&"
	    "search=%%3C%s%%3E&exact=on", email0);
	CHECK(get(path, &r) == 200);
	CHECK(strstr((char *)r.body, want) != NULL);
	resp_free(&r);
	snprintf(path, sizeof(path), "/pks/lookup?op=get&options=mr&"
	    "search=%s&exact=on", email0);
	CHECK(get(path, &r) == 200 && armor_is_key(&r, 0));
	resp_free(&r);
	/* HTML index and vindex: escaped, links to op=get */
	snprintf(path, sizeof(path), "/pks/lookup?op=vindex&fingerprint=on&"
	    "search=0x%s", fpr0);
	CHECK(get(path, &r) == 200);
	CHECK(strstr((char *)r.body, "     Key fingerprint = ") != NULL);
	CHECK(strstr((char *)r.body, "[selfsig]") != NULL);
	CHECK(strstr((char *)r.body, "&lt;") != NULL);
	CHECK(strstr((char *)r.body, "\nsub  ") != NULL);
	resp_free(&r);
	snprintf(path, sizeof(path), "/pks/lookup?op=index&search=%s", word0);
	CHECK(get(path, &r) == 200);
	CHECK(strstr((char *)r.body, "pub  ") != NULL);
	CHECK(strstr((char *)r.body, "op=get&amp;search=0x") != NULL);
	resp_free(&r);
	snprintf(path, sizeof(path), "/pks/lookup?op=index&search=%%3Cscript%%3E"
	    "x%s", word0);
	CHECK(get(path, &r) == 404);
	resp_free(&r);
}

static void
test_errors(void)
{
	static const char get_body[] = "GET /pks/lookup?op=stats HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nabcde";
	struct resp r;

	CHECK(get_status("/pks/lookup?op=get&options=mr&search=0x"
	    "0000000000000000000000000000000000000001") == 404);
	CHECK(get_status("/pks/lookup?op=index&options=mr&search="
	    "nosuchnameanywhere") == 404);
	CHECK(get_status("/pks/lookup?op=frobnicate&search=abc") == 501);
	CHECK(get(("/pks/lookup?op=get&search=0x12345"), &r) == 400);
	CHECK(strncmp(header(&r, "Content-Type"), "text/plain", 10) == 0);
	CHECK(strchr((char *)r.body, '\n') == (char *)r.body + r.len - 1);
	resp_free(&r);
	CHECK(get_status("/pks/lookup?op=get") == 400);
	CHECK(get_status("/pks/lookup?op=get&search=0xZZZZ") == 400);
	CHECK(get_status("/pks/lookup?op=index&search=a") == 400);
	CHECK(get_status("/pks/lookup?search=abc") == 400);
	CHECK(get(("/pks/lookup?op=index&options=mr&search=debian"), &r) ==
	    400);
	CHECK(strstr((char *)r.body, "Too many keys") != NULL);
	resp_free(&r);
	CHECK(get_status("/pks/lookup?op=hget&search=0x1234") == 400);
	CHECK(get_status("/pks/lookup?op=hget&search="
	    "00000000000000000000000000000000") == 404);
	CHECK(get_status("/index.html") == 404);
	CHECK(post("/", "a=b", 3, &r) == 405);
	CHECK(header_is(&r, "Allow", "GET, HEAD"));
	resp_free(&r);
	CHECK(get_status("/pks/lookupx?op=get&search=0x12345678") == 404);
	CHECK(get(("/pks/add"), &r) == 405);
	CHECK(header(&r, "Allow") != NULL &&
	    strncmp(header(&r, "Allow"), "POST", 4) == 0);
	resp_free(&r);
	CHECK(post("/pks/lookup", "a=b", 3, &r) == 405);
	resp_free(&r);
	/* a body sent with a GET is ignored */
	CHECK(http(get_body, sizeof(get_body) - 1, &r) == 200);
	resp_free(&r);
}

/* The front page, the stylesheet and the headers of the pages. */
static void
test_pages(void)
{
	struct resp r;
	const char *h;

	CHECK(get("/", &r) == 200);
	CHECK(header_is(&r, "Content-Type", "text/html; charset=utf-8"));
	CHECK(header_is(&r, "Cache-Control", "public, max-age=300"));
	h = header(&r, "Content-Security-Policy");
	CHECK(h != NULL && strstr(h, "default-src 'none'") != NULL);
	CHECK(strstr((char *)r.body, "<title>OpenPGP keyserver "
				     "keys.example.org</title>") != NULL);
	CHECK(strstr((char *)r.body, "<form action=\"/pks/lookup\" "
				     "method=\"get\">") != NULL);
	CHECK(strstr((char *)r.body, "<form action=\"/pks/add\" "
				     "method=\"post\">") != NULL);
	CHECK(strstr((char *)r.body, "name=\"keytext\"") != NULL);
	CHECK(strstr((char *)r.body, "op=vindex&amp;search=0x0123456789ABCDEF") !=
	    NULL);
	CHECK(strstr((char *)r.body, "<script") == NULL);
	resp_free(&r);
	CHECK(get(HKP_STYLE_URL, &r) == 200);
	CHECK(header_is(&r, "Content-Type", "text/css; charset=utf-8"));
	CHECK(header_is(
	    &r, "Cache-Control", "public, max-age=31536000, immutable"));
	CHECK(header(&r, "Content-Security-Policy") == NULL);
	CHECK(strstr((char *)r.body, "max-width") != NULL);
	resp_free(&r);
	CHECK(get("/pks/lookup?op=index&search=0x12345678", &r) == 404);
	CHECK(header_is(&r, "Cache-Control", "no-cache"));
	resp_free(&r);
}

static void
test_too_large(void)
{
	static const char big[] = "POST /pks/add HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: 2000000\r\n\r\nkeytext=";
	static const char chunk_head[] = "POST /pks/add HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
	struct resp r;
	struct buf req;
	size_t i;

	/* refused from the header alone, the body never sent */
	CHECK(http(big, sizeof(big) - 1, &r) == 413);
	resp_free(&r);
	/* a chunked body passing the cap: read, dropped, 413 */
	buf_init(&req, 4u * 1024 * 1024);
	buf_adds(&req, chunk_head);
	for (i = 0; i < 40; i++) {
		buf_printf(&req, "%x\r\n", 32768);
		buf_reserve(&req, 32768, NULL);
		memset(req.data + req.len, 'a', 32768);
		req.len += 32768;
		buf_adds(&req, "\r\n");
	}
	buf_adds(&req, "0\r\n\r\n");
	CHECK(http(req.data, req.len, &r) == 413);
	resp_free(&r);
	buf_free(&req);
	/* hashquery: a count over PKS_MAX_HASHQUERY */
	CHECK(post("/pks/hashquery", "\x7f\xff\xff\xff", 4, &r) == 413);
	resp_free(&r);
}

static void
test_add(void)
{
	struct resp r;
	struct buf body;
	char path[256], hex[41];
	struct store_key k;

	/* gpg's form: keytext only; then with other fields around it */
	buf_init(&body, 16u * 1024 * 1024);
	add_body(&body, NSTORED, "", "");
	CHECK(post("/pks/add", body.data, body.len, &r) == 200);
	CHECK(strncmp(header(&r, "Content-Type"), "text/html", 9) == 0);
	CHECK(strstr((char *)r.body, "<li>new <a href=\"/pks/lookup?op=vindex"
				     "&amp;fingerprint=on&amp;search=0x") != NULL);
	CHECK(strstr((char *)r.body, "<a href=\"/\">") != NULL);
	resp_free(&r);
	/* a browser's failed post: an HTML page with the reason, 400 */
	CHECK(post("/pks/add", "keytext=x", 9, &r) == 400);
	CHECK(strncmp(header(&r, "Content-Type"), "text/html", 9) == 0);
	CHECK(strstr((char *)r.body, "no OpenPGP public key") != NULL);
	resp_free(&r);
	buf_reset(&body);
	add_body(&body, NSTORED, "options=mr&", "&x=1");
	CHECK(post("/pks/add", body.data, body.len, &r) == 200);
	CHECK(strncmp(header(&r, "Content-Type"), "text/plain", 10) == 0);
	CHECK(strncmp((char *)r.body, "unchanged 0x", 12) == 0);
	resp_free(&r);
	/* a good key and garbage: the good one is stored */
	buf_reset(&body);
	add_body(&body, NSTORED + 1, "options=mr&keytext=-----BEGIN+PGP+"
	    "PUBLIC+KEY+BLOCK-----%0A%0A!!!!%0A-----END+PGP+PUBLIC+KEY+"
	    "BLOCK-----%0A&", "");
	CHECK(post("/pks/add", body.data, body.len, &r) == 200);
	CHECK(strstr((char *)r.body, "refused") != NULL);
	CHECK(strstr((char *)r.body, "new 0x") != NULL);
	resp_free(&r);
	CHECK(stored_key(NSTORED + 1, &k));
	store_key_clear(&k);
	CHECK(stored_key(NSTORED, &k));
	if (k.data != NULL) {
		pgp_hex(k.hash, 16, hex);
		snprintf(path, sizeof(path), "/pks/lookup?op=hget&options=mr&"
		    "search=%s", hex);
		CHECK(get(path, &r) == 200 && armor_is_key(&r, NSTORED));
		resp_free(&r);
	}
	store_key_clear(&k);
	CHECK(post("/pks/add", "options=mr", 10, &r) == 400);
	resp_free(&r);
	CHECK(post("/pks/add", "keytext=hello", 13, &r) == 400);
	resp_free(&r);
	CHECK(post("/pks/add", "keytext=%zz", 11, &r) == 400);
	resp_free(&r);
	buf_free(&body);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
test_hashquery(void)
{
	struct store_key k0, k1;
	uint8_t req[512], body[4 + 4 * 20];
	struct resp r;
	size_t off, n;
	int found0 = 0, found1 = 0;
	uint32_t i, len;

	CHECK(stored_key(0, &k0) && stored_key(1, &k1));
	put32(body, 4);
	put32(body + 4, 16);
	memcpy(body + 8, k1.hash, 16);
	put32(body + 24, 16);
	memset(body + 28, 0x5a, 16);
	put32(body + 44, 16);
	memcpy(body + 48, k0.hash, 16);
	put32(body + 64, 16);
	memcpy(body + 68, k1.hash, 16);
	/* exactly what SKS sends: HTTP/1.0, no Host, lower-case header */
	n = (size_t)snprintf((char *)req, sizeof(req), "POST /pks/hashquery "
	    "HTTP/1.0\r\ncontent-length: %zu\r\n\r\n", sizeof(body));
	memcpy(req + n, body, sizeof(body));
	CHECK(http(req, n + sizeof(body), &r) == 200);
	CHECK(strcmp(header(&r, "Content-Type"), "pgp/keys\r\n") == 0 ||
	    strncmp(header(&r, "Content-Type"), "pgp/keys", 8) == 0);
	CHECK(r.len >= 6 && get32(r.body) == 2);
	CHECK(r.len >= 2 && memcmp(r.body + r.len - 2, "\r\n", 2) == 0);
	off = 4;
	for (i = 0; r.len >= 6 && i < get32(r.body) && off + 4 <= r.len; i++) {
		len = get32(r.body + off);
		off += 4;
		if (len > r.len - off)
			break;
		found0 |= len == k0.len && memcmp(r.body + off, k0.data,
		    len) == 0;
		found1 |= len == k1.len && memcmp(r.body + off, k1.data,
		    len) == 0;
		off += len;
	}
	CHECK(found0 && found1 && off + 2 == r.len);
	resp_free(&r);
	/* short and malformed bodies */
	CHECK(post("/pks/hashquery", body, 30, &r) == 400);
	resp_free(&r);
	CHECK(post("/pks/hashquery", "", 0, &r) == 400);
	resp_free(&r);
	put32(body + 4, 17);
	CHECK(post("/pks/hashquery", body, sizeof(body), &r) == 400);
	resp_free(&r);
	store_key_clear(&k0);
	store_key_clear(&k1);
}

static void
test_stats(void)
{
	struct resp r;
	char want[64];

	CHECK(get("/pks/lookup?op=stats", &r) == 200);
	CHECK(strstr((char *)r.body, "<h2>Settings</h2>") != NULL);
	CHECK(strstr((char *)r.body, "<tr><td>Hostname:</td><td>"
	    "keys.example.org</td></tr>") != NULL);
	CHECK(strstr((char *)r.body, "<tr><td>Nodename:</td><td>"
	    "node&lt;1&gt;</td></tr>") != NULL);
	snprintf(want, sizeof(want), "<tr><td>HTTP port:</td><td>%u</td>",
	    port);
	CHECK(strstr((char *)r.body, want) != NULL);
	CHECK(strstr((char *)r.body, "<tr><td>Recon port:</td><td>11370</td>")
	    != NULL);
	CHECK(strstr((char *)r.body, "<tr><td>Software:</td><td>pksync</td>")
	    != NULL);
	CHECK(strstr((char *)r.body, "<h2>Gossip Peers</h2>\n<table") != NULL);
	CHECK(strstr((char *)r.body, "<tr><td>peer.example 11370</td></tr>\n"
	    "<tr><td>10.0.0.2 11380</td></tr>\n</table>") != NULL);
	CHECK(strstr((char *)r.body, "<tr><td>pgp-public-keys@peer.example"
	    "</td></tr>") != NULL);
	CHECK(strstr((char *)r.body, "<h2>Statistics</h2><p>Total number of "
	    "keys: ") != NULL);
	CHECK(strstr((char *)r.body, "<td>New Keys</td>") != NULL);
	resp_free(&r);
	CHECK(get("/pks/lookup?op=stats&options=mr", &r) == 200);
	CHECK(strncmp(header(&r, "Content-Type"), "application/json", 16) ==
	    0);
	CHECK(strstr((char *)r.body, "\"software\":\"pksync\"") != NULL);
	CHECK(strstr((char *)r.body, "\"nodename\":\"node<1>\"") != NULL);
	CHECK(strstr((char *)r.body, "\"peers\":[\"peer.example 11370\","
	    "\"10.0.0.2 11380\"]") != NULL);
	CHECK(strstr((char *)r.body, "\"reconPort\":11370") != NULL);
	resp_free(&r);
}

/* Two HTTP/1.1 requests on one connection. */
static void
test_keepalive(void)
{
	char req[512];
	struct resp r;
	int fd, i, n;

	fd = dial();
	CHECK(fd != -1);
	if (fd == -1)
		return;
	n = snprintf(req, sizeof(req), "GET /pks/lookup?op=get&options=mr&"
	    "search=0x%s HTTP/1.1\r\nHost: x\r\n\r\n", longid0);
	for (i = 0; i < 3; i++) {
		CHECK(send_all(fd, req, (size_t)n) == 0);
		CHECK(read_resp(fd, &r) == 200 && armor_is_key(&r, 0));
		resp_free(&r);
	}
	close(fd);
}

/* The concurrent part: expected bytes of the stored keys. */
static struct store_key expect[NSTORED];
static char expect_fpr[NSTORED][41];

static int
key_fpr(size_t i, char hex[41])
{
	struct pgp_key *key = NULL;
	struct pgp_key_info *info = NULL;
	struct pks_err err;
	int ok;

	ok = pgp_key_parse(ring + koff[i], klen[i], &key, &err) == PKS_OK &&
	    pgp_key_info(key, NULL, 0, &info) == PKS_OK && info->fpr.len == 20;
	if (ok)
		pgp_hex(info->fpr.fpr, 20, hex);
	pgp_key_info_free(info);
	pgp_key_free(key);
	return ok;
}

struct client {
	int id;
	int ok;
	int bad;
};

static int
armor_equals(const struct resp *r, const struct store_key *k)
{
	struct buf bin;
	struct pks_err err;
	size_t off = 0;
	int ok;

	buf_init(&bin, 16u * 1024 * 1024);
	ok = pgp_armor_next((const char *)r->body, r->len, &off, &bin,
	    &err) == PKS_OK && bin.len == k->len &&
	    memcmp(bin.data, k->data, k->len) == 0;
	buf_free(&bin);
	return ok;
}

static void *
client_run(void *arg)
{
	struct client *c = arg;
	char req[512];
	struct resp r;
	int fd = -1, i, n, j;

	for (i = 0; i < NGETS; i++) {
		j = (c->id + i) % NSTORED;
		if (fd == -1 && (fd = dial()) == -1) {
			c->bad++;
			continue;
		}
		n = snprintf(req, sizeof(req), "GET /pks/lookup?op=get&"
		    "options=mr&search=0x%s HTTP/1.1\r\nHost: x\r\n\r\n",
		    expect_fpr[j]);
		if (send_all(fd, req, (size_t)n) == 0 &&
		    read_resp(fd, &r) == 200 && armor_equals(&r, &expect[j]))
			c->ok++;
		else
			c->bad++;
		resp_free(&r);
		if (i % 5 == 4) {        /* some new connections too */
			close(fd);
			fd = -1;
		}
	}
	if (fd != -1)
		close(fd);
	return NULL;
}

static void *
adder_run(void *arg)
{
	int *ok = arg;
	struct buf body;
	struct resp r;
	size_t i;

	buf_init(&body, 16u * 1024 * 1024);
	for (i = NSTORED + 2; i < NKEYS; i++) {
		buf_reset(&body);
		add_body(&body, i, "", "&options=mr");
		if (post("/pks/add", body.data, body.len, &r) == 200 &&
		    strstr((char *)r.body, "new 0x") != NULL)
			(*ok)++;
		resp_free(&r);
	}
	buf_free(&body);
	return NULL;
}

/* Turn a stored key into what op=get serves of it. */
static void
to_served(struct store_key *k)
{
	struct buf b;
	size_t n;

	buf_init(&b, 16u * 1024 * 1024);
	CHECK(pgp_served_bytes(k->data, k->len, k->checks, k->checks_len,
	    pks_key_limits()->served_certs, &b) == PKS_OK);
	free(k->data);
	k->data = buf_steal(&b, &n);
	k->len = n;
	buf_free(&b);
}

static void
test_concurrent(void)
{
	pthread_t th[NCLIENTS], adder;
	struct client c[NCLIENTS];
	int i, added = 0, ok = 0, bad = 0;

	for (i = 0; i < NSTORED; i++) {
		CHECK(stored_key((size_t)i, &expect[i]));
		to_served(&expect[i]);
		CHECK(key_fpr((size_t)i, expect_fpr[i]));
	}
	CHECK(pthread_create(&adder, NULL, adder_run, &added) == 0);
	for (i = 0; i < NCLIENTS; i++) {
		c[i].id = i;
		c[i].ok = c[i].bad = 0;
		CHECK(pthread_create(&th[i], NULL, client_run, &c[i]) == 0);
	}
	for (i = 0; i < NCLIENTS; i++) {
		pthread_join(th[i], NULL);
		ok += c[i].ok;
		bad += c[i].bad;
	}
	pthread_join(adder, NULL);
	CHECK(ok == NCLIENTS * NGETS && bad == 0);
	CHECK(added == NKEYS - NSTORED - 2);
	if (bad != 0 || added != NKEYS - NSTORED - 2)
		printf("# concurrent: %d ok, %d bad, %d added\n", ok, bad,
		    added);
	for (i = 0; i < NSTORED; i++)
		store_key_clear(&expect[i]);
}

static void
cleanup(void)
{
	hkp_server_stop(srv);
	fixture_done();
}

int
main(void)
{
	log_init("test_hkp_server", LOG_LVL_WARN);
	if (!load_keyring()) {
		printf("1..0 # SKIP %s not installed\n", KEYRING);
		return 0;
	}
	if (!key0_facts() || !setup()) {
		printf("Bail out! cannot set up the server\n");
		return 99;
	}
	port = hkp_server_port(srv);
	RUN(test_get);
	RUN(test_index);
	RUN(test_errors);
	RUN(test_pages);
	RUN(test_too_large);
	RUN(test_add);
	RUN(test_hashquery);
	RUN(test_stats);
	RUN(test_keepalive);
	RUN(test_concurrent);
	cleanup();
	free(ring);
	return tap_done();
}
