/*
 * peers_recon.c: the recon membership file (SKS format): reading,
 * validating, editing in place (atomically, under a lock), and a cache
 * that follows the file.
 */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "peers/peers_file.h"
#include "peers/peers_recon.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Next whitespace-separated token of l[*i..n): start and length. */
static size_t
token(const char *l, size_t n, size_t *i, const char **tok)
{
	size_t start;

	while (*i < n && blank(l[*i]))
		(*i)++;
	start = *i;
	while (*i < n && !blank(l[*i]))
		(*i)++;
	*tok = l + start;
	return *i - start;
}

/* A host as the file may hold it: 1..255 visible ASCII bytes. */
static int
host_ok(const char *h, size_t n)
{
	size_t k;

	if (n == 0 || n >= sizeof(((struct peers_recon_member *)0)->host))
		return 0;
	for (k = 0; k < n; k++)
		if ((unsigned char)h[k] <= ' ' || (unsigned char)h[k] >= 0x7f ||
		    h[k] == '#')
			return 0;
	return 1;
}

/* A port 1..65535 of at most 5 digits; 0 otherwise. */
static unsigned
port_of(const char *p, size_t n)
{
	unsigned long port = 0;
	size_t k;

	if (n == 0 || n > 5)
		return 0;
	for (k = 0; k < n; k++) {
		if (p[k] < '0' || p[k] > '9')
			return 0;
		port = port * 10 + (unsigned long)(p[k] - '0');
	}
	return port <= 65535 ? (unsigned)port : 0;
}

/* One line: "host port", comment stripped; 1 when it names a member. */
static int
parse_line(const char *l, size_t n, struct peers_recon_member *m)
{
	const char *h, *p;
	size_t i = 0, hn, pn, k;
	unsigned port;

	for (k = 0; k < n && l[k] != '#'; k++)
		;
	n = k;
	hn = token(l, n, &i, &h);
	pn = token(l, n, &i, &p);
	if (!host_ok(h, hn) || (port = port_of(p, pn)) == 0)
		return 0;
	memcpy(m->host, h, hn);
	m->host[hn] = '\0';
	m->port = (uint16_t)port;
	return 1;
}

void
peers_recon_list_free(struct peers_recon_list *l)
{
	if (l == NULL)
		return;
	free(l->v);
	free(l);
}

unsigned
peers_recon_hkp_port(const struct peers_recon_member *m)
{
	return m->port < 65535 ? (unsigned)m->port + 1 : 0;
}

struct peers_recon_list *
peers_recon_parse(const char *text, size_t len)
{
	struct peers_recon_list *l = xcalloc(1, sizeof(*l));
	struct peers_recon_member m;
	size_t off, n, cap = 0;

	for (off = 0; off < len && l->n < PEERS_RECON_MAX; off += n + 1) {
		n = peers_file_line_len((const uint8_t *)text, len, off);
		if (!parse_line(text + off, n, &m))
			continue;
		if (l->n == cap) {
			cap = cap ? 2 * cap : 16;
			l->v = xreallocarray(l->v, cap, sizeof(*l->v));
		}
		l->v[l->n++] = m;
	}
	return l;
}

enum pks_rc
peers_recon_read(const char *path, struct peers_recon_list **out)
{
	struct buf b;
	enum pks_rc rc;
	int missing;

	*out = NULL;
	buf_init(&b, PEERS_RECON_MAX_FILE);
	rc = peers_file_read(path, "recon: membership", &b, &missing);
	if (rc == PKS_OK)
		*out = peers_recon_parse((const char *)b.data, b.len);
	buf_free(&b);
	return rc;
}

/* peers_file_match: the line names the member arg. */
static int
names_member(const void *arg, const char *l, size_t n)
{
	const struct peers_recon_member *want = arg;
	struct peers_recon_member m;

	return parse_line(l, n, &m) && m.port == want->port &&
	       strcasecmp(m.host, want->host) == 0;
}

/* host and port as a member; 0 if the file cannot hold them. */
static int
member_of(const char *host, const char *port, struct peers_recon_member *m)
{
	size_t hn = strnlen(host, sizeof(m->host));
	unsigned p = port_of(port, strnlen(port, 6));

	if (!host_ok(host, hn) || p == 0)
		return 0;
	memcpy(m->host, host, hn + 1);
	m->port = (uint16_t)p;
	return 1;
}

enum pks_rc
peers_recon_add(
    const char *path, const char *host, const char *port, int *already)
{
	struct peers_recon_member m;
	char line[sizeof(m.host) + 8];
	size_t found = 0;
	enum pks_rc rc;

	*already = 0;
	if (!member_of(host, port, &m))
		return PKS_ERR_PARSE;
	snprintf(line, sizeof(line), "%s %u", m.host, (unsigned)m.port);
	rc = peers_file_edit(path, "recon: membership", PEERS_RECON_MAX_FILE,
	    names_member, &m, line, &found);
	*already = rc == PKS_OK && found > 0;
	return rc;
}

enum pks_rc
peers_recon_remove(const char *path, const char *host, const char *port)
{
	struct peers_recon_member m;
	size_t found = 0;
	enum pks_rc rc;

	if (!member_of(host, port, &m))
		return PKS_ERR_PARSE;
	rc = peers_file_edit(path, "recon: membership", PEERS_RECON_MAX_FILE,
	    names_member, &m, NULL, &found);
	if (rc == PKS_OK && found == 0)
		return PKS_ERR_NOTFOUND;
	return rc;
}

struct peers_recon {
	pthread_mutex_t lock;
	char *path;
	struct peers_recon_list *list; /* NULL until read once */
	struct peers_file_seen seen;
};

struct peers_recon *
peers_recon_new(const char *path)
{
	struct peers_recon *pr = xcalloc(1, sizeof(*pr));

	pthread_mutex_init(&pr->lock, NULL);
	pr->path = xstrdup(path);
	return pr;
}

void
peers_recon_free(struct peers_recon *pr)
{
	if (pr == NULL)
		return;
	pthread_mutex_destroy(&pr->lock);
	peers_recon_list_free(pr->list);
	free(pr->path);
	free(pr);
}

static struct peers_recon_list *
list_dup(const struct peers_recon_list *s)
{
	struct peers_recon_list *d = xcalloc(1, sizeof(*d));

	if (s->n > 0)
		d->v = xmemdup(s->v, s->n * sizeof(*s->v));
	d->n = s->n;
	return d;
}

/* Re-read the file if it changed; keeps the old list on failure. */
static enum pks_rc
refresh(struct peers_recon *pr, int *fresh)
{
	struct peers_recon_list *l = NULL;
	struct peers_file_seen now;
	enum pks_rc rc;

	if (!peers_file_changed(pr->path, &pr->seen, &now) && pr->list)
		return PKS_OK;
	rc = peers_recon_read(pr->path, &l);
	if (rc != PKS_OK)
		return pr->list != NULL ? PKS_OK : rc;
	log_info("recon: membership %s: %zu peers", pr->path, l->n);
	peers_recon_list_free(pr->list);
	pr->list = l;
	pr->seen = now;
	*fresh = 1;
	return PKS_OK;
}

enum pks_rc
peers_recon_get(
    struct peers_recon *pr, struct peers_recon_list **out, int *fresh)
{
	enum pks_rc rc;
	int f = 0;

	*out = NULL;
	pthread_mutex_lock(&pr->lock);
	rc = refresh(pr, &f);
	if (rc == PKS_OK)
		*out = list_dup(pr->list);
	pthread_mutex_unlock(&pr->lock);
	if (fresh != NULL)
		*fresh = f;
	return rc;
}
