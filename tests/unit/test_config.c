/*
 * test_config.c: unit tests of the configuration reader.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "util/config.h"
#include "util/limits.h"

static char tmpdir[] = "/tmp/pks-config-XXXXXX";

static const char *
write_conf(const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/pksync.conf", tmpdir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void
test_defaults(void)
{
	struct pks_config *cfg = NULL;
	char *msg = NULL;

	CHECK(config_load(write_conf(""), &cfg, &msg) == PKS_OK);
	CHECK(cfg != NULL && cfg->http_port == 11371);
	CHECK(cfg != NULL && strcmp(cfg->http_host, "127.0.0.1") == 0);
	CHECK(cfg != NULL && strcmp(cfg->dbfile, "/var/lib/pksync/pksync.db") == 0);
	CHECK(cfg != NULL && cfg->recon_listen == NULL);
	CHECK(cfg != NULL && cfg->gossip_interval == 60);
	CHECK(cfg != NULL && strcmp(cfg->this_site, "pgp-public-keys@localhost") == 0);
	config_free(cfg);
	free(msg);
}

/* The HKP limits: defaults, and trusted_proxies must hold addresses. */
static void
test_limits(void)
{
	struct pks_config *cfg = NULL;
	char *msg = NULL;

	CHECK(config_load(write_conf(""), &cfg, &msg) == PKS_OK);
	CHECK(cfg != NULL && cfg->max_conns_per_addr == 16 &&
	    cfg->header_timeout == 10 && cfg->body_budget == 67108864 &&
	    cfg->add_per_minute == 20 && cfg->trusted_proxies[0] == '\0');
	config_free(cfg);
	CHECK(config_load(write_conf("[server]\ntrusted_proxies = 127.0.0.1, "
	    "::1 10.0.0.2\n"), &cfg, &msg) == PKS_OK);
	config_free(cfg);
	cfg = NULL;
	CHECK(config_load(write_conf("[server]\ntrusted_proxies = 127.0.0.1, "
	    "proxy.example\n"), &cfg, &msg) == PKS_ERR_CONFIG);
	CHECK(cfg == NULL && msg != NULL && strstr(msg, "proxy.example"));
	free(msg);
	msg = NULL;
	CHECK(config_load(write_conf("[server]\nbody_budget = 1048576\n"),
	    &cfg, &msg) == PKS_ERR_CONFIG);
	free(msg);
}

/* [keys] served_certs_prefer: known (default) or newest, in force. */
static void
test_served_prefer(void)
{
	struct pks_config *cfg = NULL;
	char *msg = NULL;

	CHECK(config_load(write_conf(""), &cfg, &msg) == PKS_OK);
	CHECK(pks_key_limits()->served_known == 1);
	config_free(cfg);
	CHECK(config_load(write_conf("[keys]\nserved_certs_prefer = newest\n"),
	    &cfg, &msg) == PKS_OK);
	CHECK(pks_key_limits()->served_known == 0);
	config_free(cfg);
	cfg = NULL;
	CHECK(config_load(write_conf("[keys]\nserved_certs_prefer = oldest\n"),
	    &cfg, &msg) == PKS_ERR_CONFIG);
	CHECK(cfg == NULL && msg != NULL &&
	    strstr(msg, "served_certs_prefer") != NULL &&
	    strstr(msg, "oldest") != NULL);
	free(msg);
	msg = NULL;
	CHECK(config_load(write_conf(""), &cfg, &msg) == PKS_OK);
	CHECK(pks_key_limits()->served_known == 1);
	config_free(cfg);
}

static void
test_values_and_paths(void)
{
	struct pks_config *cfg = NULL;
	char *msg = NULL, want[300];

	CHECK(config_load(write_conf(
	    "# comment\n[server]\ndatadir = data   # inline comment\n"
	    "http_listen = 127.0.0.1:0\nhostname = keys.example.org\n"
	    "max_matches = 20\n[mail]\nthis_site = a@b.example\n"
	    "[recon]\nlisten = 127.0.0.1:11370\ngossip_interval = 0\n"), &cfg,
	    &msg) == PKS_OK);
	snprintf(want, sizeof(want), "%s/data", tmpdir);
	CHECK(cfg != NULL && strcmp(cfg->datadir, want) == 0);
	CHECK(cfg != NULL && cfg->http_port == 0);
	CHECK(cfg != NULL && cfg->max_matches == 20);
	CHECK(cfg != NULL && strcmp(cfg->recon_listen, "127.0.0.1:11370") == 0);
	CHECK(cfg != NULL && strcmp(cfg->this_site, "a@b.example") == 0);
	CHECK(cfg != NULL && cfg->gossip_interval == 0); /* only answers */
	config_free(cfg);
	free(msg);
}

static void
expect_error(const char *text, const char *needle)
{
	struct pks_config *cfg = NULL;
	char *msg = NULL;

	CHECK(config_load(write_conf(text), &cfg, &msg) == PKS_ERR_CONFIG);
	CHECK(cfg == NULL);
	CHECK(msg != NULL && strstr(msg, needle) != NULL);
	if (msg != NULL && strstr(msg, needle) == NULL)
		printf("# message: %s\n", msg);
	free(msg);
}

static void
test_errors(void)
{
	expect_error("[server]\nbogus = 1\n", "pksync.conf:2: unknown key");
	expect_error("[nosuch]\n", ":1: unknown section");
	expect_error("datadir = x\n", "outside of a [section]");
	expect_error("[server]\nmax_matches = 0\n", "out of range");
	expect_error("[server]\nmax_matches = 12x\n", "out of range");
	expect_error("[server]\nhttp_listen = nohost\n", "host:port");
	expect_error("[server]\nhostname = a\nhostname = b\n", "given twice");
	expect_error("[server\n", "malformed section");
	expect_error("[server]\njust words\n", "key = value");
}

/* metrics: a yes/no switch and an allow list of networks. */
static void
test_metrics(void)
{
	struct pks_config *cfg = NULL;
	char *msg = NULL;

	CHECK(config_load(write_conf(""), &cfg, &msg) == PKS_OK);
	CHECK(cfg != NULL && cfg->metrics == 1 &&
	    strcmp(cfg->metrics_allow, "127.0.0.0/8 ::1") == 0);
	config_free(cfg);
	free(msg);
	CHECK(config_load(write_conf("[server]\nmetrics = no\n"
				     "metrics_allow = 10.0.0.0/8, fd00::/8\n"),
	    &cfg, &msg) == PKS_OK);
	CHECK(cfg != NULL && cfg->metrics == 0);
	config_free(cfg);
	free(msg);
	expect_error("[server]\nmetrics = maybe\n", ":2: value must be yes or no");
	expect_error("[server]\nmetrics_allow = 10.0.0.0/33\n",
	    ":2: metrics_allow must list IP networks: bad prefix length");
	expect_error("[server]\nmetrics_allow = example.org\nhostname = x\n",
	    ":2: metrics_allow must list IP networks: not an IP address");
}

/* maintainer and this_site: validated when read, display names kept. */
static void
test_addresses(void)
{
	struct pks_config *cfg = NULL;
	char *msg = NULL;

	CHECK(config_load(write_conf("[mail]\n"
				     "maintainer = Keyserver Admin "
				     "<admin@example.org>\n"
				     "this_site = PKS <pgp-public-keys@example.org>\n"),
	    &cfg, &msg) == PKS_OK);
	CHECK(cfg != NULL && strcmp(cfg->maintainer,
	    "Keyserver Admin <admin@example.org>") == 0);
	CHECK(cfg != NULL && strcmp(cfg->maintainer_addr,
	    "admin@example.org") == 0);
	CHECK(cfg != NULL && strcmp(cfg->this_site,
	    "pgp-public-keys@example.org") == 0);
	config_free(cfg);
	free(msg);
	CHECK(config_load(write_conf("[mail]\n"
				     "maintainer = J. Doe <j@example.org>\n"),
	    &cfg, &msg) == PKS_OK);
	CHECK(cfg != NULL && strcmp(cfg->maintainer,
	    "\"J. Doe\" <j@example.org>") == 0);
	config_free(cfg);
	free(msg);
	CHECK(config_load(write_conf(""), &cfg, &msg) == PKS_OK);
	CHECK(cfg != NULL && strcmp(cfg->maintainer,
	    "keyserver-admin@localhost") == 0 &&
	    strcmp(cfg->maintainer_addr, "keyserver-admin@localhost") == 0);
	config_free(cfg);
	free(msg);
	expect_error("[mail]\n\nmaintainer = admin\n", ":3: maintainer must");
	expect_error("[mail]\nmaintainer = Admin <a@b\n", "maintainer must");
	expect_error("[mail]\nmaintainer = a b@example.org\n",
	    "maintainer must");
	expect_error("[mail]\nmaintainer = x\"y <a@example.org>\n",
	    "maintainer must");
	expect_error("[mail]\nmaintainer = a@@example.org\n",
	    "maintainer must");
	expect_error("[mail]\nthis_site = pgp-public-keys@\n",
	    ":2: this_site must");
	expect_error("[mail]\nthis_site = .a@example.org\n",
	    "this_site must");
	expect_error("[mail]\nthis_site = a@example..org\n",
	    "this_site must");
}

static void
test_missing_file(void)
{
	struct pks_config *cfg = NULL;
	char *msg = NULL;

	CHECK(config_load("/nonexistent/pksync.conf", &cfg, &msg) ==
	    PKS_ERR_CONFIG);
	CHECK(msg != NULL && strstr(msg, "cannot open") != NULL);
	free(msg);
}

static void
test_hostport(void)
{
	char *h = NULL;
	uint16_t port = 0;

	CHECK(config_parse_hostport("[::1]:11370", &h, &port) == PKS_OK);
	CHECK(h != NULL && strcmp(h, "::1") == 0 && port == 11370);
	free(h);
	CHECK(config_parse_hostport("host:65536", &h, &port) != PKS_OK);
	CHECK(config_parse_hostport(":80", &h, &port) != PKS_OK);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return 99;
	RUN(test_defaults);
	RUN(test_limits);
	RUN(test_served_prefer);
	RUN(test_values_and_paths);
	RUN(test_errors);
	RUN(test_addresses);
	RUN(test_metrics);
	RUN(test_missing_file);
	RUN(test_hostport);
	unlink(write_conf(""));
	rmdir(tmpdir);
	return tap_done();
}
