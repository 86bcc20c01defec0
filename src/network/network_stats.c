/*
 * network_stats.c: stats page parsers (network_stats.h) and HKP base
 * URLs.  Outside bytes only: every host is checked to be a plain name
 * or address before it becomes a URL, every list is capped.
 */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "network/network_json.h"
#include "network/network_stats.h"
#include "util/xalloc.h"

/* Bytes of a host name (DNS: 253). */
#define HOST_MAX 253

/* A host is letters, digits, '.', '-', '_' or an IPv6 literal. */
static int
host_ok(const char *h, size_t n)
{
	size_t i;
	int colon = 0;

	if (n == 0 || n > HOST_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (h[i] == ':')
			colon = 1;
		else if (!isalnum((unsigned char)h[i]) && h[i] != '.' &&
			 h[i] != '-' && h[i] != '_')
			return 0;
	}
	return !colon || strspn(h, "0123456789abcdefABCDEF:.") == n;
}

static int
port_parse(const char *s, size_t n, uint16_t *port)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* "host:port", "[v6]:port" or "host" (port def) at s[0..n). */
static enum pks_rc
hostport(const char *s, size_t n, char *host, size_t size, uint16_t *port,
    uint16_t def)
{
	const char *colon, *h = s;
	size_t hn;

	if (n > 0 && s[0] == '[') {
		colon = memchr(s, ']', n);
		if (colon == NULL)
			return PKS_ERR_PARSE;
		h = s + 1;
		hn = (size_t)(colon - h);
		colon++;
		if (colon < s + n && *colon != ':')
			return PKS_ERR_PARSE;
	} else {
		colon = memchr(s, ':', n);
		hn = colon != NULL ? (size_t)(colon - s) : n;
		if (colon != NULL && memchr(colon + 1, ':', n - hn - 1))
			return PKS_ERR_PARSE;
	}
	if (!host_ok(h, hn) || hn >= size)
		return PKS_ERR_PARSE;
	memcpy(host, h, hn);
	host[hn] = '\0';
	*port = def;
	if (colon != NULL && colon < s + n &&
	    port_parse(colon + 1, n - (size_t)(colon + 1 - s), port) != 0)
		return PKS_ERR_PARSE;
	return PKS_OK;
}

enum pks_rc
network_url_parse(const char *url, char *host, size_t size, uint16_t *port)
{
	size_t n;

	if (strncasecmp(url, "https://", 8) == 0 ||
	    strncasecmp(url, "hkps://", 7) == 0)
		return PKS_ERR_UNSUPPORTED;
	if (strncasecmp(url, "http://", 7) == 0)
		url += 7;
	else if (strncasecmp(url, "hkp://", 6) == 0)
		url += 6;
	else
		return PKS_ERR_PARSE;
	n = strcspn(url, "/");
	if (url[n] == '/' && url[n + 1] != '\0')
		return PKS_ERR_PARSE; /* a base URL has no path */
	return hostport(url, n, host, size, port, 11371);
}

char *
network_url_make(const char *host, uint16_t port)
{
	char *u, *p;

	u = xasprintf(
	    strchr(host, ':') != NULL ? "http://[%s]:%u" : "http://%s:%u", host,
	    (unsigned)port);
	for (p = u; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return u;
}

static void
add_peer_url(struct network_stats *s, char *url, enum network_kind kind)
{
	if (url == NULL)
		return;
	if (s->npeers >= NETWORK_MAX_PAGE_PEERS) {
		free(url);
		return;
	}
	s->peers = xreallocarray(s->peers, s->npeers + 1, sizeof(*s->peers));
	s->peers[s->npeers].url = url;
	s->peers[s->npeers].kind = kind;
	s->npeers++;
}

/* "host port" (a recon peer; HKP on port + 1). */
static void
add_recon_words(struct network_stats *s, const char *text)
{
	char host[HOST_MAX + 1];
	size_t hn = strcspn(text, " \t");
	const char *ps = text + hn;
	uint16_t port;

	while (*ps == ' ' || *ps == '\t')
		ps++;
	if (hn == 0 || hn > HOST_MAX || !host_ok(text, hn) ||
	    port_parse(ps, strcspn(ps, " \t\r\n"), &port) != 0 || port == 65535)
		return;
	memcpy(host, text, hn);
	host[hn] = '\0';
	add_peer_url(
	    s, network_url_make(host, (uint16_t)(port + 1)), NETWORK_RECON);
}

/* An e-mail address: printable ASCII with one '@', no spaces. */
static void
add_mail(struct network_stats *s, const char *addr, size_t n)
{
	size_t i;
	const char *at;

	if (n == 0 || n > 254 || (at = memchr(addr, '@', n)) == NULL ||
	    at == addr || at == addr + n - 1)
		return;
	for (i = 0; i < n; i++)
		if (addr[i] <= ' ' || addr[i] >= 0x7f || addr[i] == '<' ||
		    addr[i] == '>' || addr[i] == '"')
			return;
	add_peer_url(s, xasprintf("mailto:%.*s", (int)n, addr), NETWORK_MAIL);
}

static void
copy_str(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < size; i++)
		dst[i] = (unsigned char)src[i] < 0x20 ? '?' : src[i];
	dst[i] = '\0';
}

/* Hockeypuck's "host:port" (or ":port", masked "h****t": skipped). */
static void
add_hostport(struct network_stats *s, const char *hp, const char *recon)
{
	char host[HOST_MAX + 1];
	uint16_t port;

	if (hp != NULL && hp[0] != ':' &&
	    hostport(hp, strlen(hp), host, sizeof(host), &port, 11371) ==
		PKS_OK) {
		add_peer_url(s, network_url_make(host, port), NETWORK_RECON);
		return;
	}
	if (recon != NULL && recon[0] != ':' &&
	    hostport(recon, strlen(recon), host, sizeof(host), &port, 11370) ==
		PKS_OK &&
	    port < 65535)
		add_peer_url(s, network_url_make(host, (uint16_t)(port + 1)),
		    NETWORK_RECON);
}

static void
json_recon_peers(struct network_stats *s, const struct json_val *root)
{
	const struct json_val *l, *v;
	char host[HOST_MAX + 1];
	const char *u;
	uint16_t port;

	if ((l = json_get(root, "reconPeers")) != NULL && l->type == JSON_ARR) {
		for (v = l->child; v != NULL; v = v->next)
			if ((u = json_get_str(v, "hkpUrl")) != NULL &&
			    network_url_parse(u, host, sizeof(host), &port) ==
				PKS_OK)
				add_peer_url(s, network_url_make(host, port),
				    NETWORK_RECON);
		return;
	}
	if ((l = json_get(root, "peers")) == NULL || l->type != JSON_ARR)
		return;
	for (v = l->child; v != NULL; v = v->next) {
		if (v->type == JSON_STR)
			add_recon_words(s, v->str);
		else if (v->type == JSON_OBJ &&
			 !(json_get(v, "masked") && json_get(v, "masked")->num))
			add_hostport(s, json_get_str(v, "httpAddr"),
			    json_get_str(v, "reconAddr"));
	}
}

static void
json_mail_list(
    struct network_stats *s, const struct json_val *l, const char *field)
{
	const struct json_val *v;
	const char *a;

	if (l == NULL || l->type != JSON_ARR)
		return;
	for (v = l->child; v != NULL; v = v->next) {
		a = v->type == JSON_STR ? v->str : json_get_str(v, field);
		if (a != NULL)
			add_mail(s, a, strlen(a));
	}
}

static void
json_keys(struct network_stats *s, const struct json_val *root)
{
	static const char *names[] = { "total", "Total", "numkeys" };
	const struct json_val *v;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		v = json_get(root, names[i]);
		if (v != NULL && v->type == JSON_NUM && v->num >= 0 &&
		    v->num < 9e15 && (s->keys < 0 || v->num > 0))
			s->keys = (int64_t)v->num;
	}
}

static enum pks_rc
parse_json(const uint8_t *p, size_t len, struct network_stats *s)
{
	struct json_val *root = NULL;
	struct pks_err err = { 0, NULL };
	enum pks_rc rc;

	if ((rc = json_parse(p, len, &root, &err)) != PKS_OK)
		return rc;
	if (root->type != JSON_OBJ) {
		json_free(root);
		return PKS_ERR_PARSE;
	}
	copy_str(
	    s->software, sizeof(s->software), json_get_str(root, "software"));
	copy_str(s->version, sizeof(s->version), json_get_str(root, "version"));
	json_keys(s, root);
	json_recon_peers(s, root);
	if (json_get(root, "mailPeers") != NULL)
		json_mail_list(s, json_get(root, "mailPeers"), "address");
	else
		json_mail_list(s, json_get(root, "mailsyncPeers"), "address");
	json_mail_list(s, json_get(root, "pksTargets"), "Addr");
	json_free(root);
	return PKS_OK;
}

/* Case-insensitive search for needle in h[0..n). */
static const char *
find(const char *h, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; k <= n && i <= n - k; i++)
		if (strncasecmp(h + i, needle, k) == 0)
			return h + i;
	return NULL;
}

/* The text of the cell after the one holding name ("Version:"). */
static void
html_setting(const char *h, size_t n, const char *name, char *out, size_t size)
{
	const char *p = find(h, n, name), *end = h + n, *q;
	size_t k = 0;

	out[0] = '\0';
	if (p == NULL || (p = find(p, (size_t)(end - p), "<td")) == NULL ||
	    (p = memchr(p, '>', (size_t)(end - p))) == NULL)
		return;
	for (q = p + 1; q < end && *q != '<' && k + 1 < size; q++)
		if (*q != '\r' && *q != '\n')
			out[k++] = (unsigned char)*q < 0x20 ? '?' : *q;
	while (k > 0 && out[k - 1] == ' ')
		k--;
	out[k] = '\0';
}

/* Each "<td>text</td>" of the table after the heading title. */
static void
html_table(const char *h, size_t n, const char *title, struct network_stats *s,
    enum network_kind kind)
{
	const char *p = find(h, n, title), *end = h + n, *te, *c, *ce;
	char cell[512];
	size_t cn;

	if (p == NULL || (p = find(p, (size_t)(end - p), "<table")) == NULL)
		return;
	te = find(p, (size_t)(end - p), "</table");
	end = te != NULL ? te : end;
	while ((c = find(p, (size_t)(end - p), "<td")) != NULL &&
	       (c = memchr(c, '>', (size_t)(end - c))) != NULL) {
		c++;
		ce = memchr(c, '<', (size_t)(end - c));
		ce = ce != NULL ? ce : end;
		cn = (size_t)(ce - c);
		p = ce;
		while (cn > 0 && (*c == ' ' || *c == '\n' || *c == '\r'))
			c++, cn--;
		if (cn == 0 || cn >= sizeof(cell))
			continue;
		memcpy(cell, c, cn);
		cell[cn] = '\0';
		if (kind == NETWORK_RECON)
			add_recon_words(s, cell);
		else
			add_mail(s, cell, strcspn(cell, " \t\r\n"));
	}
}

static void
html_software(
    const char *h, size_t n, const char *server, struct network_stats *s)
{
	const char *t;

	html_setting(h, n, ">Software:<", s->software, sizeof(s->software));
	if (s->software[0] != '\0')
		return;
	if (strncasecmp(server, "sks", 3) == 0 ||
	    ((t = find(h, n, "<title>")) != NULL &&
		find(t, (size_t)(h + n - t) < 200 ? (size_t)(h + n - t) : 200,
		    "SKS") != NULL))
		snprintf(s->software, sizeof(s->software), "SKS");
}

static enum pks_rc
parse_html(const char *h, size_t n, const char *server, struct network_stats *s)
{
	const char *t = find(h, n, "Total number of keys:");
	long long k = 0;
	int digits = 0;

	if (find(h, n, "<html") == NULL)
		return PKS_ERR_PARSE;
	html_software(h, n, server, s);
	html_setting(h, n, ">Version:<", s->version, sizeof(s->version));
	if (t != NULL) {
		for (t += 21; t < h + n && *t == ' '; t++)
			;
		for (; t < h + n && *t >= '0' && *t <= '9' && digits < 15;
		     t++, digits++)
			k = k * 10 + (*t - '0');
		if (digits > 0)
			s->keys = k;
	}
	html_table(h, n, "Gossip Peers</h2>", s, NETWORK_RECON);
	html_table(h, n, "Outgoing Mailsync Peers</h2>", s, NETWORK_MAIL);
	return PKS_OK;
}

enum pks_rc
network_stats_parse(
    const uint8_t *p, size_t len, const char *server, struct network_stats *out)
{
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	out->keys = -1;
	while (i < len && isspace(p[i]))
		i++;
	if (i < len && p[i] == '{')
		return parse_json(p, len, out);
	return parse_html((const char *)p, len, server, out);
}

void
network_stats_free(struct network_stats *s)
{
	size_t i;

	for (i = 0; i < s->npeers; i++)
		free(s->peers[i].url);
	free(s->peers);
	s->peers = NULL;
	s->npeers = 0;
}
