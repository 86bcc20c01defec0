/*
 * network_opts.c: the crawler's options from the configuration, this
 * server's own HKP URL, and fingerprints as typed (network.h).
 */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/network.h"
#include "network/network_stats.h"
#include "util/config.h"
#include "util/xalloc.h"

/* Split "ADDRESS=URL ..." in o->mail_buf into o->mail_map. */
static enum pks_rc
mail_pairs(struct network_opts *o, const char **why)
{
	char *p = o->mail_buf, *w, *eq, host[256];
	uint16_t port;

	while ((w = strtok_r(p, " \t,", &p)) != NULL) {
		eq = strchr(w, '=');
		if (eq == NULL || eq == w || strchr(w, '@') == NULL ||
		    strchr(w, '@') > eq) {
			*why = "[network] mail_hkp: expected ADDRESS=URL";
			return PKS_ERR_CONFIG;
		}
		*eq = '\0';
		if (network_url_parse(eq + 1, host, sizeof(host), &port) !=
		    PKS_OK) {
			*why = "[network] mail_hkp: not an http:// base URL";
			return PKS_ERR_CONFIG;
		}
		o->mail_map = xreallocarray(
		    o->mail_map, o->nmail_map + 1, sizeof(*o->mail_map));
		o->mail_map[o->nmail_map].address = w;
		o->mail_map[o->nmail_map].url = eq + 1;
		o->nmail_map++;
	}
	return PKS_OK;
}

enum pks_rc
network_opts_config(
    const struct pks_config *cfg, struct network_opts *o, const char **why)
{
	enum pks_rc rc = PKS_OK;

	network_opts_default(o);
	o->max_servers = cfg->net_max_servers;
	o->max_depth = cfg->net_max_depth;
	o->deadline_ms = cfg->net_deadline * 1000;
	o->timeout_ms = cfg->net_timeout * 1000;
	o->max_page = cfg->net_max_page;
	o->concurrency = cfg->net_concurrency;
	o->allow_private = cfg->net_allow_private;
	if (cfg->net_mail_hkp != NULL && cfg->net_mail_hkp[0] != '\0') {
		o->mail_buf = xstrdup(cfg->net_mail_hkp);
		rc = mail_pairs(o, why);
	}
	if (rc != PKS_OK)
		network_opts_free(o);
	return rc;
}

void
network_opts_free(struct network_opts *o)
{
	free(o->mail_map);
	free(o->mail_buf);
	o->mail_map = NULL;
	o->mail_buf = NULL;
	o->nmail_map = 0;
}

char *
network_self_url(const struct pks_config *cfg, uint16_t port)
{
	const char *h = cfg->http_host;

	if (h == NULL || h[0] == '\0' || strcmp(h, "0.0.0.0") == 0 ||
	    strcmp(h, "*") == 0)
		h = "127.0.0.1";
	else if (strcmp(h, "::") == 0)
		h = "::1";
	return network_url_make(h, port);
}

enum pks_rc
network_fpr_parse(const char *s, char *hex, uint8_t *bin, size_t *len)
{
	size_t n, i;
	unsigned v;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	if (n != 32 && n != 40 && n != 64)
		return PKS_ERR_PARSE;
	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return PKS_ERR_PARSE;
		hex[i] = (char)toupper((unsigned char)s[i]);
	}
	hex[n] = '\0';
	for (i = 0; i < n / 2; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return PKS_ERR_PARSE;
		bin[i] = (uint8_t)v;
	}
	*len = n / 2;
	return PKS_OK;
}
