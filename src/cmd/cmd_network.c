/*
 * cmd_network.c: "pksync network [--json | --dot] [--trace FINGERPRINT]
 * [URL...]" maps the keyserver network from this server (or from the
 * given HKP base URLs) and, with --trace, shows which servers hold
 * this server's current version of a key.  Limits: [network] section.
 * Started as root it becomes [server] user first, as the commands that
 * open the database do.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cmd/cmd.h"
#include "network/network.h"
#include "pgp/pgp_fpr.h"
#include "store/store.h"
#include "util/log.h"

enum out_form { OUT_TEXT, OUT_JSON, OUT_DOT };

struct net_args {
	enum out_form form;
	const char *trace; /* fingerprint as typed, or NULL */
	const char **urls;
	size_t nurls;
};

static int
parse_args(struct cmd_ctx *ctx, struct net_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->urls = calloc((size_t)ctx->argc + 1, sizeof(*a->urls));
	if (a->urls == NULL)
		return EX_OSERR;
	for (i = 1; i < ctx->argc; i++) {
		if (strcmp(ctx->argv[i], "--json") == 0)
			a->form = OUT_JSON;
		else if (strcmp(ctx->argv[i], "--dot") == 0)
			a->form = OUT_DOT;
		else if (strcmp(ctx->argv[i], "--trace") == 0 &&
			 i + 1 < ctx->argc)
			a->trace = ctx->argv[++i];
		else if (ctx->argv[i][0] == '-')
			goto usage;
		else
			a->urls[a->nurls++] = ctx->argv[i];
	}
	return EX_OK;
usage:
	fprintf(stderr, "usage: pksync network [--json | --dot] "
			"[--trace FINGERPRINT] [URL...]\n");
	return EX_USAGE;
}

/* This server's SKS hash of the key fpr. */
static int
local_hash(const struct pks_config *cfg, const uint8_t *fpr, size_t len,
    uint8_t hash[16])
{
	struct store *st = NULL;
	struct store_key k;
	enum pks_rc rc;
	int status;

	if ((status = cmd_open_store(cfg, 0, &st)) != EX_OK)
		return status;
	memset(&k, 0, sizeof(k));
	rc = store_key_find(st, fpr, len, &k);
	if (rc == PKS_OK)
		memcpy(hash, k.hash, 16);
	store_key_clear(&k);
	store_close(st);
	if (rc == PKS_ERR_NOTFOUND) {
		fprintf(stderr, "pksync: network: the key is not on this "
				"server\n");
		return EX_DATAERR;
	}
	if (rc != PKS_OK)
		log_warnx("network: cannot read the key: %s", pks_rc_str(rc));
	return pks_rc_sysexit(rc);
}

static void
print_text(const struct network_map *m)
{
	const struct network_node *nd;
	size_t i;

	for (i = 0; i < m->n; i++) {
		nd = &m->nodes[i];
		printf("%s %s %s keys=%lld %s", nd->url,
		    nd->software[0] ? nd->software : "-",
		    nd->version[0] ? nd->version : "-", (long long)nd->keys,
		    nd->reachable ? "reachable" : "unreachable");
		if (m->fpr[0] != '\0')
			printf(" %s", network_state_name(nd->state));
		if (nd->note[0] != '\0')
			printf(" (%s)", nd->note);
		printf("\n");
	}
	for (i = 0; i < m->nlinks; i++)
		printf("%s -> %s %s\n", m->nodes[m->links[i].from].url,
		    m->nodes[m->links[i].to].url,
		    network_kind_name(m->links[i].kind));
}

static int
render(const struct network_map *m, enum out_form form)
{
	struct buf out;
	enum pks_rc rc = PKS_OK;

	buf_init(&out, 64u * 1024 * 1024);
	if (form == OUT_JSON)
		rc = network_render_json(m, &out);
	else if (form == OUT_DOT)
		rc = network_render_dot(m, &out);
	else
		print_text(m);
	if (rc == PKS_OK && out.len > 0)
		fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	return rc == PKS_OK ? EX_OK : EX_SOFTWARE;
}

static int
crawl_and_trace(
    struct cmd_ctx *ctx, const struct network_opts *o, struct net_args *a)
{
	struct network_map *m = NULL;
	char *self = NULL, hex[65];
	uint8_t bin[32], hash[16];
	size_t blen;
	int status = EX_OK;

	if (a->trace != NULL &&
	    network_fpr_parse(a->trace, hex, bin, &blen) != PKS_OK) {
		fprintf(stderr, "pksync: network: bad fingerprint\n");
		return EX_USAGE;
	}
	if (a->trace != NULL &&
	    (status = local_hash(ctx->cfg, bin, blen, hash)) != EX_OK)
		return status;
	if (a->nurls == 0) {
		self = network_self_url(ctx->cfg, ctx->cfg->http_port);
		a->urls[a->nurls++] = self;
	}
	if (network_crawl(o, a->urls, a->nurls, &m) != PKS_OK) {
		fprintf(stderr, "pksync: network: a URL is not "
				"http://host[:port]\n");
		status = EX_USAGE;
	} else if (a->trace != NULL) {
		network_trace(o, m, hex, hash);
	}
	if (status == EX_OK)
		status = render(m, a->form);
	network_map_free(m);
	free(self);
	return status;
}

int
cmd_network(struct cmd_ctx *ctx)
{
	struct network_opts o;
	struct net_args a;
	const char *why = NULL;
	int status;

	if ((status = parse_args(ctx, &a)) != EX_OK) {
		free(a.urls);
		return status;
	}
	if (network_opts_config(ctx->cfg, &o, &why) != PKS_OK) {
		fprintf(stderr, "pksync: %s\n", why);
		free(a.urls);
		return EX_CONFIG;
	}
	pgp_init();
	/* What other servers send is read without root (and the database
	 * is opened as its owner, so no file of it becomes root's). */
	status = cmd_priv_become_user(ctx->cfg, "network");
	if (status == EX_OK)
		status = crawl_and_trace(ctx, &o, &a);
	network_opts_free(&o);
	free(a.urls);
	return status;
}
