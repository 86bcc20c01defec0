/*
 * config.c: reads pksync.conf.
 *
 * The file is INI: "[section]" lines and "key = value" lines.  '#' or
 * ';' starts a comment anywhere (values never need those characters).
 * Every key is a row of the table below {section, name, type, offset,
 * default, min, max}; unknown sections or keys, bad numbers and values
 * out of bounds are errors reported as "file:line: message".  Numbers go
 * through strtonum-style checks.  Paths that are not absolute are made
 * relative to the folder that holds the config file.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cidr.h"
#include "util/config.h"
#include "util/limits.h"
#include "util/xalloc.h"

#ifndef PKS_SYSCONFDIR
#define PKS_SYSCONFDIR "/etc"
#endif
#ifndef PKS_DATADIR
#define PKS_DATADIR "/usr/share/pksync"
#endif

enum ctype { CT_STR, CT_PATH, CT_INT, CT_SIZE, CT_LEVEL, CT_BOOL };

struct citem {
	const char *section;
	const char *name;
	enum ctype type;
	size_t off;
	const char *def;
	long long min;
	long long max;
};

#define F(x) offsetof(struct pks_config, x)

static const struct citem items[] = {
	{ "server", "datadir", CT_PATH, F(datadir), "/var/lib/pksync", 0, 0 },
	{ "server", "database", CT_PATH, F(dbfile), NULL, 0, 0 },
	{ "server", "http_listen", CT_STR, F(http_listen), "127.0.0.1:11371", 0,
	    0 },
	{ "server", "hostname", CT_STR, F(hostname), "localhost", 0, 0 },
	{ "server", "nodename", CT_STR, F(nodename), NULL, 0, 0 },
	{ "server", "contact", CT_STR, F(contact), "", 0, 0 },
	{ "server", "http_threads", CT_INT, F(http_threads), "0", 0, 256 },
	{ "server", "max_post", CT_SIZE, F(max_post), "8388608", 1024,
	    256LL * 1024 * 1024 },
	{ "server", "max_matches", CT_SIZE, F(max_matches), "500", 1, 100000 },
	{ "server", "armor_cache", CT_SIZE, F(armor_cache), "268435456", 0,
	    16LL * 1024 * 1024 * 1024 },
	{ "server", "index_cache", CT_SIZE, F(index_cache), "33554432", 0,
	    16LL * 1024 * 1024 * 1024 },
	{ "server", "busy_timeout_ms", CT_INT, F(busy_timeout_ms), "5000", 0,
	    600000 },
	{ "server", "db_mmap", CT_SIZE, F(db_mmap), "1073741824", 0,
	    64LL * 1024 * 1024 * 1024 },
	{ "server", "log_level", CT_LEVEL, F(log_level), "info", 0, 2 },
	{ "server", "max_connections", CT_INT, F(max_connections), "1024", 16,
	    65536 },
	{ "server", "max_connections_per_address", CT_INT,
	    F(max_conns_per_addr), "16", 0, 65536 },
	{ "server", "idle_timeout", CT_INT, F(idle_timeout), "30", 1, 3600 },
	{ "server", "header_timeout", CT_INT, F(header_timeout), "10", 1,
	    3600 },
	{ "server", "body_timeout", CT_INT, F(body_timeout), "60", 1, 3600 },
	{ "server", "body_budget", CT_SIZE, F(body_budget), "67108864", 1048576,
	    16LL * 1024 * 1024 * 1024 },
	{ "server", "reply_budget", CT_SIZE, F(reply_budget), "134217728",
	    1048576, 64LL * 1024 * 1024 * 1024 },
	{ "server", "reply_per_address", CT_SIZE, F(reply_per_addr), "33554432",
	    65536, 64LL * 1024 * 1024 * 1024 },
	{ "server", "add_per_minute", CT_INT, F(add_per_minute), "20", 0,
	    1000000 },
	{ "server", "search_per_minute", CT_INT, F(search_per_minute), "120", 0,
	    1000000 },
	{ "server", "trusted_proxies", CT_STR, F(trusted_proxies), "", 0, 0 },
	{ "server", "user", CT_STR, F(user), "", 0, 0 },
	{ "server", "metrics", CT_BOOL, F(metrics), "yes", 0, 1 },
	{ "server", "metrics_allow", CT_STR, F(metrics_allow),
	    "127.0.0.0/8 ::1", 0, 0 },
	{ "mail", "this_site", CT_STR, F(this_site), NULL, 0, 0 },
	{ "mail", "maintainer", CT_STR, F(maintainer), NULL, 0, 0 },
	{ "mail", "relay", CT_STR, F(relay), "127.0.0.1:25", 0, 0 },
	{ "mail", "peers_file", CT_PATH, F(peers_file), "mailsync", 0, 0 },
	{ "mail", "max_mail_size", CT_SIZE, F(max_mail_size), "10485760", 1024,
	    PKS_MAX_MAIL },
	{ "mail", "filter_sync", CT_BOOL, F(filter_sync), "yes", 0, 1 },
	{ "mail", "max_reply_keys", CT_SIZE, F(max_reply_keys), "100", 1,
	    10000 },
	{ "mail", "max_last_days", CT_INT, F(max_last_days), "7", 0, 365 },
	{ "mail", "max_replies_per_hour", CT_INT, F(max_replies_per_hour), "10",
	    0, 10000 },
	{ "mail", "max_replies_total_per_hour", CT_INT,
	    F(max_replies_total_per_hour), "200", 0, 1000000 },
	{ "mail", "max_reply_size", CT_SIZE, F(max_reply_size), "2097152",
	    16384, 16LL * 1024 * 1024 },
	{ "mail", "accept_incrementals", CT_STR, F(accept_incrementals),
	    "peers", 0, 0 },
	{ "mail", "help_dir", CT_PATH, F(help_dir), PKS_DATADIR "/help", 0, 0 },
	{ "mail", "default_language", CT_STR, F(default_language), "en", 0, 0 },
	{ "mail", "max_incremental_size", CT_SIZE, F(max_incremental_size),
	    "1048576", 4096, 64LL * 1024 * 1024 },
	{ "mail", "queue_retry", CT_INT, F(queue_retry), "60", 1, 86400 },
	{ "mail", "queue_retry_max", CT_INT, F(queue_retry_max), "3600", 1,
	    604800 },
	{ "mail", "queue_max_age", CT_INT, F(queue_max_age), "432000", 0,
	    31536000 },
	{ "mail", "messages_per_session", CT_INT, F(messages_per_session),
	    "100", 1, 10000 },
	{ "mail", "smtp_sessions", CT_INT, F(smtp_sessions), "4", 1, 16 },
	{ "recon", "listen", CT_STR, F(recon_listen), NULL, 0, 0 },
	{ "recon", "membership_file", CT_PATH, F(membership_file), "membership",
	    0, 0 },
	{ "recon", "gossip_interval", CT_INT, F(gossip_interval), "60", 0,
	    86400 },
	{ "recon", "fetch_delay", CT_INT, F(recon_fetch_delay), "0", 0, 3600 },
	{ "recon", "fetch_timeout", CT_INT, F(recon_fetch_timeout), "180", 1,
	    3600 },
	{ "recon", "config_timeout", CT_INT, F(recon_config_timeout), "10", 1,
	    3600 },
	{ "recon", "read_timeout", CT_INT, F(recon_read_timeout), "300", 1,
	    86400 },
	{ "recon", "fetch_deadline", CT_INT, F(recon_fetch_deadline), "600", 1,
	    86400 },
	{ "recon", "max_lack", CT_SIZE, F(recon_max_lack), "1000000", 1000,
	    100000000 },
	{ "network", "max_servers", CT_SIZE, F(net_max_servers), "100", 1,
	    1000 },
	{ "network", "max_depth", CT_INT, F(net_max_depth), "4", 0, 100 },
	{ "network", "deadline", CT_INT, F(net_deadline), "30", 1, 3600 },
	{ "network", "timeout", CT_INT, F(net_timeout), "5", 1, 600 },
	{ "network", "max_page", CT_SIZE, F(net_max_page), "1048576", 4096,
	    67108864 },
	{ "network", "concurrency", CT_INT, F(net_concurrency), "4", 1, 32 },
	{ "network", "allow_private", CT_BOOL, F(net_allow_private), "no", 0,
	    1 },
	{ "network", "mail_hkp", CT_STR, F(net_mail_hkp), "", 0, 0 },
	{ "network", "min_interval", CT_INT, F(net_min_interval), "30", 1,
	    86400 },
	{ "network", "trace_gap", CT_INT, F(net_trace_gap), "5", 0, 3600 },
	{ "network", "max_traced_keys", CT_SIZE, F(net_max_keys), "64", 1,
	    10000 },
	{ "import", "batch_keys", CT_SIZE, F(import_batch_keys), "50000", 1,
	    10000000 },
	{ "import", "bulk_batch_keys", CT_SIZE, F(import_bulk_batch), "200000",
	    1, 10000000 },
	{ "import", "cache_size", CT_SIZE, F(import_cache), "536870912",
	    1048576, 64LL * 1024 * 1024 * 1024 },
	{ "import", "read_size", CT_SIZE, F(import_chunk), "16777216", 65536,
	    1024LL * 1024 * 1024 },
	{ "import", "threads", CT_SIZE, F(import_threads), "0", 0, 256 },
	{ "import", "keys_in_flight", CT_SIZE, F(import_inflight), "256", 1,
	    65536 },
	{ "import", "bulk", CT_BOOL, F(import_bulk), "yes", 0, 1 },
	{ "import", "word_sort_bytes", CT_SIZE, F(import_word_sort), "67108864",
	    0, 16LL * 1024 * 1024 * 1024 },
	{ "keys", "max_bytes", CT_SIZE, F(key_max_bytes), "67108864", 65536,
	    PKS_MAX_KEY },
	{ "keys", "max_packets", CT_SIZE, F(key_max_packets), "250000", 100,
	    PKS_MAX_KEY_PACKETS },
	{ "keys", "served_certs_per_uid", CT_SIZE, F(served_certs), "100", 0,
	    100000 },
	{ "keys", "served_certs_prefer", CT_STR, F(served_prefer), "known", 0,
	    0 },
	{ "keys", "issuer_verifications", CT_SIZE, F(issuer_verify), "1000", 0,
	    1000000 },
	{ "keys", "issuer_waits_per_key", CT_SIZE, F(issuer_waits), "1000", 0,
	    100000 },
	{ "keys", "issuer_remarks_per_key", CT_SIZE, F(issuer_remarks), "100",
	    0, 100000 },
	{ "keys", "word_listing_bytes", CT_SIZE, F(word_bytes), "65536", 0,
	    67108864 },
};

#define NITEMS (sizeof(items) / sizeof(items[0]))

/* The [keys] limits of the last config read (pks_key_limits). */
static struct pks_key_limits key_limits = { PKS_MAX_KEY, PKS_MAX_KEY_PACKETS,
	PKS_SERVED_CERTS_DEFAULT, 1, PKS_ISSUER_VERIFY_DEFAULT,
	PKS_ISSUER_WAITS_DEFAULT, PKS_ISSUER_REMARKS_DEFAULT,
	PKS_WORD_LISTING_BYTES_DEFAULT, PKS_WORD_SORT_BYTES_DEFAULT };

const struct pks_key_limits *
pks_key_limits(void)
{
	return &key_limits;
}

void
pks_key_limits_set(const struct pks_key_limits *l)
{
	key_limits = *l;
}

/* Parsing state: what is needed to report "file:line: msg". */
struct cparse {
	const char *file;
	const char *dir; /* folder for relative paths */
	unsigned line;
	char *msg;
	unsigned seen[NITEMS]; /* line of each key given, 0 if none */
};

static char **
str_slot(struct pks_config *cfg, const struct citem *it)
{
	return (char **)(void *)((char *)cfg + it->off);
}

static enum pks_rc
perr(struct cparse *p, const char *fmt, const char *arg)
{
	free(p->msg);
	p->msg = xasprintf("%s:%u: %s%s%s", p->file ? p->file : "(defaults)",
	    p->line, fmt, arg ? ": " : "", arg ? arg : "");
	return PKS_ERR_CONFIG;
}

static enum pks_rc
parse_num(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno == ERANGE || v < min || v > max)
		return PKS_ERR_CONFIG;
	*out = v;
	return PKS_OK;
}

static char *
make_path(const struct cparse *p, const char *v)
{
	if (v[0] == '/' || p->dir == NULL)
		return xstrdup(v);
	return xasprintf("%s/%s", p->dir, v);
}

static enum pks_rc
set_level(struct cparse *p, int *slot, const char *v)
{
	static const char *names[] = { "warning", "info", "debug" };
	long long n;
	int i;

	for (i = 0; i < 3; i++) {
		if (strcmp(v, names[i]) == 0) {
			*slot = i;
			return PKS_OK;
		}
	}
	if (parse_num(v, 0, 2, &n) == PKS_OK) {
		*slot = (int)n;
		return PKS_OK;
	}
	return perr(p, "log_level must be warning, info or debug", v);
}

/* yes/no, true/false, on/off or 1/0. */
static enum pks_rc
set_bool(struct cparse *p, int *slot, const char *name, const char *v)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcmp(v, yes[i]) == 0 || strcmp(v, no[i]) == 0) {
			*slot = strcmp(v, yes[i]) == 0;
			return PKS_OK;
		}
	}
	return perr(p, "value must be yes or no", name);
}

static enum pks_rc
set_value(struct cparse *p, struct pks_config *cfg, const struct citem *it,
    const char *v)
{
	long long n;
	char **s;

	switch (it->type) {
	case CT_STR:
	case CT_PATH:
		s = str_slot(cfg, it);
		free(*s);
		*s = it->type == CT_PATH && v[0] ? make_path(p, v) : xstrdup(v);
		return PKS_OK;
	case CT_LEVEL:
		return set_level(p, (int *)(void *)((char *)cfg + it->off), v);
	case CT_BOOL:
		return set_bool(
		    p, (int *)(void *)((char *)cfg + it->off), it->name, v);
	case CT_INT:
	case CT_SIZE:
		if (parse_num(v, it->min, it->max, &n) != PKS_OK)
			return perr(
			    p, "number missing or out of range", it->name);
		if (it->type == CT_INT)
			*(int *)(void *)((char *)cfg + it->off) = (int)n;
		else
			*(size_t *)(void *)((char *)cfg + it->off) = (size_t)n;
		return PKS_OK;
	}
	return PKS_ERR_INTERNAL;
}

static const struct citem *
find_item(const char *section, const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < NITEMS; i++) {
		if (strcmp(items[i].section, section) == 0 &&
		    strcmp(items[i].name, name) == 0) {
			*idx = i;
			return &items[i];
		}
	}
	return NULL;
}

static int
known_section(const char *s)
{
	size_t i;

	for (i = 0; i < NITEMS; i++)
		if (strcmp(items[i].section, s) == 0)
			return 1;
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			    e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static enum pks_rc
parse_line(struct cparse *p, struct pks_config *cfg, char *line, char *section,
    size_t seclen)
{
	const struct citem *it;
	char *eq, *key, *val, *c;
	size_t idx;

	if ((c = strpbrk(line, "#;")) != NULL)
		*c = '\0';
	line = trim(line);
	if (*line == '\0')
		return PKS_OK;
	if (*line == '[') {
		c = strchr(line, ']');
		if (c == NULL || c[1] != '\0')
			return perr(p, "malformed section header", line);
		*c = '\0';
		if (!known_section(line + 1))
			return perr(p, "unknown section", line + 1);
		snprintf(section, seclen, "%s", line + 1);
		return PKS_OK;
	}
	if ((eq = strchr(line, '=')) == NULL)
		return perr(p, "expected 'key = value'", line);
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	if (section[0] == '\0')
		return perr(p, "key outside of a [section]", key);
	if ((it = find_item(section, key, &idx)) == NULL)
		return perr(p, "unknown key", key);
	if (p->seen[idx])
		return perr(p, "key given twice", key);
	p->seen[idx] = p->line;
	return set_value(p, cfg, it, val);
}

static enum pks_rc
parse_file(struct cparse *p, struct pks_config *cfg, FILE *f)
{
	char line[PKS_MAX_CONF_LINE];
	char section[32] = "";
	enum pks_rc rc;

	while (fgets(line, sizeof(line), f) != NULL) {
		p->line++;
		if (strchr(line, '\n') == NULL && !feof(f))
			return perr(p, "line too long", NULL);
		rc = parse_line(p, cfg, line, section, sizeof(section));
		if (rc != PKS_OK)
			return rc;
	}
	if (ferror(f))
		return perr(p, "read error", NULL);
	return PKS_OK;
}

static enum pks_rc
set_defaults(struct cparse *p, struct pks_config *cfg)
{
	enum pks_rc rc;
	size_t i;

	for (i = 0; i < NITEMS; i++) {
		if (items[i].def == NULL)
			continue;
		rc = set_value(p, cfg, &items[i], items[i].def);
		if (rc != PKS_OK)
			return rc;
	}
	return PKS_OK;
}

/* trusted_proxies: IP literals separated by commas or blanks. */
static enum pks_rc
check_ips(struct cparse *p, const char *s)
{
	unsigned char bin[16];
	char ip[INET6_ADDRSTRLEN + 1];
	size_t n;

	while (*s != '\0') {
		n = strcspn(s, ", \t");
		if (n > 0) {
			snprintf(ip, sizeof(ip), "%.*s", (int)n, s);
			if (n >= sizeof(ip) ||
			    (inet_pton(AF_INET, ip, bin) != 1 &&
				inet_pton(AF_INET6, ip, bin) != 1))
				return perr(p,
				    "trusted_proxies holds a word that is "
				    "not an IP address",
				    ip);
		}
		s += n;
		s += strspn(s, ", \t");
	}
	return PKS_OK;
}

/* metrics_allow: IP networks (util/cidr.h). */
static enum pks_rc
check_networks(struct cparse *p, const char *s)
{
	struct pks_err err = { 0, NULL };
	struct cidr_list l;
	size_t idx;

	if (cidr_list_parse(s, &l, &err) == PKS_OK)
		return PKS_OK;
	if (find_item("server", "metrics_allow", &idx) != NULL &&
	    p->seen[idx] != 0)
		p->line = p->seen[idx];
	return perr(p, "metrics_allow must list IP networks", err.why);
}

/* RFC 5322 atext (letters, digits and these), for local parts. */
static int
is_atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* A dot-atom local part a[0..n): atext and single inner dots. */
static int
local_ok(const char *a, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_atext((unsigned char)a[i]) &&
		    (a[i] != '.' || i == 0 || i + 1 == n || a[i + 1] == '.'))
			return 0;
	return 1;
}

/* A domain: labels of letters, digits and '-', no empty label. */
static int
domain_ok(const char *d)
{
	size_t i, n = strlen(d);
	int alnum;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		alnum = (d[i] >= 'a' && d[i] <= 'z') ||
			(d[i] >= 'A' && d[i] <= 'Z') ||
			(d[i] >= '0' && d[i] <= '9') || d[i] == '-';
		if (!alnum &&
		    (d[i] != '.' || i == 0 || i + 1 == n || d[i + 1] == '.'))
			return 0;
	}
	return 1;
}

/* A plain addr-spec as mail needs it: local@domain. */
static int
addr_spec_ok(const char *a)
{
	const char *at = strchr(a, '@');

	return at != NULL && local_ok(a, (size_t)(at - a)) && domain_ok(at + 1);
}

/* A display name: printable ASCII, quotes only around the whole. */
static char *
display_name(const char *s, size_t n)
{
	int plain = 1;
	size_t i;

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
	}
	for (i = 0; i < n; i++) {
		if (s[i] < ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\')
			return NULL;
		plain &= is_atext((unsigned char)s[i]) || s[i] == ' ';
	}
	if (n == 0)
		return xstrdup("");
	return plain ? xstrndup(s, n) : xasprintf("\"%.*s\"", (int)n, s);
}

enum pks_rc
config_parse_mailbox(const char *in, char **name, char **addr)
{
	const char *lt = strchr(in, '<');
	size_t n;

	*name = *addr = NULL;
	if (lt == NULL) {
		if (!addr_spec_ok(in))
			return PKS_ERR_CONFIG;
		*addr = xstrdup(in);
		*name = xstrdup("");
		return PKS_OK;
	}
	n = strlen(lt);
	if (n < 3 || lt[n - 1] != '>')
		return PKS_ERR_CONFIG;
	*addr = xstrndup(lt + 1, n - 2);
	for (n = (size_t)(lt - in); n > 0 && in[n - 1] == ' '; n--)
		;
	if (!addr_spec_ok(*addr) || (*name = display_name(in, n)) == NULL) {
		free(*addr);
		*addr = NULL;
		return PKS_ERR_CONFIG;
	}
	return PKS_OK;
}

/*
 * this_site becomes the bare address (it is an X-KeyServer-Sent value);
 * maintainer keeps a display name for From: ("Name <addr>") and its
 * address goes to maintainer_addr (envelope sender, loop checks).
 */
/* Point messages at the line that gave [mail] key (if any). */
static void
at_line_of(struct cparse *p, const char *key)
{
	size_t idx;

	if (find_item("mail", key, &idx) != NULL && p->seen[idx] != 0)
		p->line = p->seen[idx];
}

static enum pks_rc
finish_addresses(struct cparse *p, struct pks_config *cfg)
{
	char *name = NULL, *addr = NULL;

	at_line_of(p, "this_site");
	if (config_parse_mailbox(cfg->this_site, &name, &addr) != PKS_OK)
		return perr(p, "this_site must be an address (local@domain)",
		    cfg->this_site);
	free(cfg->this_site);
	cfg->this_site = addr;
	free(name);
	at_line_of(p, "maintainer");
	if (config_parse_mailbox(cfg->maintainer, &name, &addr) != PKS_OK)
		return perr(p,
		    "maintainer must be an address, optionally with an "
		    "ASCII display name (Name <local@domain>)",
		    cfg->maintainer);
	free(cfg->maintainer);
	cfg->maintainer =
	    name[0] ? xasprintf("%s <%s>", name, addr) : xstrdup(addr);
	cfg->maintainer_addr = addr;
	free(name);
	return PKS_OK;
}

/* The [keys] limits in force from now on (pks_key_limits). */
static enum pks_rc
set_key_limits(struct cparse *p, const struct pks_config *cfg)
{
	int known = strcmp(cfg->served_prefer, "known") == 0;

	if (!known && strcmp(cfg->served_prefer, "newest") != 0)
		return perr(p, "served_certs_prefer must be known or newest",
		    cfg->served_prefer);
	key_limits.max_bytes = cfg->key_max_bytes;
	key_limits.max_packets = cfg->key_max_packets;
	key_limits.served_certs = cfg->served_certs;
	key_limits.served_known = known;
	key_limits.issuer_verifications = cfg->issuer_verify;
	key_limits.issuer_waits = cfg->issuer_waits;
	key_limits.issuer_remarks = cfg->issuer_remarks;
	key_limits.word_listing_bytes = cfg->word_bytes;
	key_limits.word_sort_bytes = cfg->import_word_sort;
	return PKS_OK;
}

/* Fill what depends on other keys: db path, host and port, names. */
static enum pks_rc
finish(struct cparse *p, struct pks_config *cfg)
{
	if (cfg->dbfile == NULL)
		cfg->dbfile = xasprintf("%s/pksync.db", cfg->datadir);
	if (config_parse_hostport(
		cfg->http_listen, &cfg->http_host, &cfg->http_port) != PKS_OK)
		return perr(
		    p, "http_listen must be host:port", cfg->http_listen);
	if (cfg->recon_listen != NULL && cfg->recon_listen[0] == '\0') {
		free(cfg->recon_listen);
		cfg->recon_listen = NULL;
	}
	if (cfg->nodename == NULL)
		cfg->nodename = xstrdup(cfg->hostname);
	if (cfg->this_site == NULL)
		cfg->this_site = xasprintf("pgp-public-keys@%s", cfg->hostname);
	if (cfg->maintainer == NULL)
		cfg->maintainer =
		    xasprintf("keyserver-admin@%s", cfg->hostname);
	if (strcmp(cfg->accept_incrementals, "peers") != 0 &&
	    strcmp(cfg->accept_incrementals, "anyone") != 0)
		return perr(p, "accept_incrementals must be peers or anyone",
		    cfg->accept_incrementals);
	if (cfg->max_post == 0)
		cfg->max_post = PKS_MAX_POST_DEFAULT;
	if (cfg->body_budget < cfg->max_post)
		return perr(p,
		    "body_budget must hold at least one max_post body", NULL);
	if (cfg->reply_per_addr > cfg->reply_budget)
		return perr(p,
		    "reply_per_address cannot be more than reply_budget", NULL);
	if (check_ips(p, cfg->trusted_proxies) != PKS_OK)
		return PKS_ERR_CONFIG;
	if (check_networks(p, cfg->metrics_allow) != PKS_OK)
		return PKS_ERR_CONFIG;
	return finish_addresses(p, cfg);
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

enum pks_rc
config_read(FILE *f, const char *path, struct pks_config **out, char **msg)
{
	struct pks_config *cfg = xcalloc(1, sizeof(*cfg));
	struct cparse p;
	char *dir = NULL;
	enum pks_rc rc;

	memset(&p, 0, sizeof(p));
	if (f != NULL) {
		cfg->path = xstrdup(path);
		dir = dir_of(path);
		p.dir = dir;
		p.file = cfg->path;
	}
	if ((rc = set_defaults(&p, cfg)) != PKS_OK)
		goto out;
	if (f != NULL && (rc = parse_file(&p, cfg, f)) != PKS_OK)
		goto out;
	if ((rc = finish(&p, cfg)) == PKS_OK)
		rc = set_key_limits(&p, cfg);
out:
	free(dir);
	if (rc != PKS_OK) {
		config_free(cfg);
		cfg = NULL;
	}
	if (msg != NULL)
		*msg = p.msg;
	else
		free(p.msg);
	*out = cfg;
	return rc;
}

enum pks_rc
config_load(const char *path, struct pks_config **out, char **msg)
{
	int named = path != NULL;
	enum pks_rc rc;
	FILE *f;

	if (path == NULL && (path = getenv("PKSYNC_CONF")) != NULL)
		named = 1;
	if (path == NULL)
		path = PKS_SYSCONFDIR "/pksync/pksync.conf";
	f = fopen(path, "r");
	if (f == NULL && (named || errno != ENOENT)) {
		if (msg != NULL)
			*msg = xasprintf(
			    "%s: cannot open: %s", path, strerror(errno));
		*out = NULL;
		return PKS_ERR_CONFIG;
	}
	rc = config_read(f, path, out, msg);
	if (f != NULL)
		fclose(f);
	return rc;
}

void
config_free(struct pks_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < NITEMS; i++)
		if (items[i].type == CT_STR || items[i].type == CT_PATH)
			free(*str_slot(cfg, &items[i]));
	free(cfg->path);
	free(cfg->http_host);
	free(cfg->maintainer_addr);
	free(cfg);
}

enum pks_rc
config_parse_hostport(const char *s, char **host, uint16_t *port)
{
	const char *colon, *h = s;
	size_t hlen;
	long long n;

	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (colon == NULL)
			return PKS_ERR_CONFIG;
		h = s + 1;
		hlen = (size_t)(colon - h);
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return PKS_ERR_CONFIG;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || parse_num(colon + 1, 0, 65535, &n) != PKS_OK)
		return PKS_ERR_CONFIG;
	*host = xstrndup(h, hlen);
	*port = (uint16_t)n;
	return PKS_OK;
}
