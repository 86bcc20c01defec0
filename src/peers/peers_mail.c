/*
 * peers_mail.c: the mail sync list file: reading, validating, editing
 * in place (atomically, under a lock), and a cache that follows the
 * file.
 */
#include <config.h>

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "peers/peers_file.h"
#include "peers/peers_mail.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

#define ADDR_MAX 254u
#define LOCAL_MAX 64u
#define LABEL_MAX 63u

static int
atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* A dot-atom of n bytes: atext runs joined by single dots. */
static int
dot_atom(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.' ? s[i + 1] == '.' : !atext((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

static int
host_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-';
}

/* A host name: labels of letters, digits and inner '-', joined by dots. */
static int
host_name(const char *s, size_t n)
{
	size_t i, start = 0;

	if (n == 0)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!host_char((unsigned char)s[i]))
				return 0;
			continue;
		}
		if (i == start || i - start > LABEL_MAX || s[start] == '-' ||
		    s[i - 1] == '-')
			return 0;
		start = i + 1;
	}
	return 1;
}

int
peers_mail_addr_ok(const char *addr)
{
	const char *at;
	size_t n;

	if (addr == NULL)
		return 0;
	n = strnlen(addr, ADDR_MAX + 1);
	if (n > ADDR_MAX || (at = strchr(addr, '@')) == NULL ||
	    strchr(at + 1, '@') != NULL)
		return 0;
	if ((size_t)(at - addr) > LOCAL_MAX)
		return 0;
	return dot_atom(addr, (size_t)(at - addr)) &&
	       host_name(at + 1, n - (size_t)(at - addr) - 1);
}

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * The address of one line s[0..n): 0 for a blank or comment line, 1
 * with the address in a[] (NUL-terminated), -1 for anything else.
 */
static int
line_addr(const char *s, size_t n, char a[ADDR_MAX + 1])
{
	size_t i = 0, start, len;

	while (i < n && blank(s[i]))
		i++;
	if (i == n || s[i] == '#')
		return 0;
	start = i;
	while (i < n && !blank(s[i]) && s[i] != '#')
		i++;
	len = i - start;
	while (i < n && blank(s[i]))
		i++;
	if ((i < n && s[i] != '#') || len > ADDR_MAX)
		return -1;
	memcpy(a, s + start, len);
	a[len] = '\0';
	return peers_mail_addr_ok(a) ? 1 : -1;
}

void
peers_mail_list_free(struct peers_mail_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->addrs[i]);
	free(l->addrs);
	free(l);
}

int
peers_mail_list_has(const struct peers_mail_list *l, const char *addr)
{
	size_t i;

	if (l == NULL || addr == NULL)
		return 0;
	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->addrs[i], addr) == 0)
			return 1;
	return 0;
}

static void
list_add(struct peers_mail_list *l, const char *a)
{
	if (peers_mail_list_has(l, a) || l->n >= PEERS_MAIL_MAX)
		return;
	l->addrs = xreallocarray(l->addrs, l->n + 1, sizeof(*l->addrs));
	l->addrs[l->n++] = xstrdup(a);
}

struct peers_mail_list *
peers_mail_parse(const char *text, size_t len, const char *name)
{
	struct peers_mail_list *l = xcalloc(1, sizeof(*l));
	char a[ADDR_MAX + 1];
	size_t off, n, lineno = 0;
	int kind;

	for (off = 0; off < len; off += n + 1) {
		n = peers_file_line_len((const uint8_t *)text, len, off);
		lineno++;
		kind = line_addr(text + off, n, a);
		if (kind == 1)
			list_add(l, a);
		else if (kind == -1)
			log_warnx("mail: sync list %s:%zu: not an address, "
				  "line skipped",
			    name, lineno);
	}
	return l;
}

enum pks_rc
peers_mail_read(const char *path, struct peers_mail_list **out)
{
	struct buf b;
	enum pks_rc rc;
	int missing;

	*out = NULL;
	buf_init(&b, PEERS_MAIL_MAX_FILE);
	rc = peers_file_read(path, "mail: sync list", &b, &missing);
	if (rc == PKS_OK)
		*out = peers_mail_parse((const char *)b.data, b.len, path);
	buf_free(&b);
	return rc;
}

/* peers_file_match: the line names the address arg. */
static int
names_addr(const void *arg, const char *l, size_t n)
{
	char a[ADDR_MAX + 1];

	return line_addr(l, n, a) == 1 && strcasecmp(a, arg) == 0;
}

enum pks_rc
peers_mail_add(const char *path, const char *addr, int *already)
{
	size_t found = 0;
	enum pks_rc rc;

	*already = 0;
	if (!peers_mail_addr_ok(addr))
		return PKS_ERR_PARSE;
	rc = peers_file_edit(path, "mail: sync list", PEERS_MAIL_MAX_FILE,
	    names_addr, addr, addr, &found);
	*already = rc == PKS_OK && found > 0;
	return rc;
}

enum pks_rc
peers_mail_remove(const char *path, const char *addr)
{
	size_t found = 0;
	enum pks_rc rc;

	rc = peers_file_edit(path, "mail: sync list", PEERS_MAIL_MAX_FILE,
	    names_addr, addr, NULL, &found);
	if (rc == PKS_OK && found == 0)
		return PKS_ERR_NOTFOUND;
	return rc;
}

struct peers_mail {
	pthread_mutex_t lock;
	char *path;
	struct peers_mail_list *list; /* NULL until read once */
	struct peers_file_seen seen;
};

struct peers_mail *
peers_mail_new(const char *path)
{
	struct peers_mail *pm = xcalloc(1, sizeof(*pm));

	pthread_mutex_init(&pm->lock, NULL);
	pm->path = xstrdup(path);
	return pm;
}

void
peers_mail_free(struct peers_mail *pm)
{
	if (pm == NULL)
		return;
	pthread_mutex_destroy(&pm->lock);
	peers_mail_list_free(pm->list);
	free(pm->path);
	free(pm);
}

static struct peers_mail_list *
list_dup(const struct peers_mail_list *s)
{
	struct peers_mail_list *d = xcalloc(1, sizeof(*d));
	size_t i;

	d->addrs = xreallocarray(NULL, s->n + 1, sizeof(*d->addrs));
	for (i = 0; i < s->n; i++)
		d->addrs[i] = xstrdup(s->addrs[i]);
	d->n = s->n;
	return d;
}

/* Re-read the file if it changed; keeps the old list on failure. */
static enum pks_rc
refresh(struct peers_mail *pm)
{
	struct peers_mail_list *fresh = NULL;
	struct peers_file_seen now;
	enum pks_rc rc;

	if (!peers_file_changed(pm->path, &pm->seen, &now) && pm->list)
		return PKS_OK;
	rc = peers_mail_read(pm->path, &fresh);
	if (rc != PKS_OK)
		return pm->list != NULL ? PKS_OK : rc;
	if (pm->list != NULL)
		log_info("mail: sync list %s re-read: %zu peers", pm->path,
		    fresh->n);
	peers_mail_list_free(pm->list);
	pm->list = fresh;
	pm->seen = now;
	return PKS_OK;
}

enum pks_rc
peers_mail_get(struct peers_mail *pm, struct peers_mail_list **out)
{
	enum pks_rc rc;

	*out = NULL;
	pthread_mutex_lock(&pm->lock);
	rc = refresh(pm);
	if (rc == PKS_OK)
		*out = list_dup(pm->list);
	pthread_mutex_unlock(&pm->lock);
	return rc;
}
