/*
 * test_network.c: the network crawler's pure parts: the HTTP answer
 * parser and address checks (net/http_client.h), the JSON reader, the
 * stats page parsers on a real SKS 1.1.6 page and on pksync and
 * Hockeypuck layouts (the seed pages of the network_stats fuzz corpus,
 * tests/fuzz/corpus/network_stats/, which the suite also replays), URLs,
 * fingerprints, the renderers' escaping, and the cache of /pks/trace.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http_client.h"
#include "network/network.h"
#include "network/network_json.h"
#include "network/network_stats.h"
#include "network/network_watch.h"
#include "tap.h"

static int
has_peer(const struct network_stats *s, const char *url, enum network_kind k)
{
	size_t i;

	for (i = 0; i < s->npeers; i++)
		if (strcmp(s->peers[i].url, url) == 0 && s->peers[i].kind == k)
			return 1;
	return 0;
}

static int
parse_file(const char *name, const char *server, struct network_stats *s)
{
	char rel[128];
	uint8_t *data;
	size_t len = 0;
	enum pks_rc rc;

	snprintf(rel, sizeof(rel), "tests/fuzz/corpus/network_stats/%s", name);
	data = tap_read_file(tap_srcpath(rel), &len);
	if (data == NULL)
		return -1;
	rc = network_stats_parse(data, len, server, s);
	free(data);
	return rc == PKS_OK ? 0 : -1;
}

static void
test_sks_html(void)
{
	struct network_stats s;

	CHECK(parse_file("sks-stats.html", "sks_www/1.1.6+", &s) == 0);
	CHECK(strcmp(s.software, "SKS") == 0);
	CHECK(strcmp(s.version, "1.1.6+") == 0);
	CHECK(s.keys == 1);
	CHECK(s.npeers == 3);
	/* recon port + 1; a name stays a name; the nesting trap */
	CHECK(has_peer(&s, "http://127.0.0.1:24381", NETWORK_RECON));
	CHECK(has_peer(&s, "http://keys.example.org:11371", NETWORK_RECON));
	CHECK(
	    has_peer(&s, "mailto:pgp-public-keys@peer.example", NETWORK_MAIL));
	network_stats_free(&s);
	/* the word SKS in the title is enough without the Server header */
	CHECK(parse_file("sks-stats.html", "", &s) == 0);
	CHECK(strcmp(s.software, "SKS") == 0);
	network_stats_free(&s);
}

static void
test_pksync_json(void)
{
	struct network_stats s;

	CHECK(parse_file("pksync-stats.json", "", &s) == 0);
	CHECK(strcmp(s.software, "pksync") == 0);
	CHECK(strcmp(s.version, "0.1.0") == 0);
	CHECK(s.keys == 42);
	/* "bad host 1" and port 99999 are left out */
	CHECK(s.npeers == 3);
	CHECK(has_peer(&s, "http://127.0.0.1:23381", NETWORK_RECON));
	CHECK(has_peer(&s, "http://keys.example.org:11371", NETWORK_RECON));
	CHECK(has_peer(&s, "mailto:pgp-public-keys@c.test", NETWORK_MAIL));
	network_stats_free(&s);
	/* the newer layout: reconPeers' hkpUrl and mailPeers win */
	CHECK(parse_file("pksync-stats-new.json", "", &s) == 0);
	CHECK(s.keys == 5);
	CHECK(s.npeers == 2);
	CHECK(has_peer(&s, "http://b.test:8080", NETWORK_RECON));
	CHECK(has_peer(&s, "mailto:pgp-public-keys@d.test", NETWORK_MAIL));
	network_stats_free(&s);
}

static void
test_hockeypuck_json(void)
{
	struct network_stats s;

	CHECK(parse_file("hockeypuck-stats.json", "", &s) == 0);
	CHECK(strcmp(s.software, "Hockeypuck") == 0);
	CHECK(strcmp(s.version, "2.2.4") == 0);
	CHECK(s.keys == 6543210); /* Total, numkeys is 0 */
	CHECK(s.npeers == 3);     /* the masked peer is left out */
	CHECK(has_peer(&s, "http://sks.example.org:11371", NETWORK_RECON));
	CHECK(has_peer(&s, "http://[2001:db8::7]:11381", NETWORK_RECON));
	CHECK(has_peer(
	    &s, "mailto:pgp-public-keys@pks.example.com", NETWORK_MAIL));
	network_stats_free(&s);
}

static void
test_stats_hostile(void)
{
	static const char *bad[] = { "", "not a page", "{\"peers\":[1,2",
		"<html><h2>Gossip Peers</h2><table><tr><td>evil\"host 1",
		"{\"peers\":[\"a/b 11370\",\"h 0\",\"h 65535\"]}" };
	struct network_stats s;
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		network_stats_parse(
		    (const uint8_t *)bad[i], strlen(bad[i]), "", &s);
		CHECK(s.npeers == 0);
		network_stats_free(&s);
	}
	/* more peers than a page may give */
	buf_init(&b, 1u << 24);
	CHECK(buf_adds(&b, "{\"peers\":[\"h 1\"") == PKS_OK);
	for (i = 2; i < 5000; i++)
		CHECK(buf_printf(&b, ",\"h%zu 1\"", i) == PKS_OK);
	CHECK(buf_adds(&b, "]}") == PKS_OK);
	CHECK(network_stats_parse(b.data, b.len, "", &s) == PKS_OK);
	CHECK(s.npeers == NETWORK_MAX_PAGE_PEERS);
	network_stats_free(&s);
	buf_free(&b);
}

static void
test_json(void)
{
	struct pks_err err = { 0, NULL };
	struct json_val *v = NULL;
	const char *deep = "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]";
	const char *s = "{\"a\":\"x\\u00e9\\n\",\"b\":[true,null,-1.5e2]}";

	CHECK(json_parse((const uint8_t *)s, strlen(s), &v, &err) == PKS_OK);
	CHECK(strcmp(json_get_str(v, "a"), "x\xc3\xa9\n") == 0);
	CHECK(json_get(v, "b")->child->type == JSON_BOOL);
	CHECK(json_get(v, "b")->child->next->next->num == -150);
	json_free(v);
	CHECK(json_parse((const uint8_t *)deep, strlen(deep), &v, &err) ==
	      PKS_ERR_TOOBIG);
	CHECK(v == NULL);
	CHECK(json_parse((const uint8_t *)"{\"a\":1} x", 9, &v, &err) ==
	      PKS_ERR_PARSE);
	CHECK(
	    json_parse((const uint8_t *)"\"\\u0000\"", 8, &v, &err) == PKS_OK);
	CHECK(strcmp(v->str, "\xef\xbf\xbd") == 0);
	json_free(v);
}

static void
test_http_reply(void)
{
	static const char chunked[] =
	    "HTTP/1.1 200 OK\r\nServer: nginx\r\ntransfer-encoding: chunked"
	    "\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
	static const char cl[] = "HTTP/1.0 404 Not Found\nContent-Length: 2"
				 "\n\nnoXXXX";
	struct http_reply r;

	CHECK(http_reply_parse((const uint8_t *)chunked, strlen(chunked), 100,
		  &r) == PKS_OK);
	CHECK(r.status == 200 && strcmp(r.server, "nginx") == 0);
	CHECK(r.body.len == 5 && memcmp(r.body.data, "abcde", 5) == 0);
	http_reply_free(&r);
	CHECK(http_reply_parse((const uint8_t *)cl, strlen(cl), 100, &r) ==
	      PKS_OK);
	CHECK(r.status == 404 && r.body.len == 2);
	http_reply_free(&r);
	/* the body cap */
	CHECK(http_reply_parse((const uint8_t *)chunked, strlen(chunked), 4,
		  &r) == PKS_ERR_TOOBIG);
	http_reply_free(&r);
	CHECK(http_reply_parse((const uint8_t *)"HTTP/1.0 2", 10, 100, &r) ==
	      PKS_ERR_PARSE);
	http_reply_free(&r);
	CHECK(http_reply_parse((const uint8_t *)"SSH-2.0-x\r\n\r\n", 13, 100,
		  &r) == PKS_ERR_PARSE);
	http_reply_free(&r);
}

static int
private4(const char *ip)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	inet_pton(AF_INET, ip, &a.sin_addr);
	return http_addr_private((struct sockaddr *)&a);
}

static int
private6(const char *ip)
{
	struct sockaddr_in6 a;

	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	inet_pton(AF_INET6, ip, &a.sin6_addr);
	return http_addr_private((struct sockaddr *)&a);
}

static void
test_private(void)
{
	struct sockaddr_storage ss;
	socklen_t len;

	CHECK(private4("127.0.0.1") && private4("10.1.2.3") &&
	      private4("172.31.0.1") && private4("192.168.1.1") &&
	      private4("169.254.169.254") && private4("0.0.0.0") &&
	      private4("100.64.0.1") && private4("224.0.0.1") &&
	      private4("255.255.255.255"));
	CHECK(!private4("8.8.8.8") && !private4("172.32.0.1") &&
	      !private4("193.0.0.1"));
	CHECK(private6("::1") && private6("::") && private6("fe80::1") &&
	      private6("fd00::1") && private6("::ffff:127.0.0.1") &&
	      private6("ff02::1"));
	CHECK(!private6("2001:db8::1") && !private6("::ffff:8.8.8.8"));
	/* resolving refuses what it checked, with the address kept */
	CHECK(http_resolve("127.0.0.1", 80, 0, &ss, &len) == PKS_ERR_REFUSED);
	CHECK(http_resolve("[::1]", 80, 0, &ss, &len) == PKS_ERR_REFUSED);
	CHECK(http_resolve("127.0.0.1", 80, 1, &ss, &len) == PKS_OK);
	CHECK(ntohs(((struct sockaddr_in *)&ss)->sin_port) == 80);
}

static void
test_urls(void)
{
	char host[256], hex[65];
	uint8_t bin[32];
	uint16_t port;
	size_t len;
	char *u;

	CHECK(network_url_parse("http://Keys.Example.org", host, sizeof(host),
		  &port) == PKS_OK);
	CHECK(strcmp(host, "Keys.Example.org") == 0 && port == 11371);
	CHECK(network_url_parse("hkp://[::1]:80/", host, sizeof(host), &port) ==
	      PKS_OK);
	CHECK(strcmp(host, "::1") == 0 && port == 80);
	CHECK(network_url_parse("https://a", host, sizeof(host), &port) ==
	      PKS_ERR_UNSUPPORTED);
	CHECK(network_url_parse("http://a/b", host, sizeof(host), &port) ==
	      PKS_ERR_PARSE);
	CHECK(network_url_parse("http://a b:1", host, sizeof(host), &port) ==
	      PKS_ERR_PARSE);
	CHECK(network_url_parse("http://a:70000", host, sizeof(host), &port) ==
	      PKS_ERR_PARSE);
	CHECK(network_url_parse("ftp://a", host, sizeof(host), &port) ==
	      PKS_ERR_PARSE);
	u = network_url_make("A.B", 1);
	CHECK(strcmp(u, "http://a.b:1") == 0);
	free(u);
	u = network_url_make("::1", 2);
	CHECK(strcmp(u, "http://[::1]:2") == 0);
	free(u);
	CHECK(network_fpr_parse("0xabcdef0123456789abcdef0123456789abcdef01",
		  hex, bin, &len) == PKS_OK);
	CHECK(len == 20 && bin[0] == 0xab &&
	      strcmp(hex, "ABCDEF0123456789ABCDEF0123456789ABCDEF01") == 0);
	CHECK(network_fpr_parse("0x1234", hex, bin, &len) == PKS_ERR_PARSE);
	CHECK(network_fpr_parse("zz", hex, bin, &len) == PKS_ERR_PARSE);
}

static void
test_render(void)
{
	struct network_node nodes[2];
	struct network_link link = { 0, 1, NETWORK_MAIL };
	struct network_map m;
	struct buf b;
	char u0[] = "http://a:1", u1[] = "mailto:b@c";

	memset(&m, 0, sizeof(m));
	memset(nodes, 0, sizeof(nodes));
	nodes[0].url = u0;
	snprintf(
	    nodes[0].software, sizeof(nodes[0].software), "<script>\"x\x01");
	nodes[0].keys = 3;
	nodes[0].reachable = 1;
	nodes[0].state = NETWORK_CURRENT;
	nodes[1].url = u1;
	nodes[1].keys = -1;
	nodes[1].state = NETWORK_UNREACHABLE;
	m.nodes = nodes;
	m.n = 2;
	m.links = &link;
	m.nlinks = 1;
	snprintf(m.fpr, sizeof(m.fpr), "AB");
	buf_init(&b, 1u << 20);
	CHECK(network_render_svg(&m, &b) == PKS_OK);
	CHECK(strstr((char *)b.data, "<script") == NULL);
	CHECK(strstr((char *)b.data, "&lt;script&gt;&quot;x\xef\xbf\xbd") !=
	    NULL);
	CHECK(strstr((char *)b.data, "class=\"mail\"") != NULL);
	buf_reset(&b);
	CHECK(network_render_json(&m, &b) == PKS_OK);
	CHECK(
	    strstr((char *)b.data, "\"software\":\"<script>\\\"x?\"") != NULL);
	CHECK(strstr((char *)b.data, "\"state\":\"unreachable\"") != NULL);
	CHECK(strstr((char *)b.data, "\"kind\":\"mail\"") != NULL);
	buf_reset(&b);
	CHECK(network_render_dot(&m, &b) == PKS_OK);
	CHECK(strstr((char *)b.data, "n0 -> n1 [label=\"mail\"") != NULL);
	buf_free(&b);
}

/* A crawl and its cache, with a start URL nothing listens on (port 1
 * of loopback refuses at once). */
static void
test_watch(void)
{
	static const char *seeds[] = { "http://127.0.0.1:1" };
	static const uint8_t h1[16] = { 1 }, h2[16] = { 2 };
	struct network_opts o;
	struct network_watch *w;
	struct network_map *m1 = NULL, *m2 = NULL;
	const char *f1 = "0123456789ABCDEF0123456789ABCDEF01234567";
	const char *f2 = "89ABCDEF0123456789ABCDEF0123456789ABCDEF";

	network_opts_default(&o);
	o.timeout_ms = 2000;
	w = network_watch_new(&o, seeds, 1, 3600, 0, 1);
	CHECK(network_watch_trace(w, f1, h1, &m1) == PKS_OK);
	CHECK(m1 != NULL && m1->n == 1 && !m1->nodes[0].reachable);
	CHECK(m1 != NULL && m1->nodes[0].state == NETWORK_UNREACHABLE);
	CHECK(m1 != NULL && strcmp(m1->fpr, f1) == 0);
	/* within min_interval: the cached copy, not a new crawl */
	CHECK(network_watch_trace(w, f1, h1, &m2) == PKS_OK);
	CHECK(m2 != NULL && m1 != NULL && m2 != m1 && m2->taken == m1->taken);
	network_map_free(m2);
	/* another key: traced (the map is reused), the first one dropped
	 * (max_keys 1) */
	CHECK(network_watch_trace(w, f2, h2, &m2) == PKS_OK);
	CHECK(m2 != NULL && strcmp(m2->fpr, f2) == 0);
	network_map_free(m2);
	network_map_free(m1);
	network_watch_free(w);
	/* trace_gap: a second key right after the first waits its turn */
	w = network_watch_new(&o, seeds, 1, 3600, 3600, 4);
	CHECK(network_watch_trace(w, f1, h1, &m1) == PKS_OK);
	m2 = NULL;
	CHECK(network_watch_trace(w, f2, h2, &m2) == PKS_ERR_BUSY);
	CHECK(m2 == NULL);
	network_map_free(m1);
	network_watch_free(w);
}

int
main(void)
{
	RUN(test_sks_html);
	RUN(test_pksync_json);
	RUN(test_hockeypuck_json);
	RUN(test_stats_hostile);
	RUN(test_json);
	RUN(test_http_reply);
	RUN(test_private);
	RUN(test_urls);
	RUN(test_render);
	RUN(test_watch);
	return tap_done();
}
