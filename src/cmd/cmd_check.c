/*
 * cmd_check.c: "pksync check" validates the configuration (printing
 * "configuration OK") and, when the database exists, checks it: SQLite
 * integrity, index consistency, and that every stored key parses and
 * still has the SKS hash it is stored under, and that the recon prefix
 * tree holds exactly the recon keys' hashes with correct sizes and
 * sample values, and that every outbox row is well formed and every
 * queued incremental is about a key the database holds.  "check
 * --rebuild-ptree" rebuilds the tree first, "check --rebuild-words"
 * the word table.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "cmd/cmd.h"
#include "pgp/pgp_fpr.h"
#include "pgp/pgp_key.h"
#include "store/store.h"
#include "store/store_outbox.h"
#include "store/store_ptree.h"
#include "store/store_words.h"
#include "util/log.h"

struct check {
	size_t nkeys;
	size_t nproblems;
};

static void
report(void *arg, const char *line)
{
	struct check *c = arg;

	c->nproblems++;
	printf("problem: %s\n", line);
}

static int
check_key(void *arg, const struct store_key *k)
{
	struct check *c = arg;
	struct pgp_key *key = NULL;
	struct pks_err err = { 0, NULL };
	uint8_t hash[16];
	char hex[33];

	c->nkeys++;
	if (pgp_key_parse(k->data, k->len, &key, &err) != PKS_OK) {
		printf("problem: key row %lld does not parse: %s\n",
		    (long long)k->id, err.why ? err.why : "?");
		c->nproblems++;
		return 0;
	}
	pgp_key_hash(key, hash);
	if (memcmp(hash, k->hash, 16) != 0) {
		pgp_hex(k->hash, 16, hex);
		printf("problem: key row %lld: stored hash %s does not match "
		       "its packets\n",
		    (long long)k->id, hex);
		c->nproblems++;
	}
	pgp_key_free(key);
	return 0;
}

/* Every queued incremental is about a key the database holds. */
struct outbox_walk {
	struct check *c;
	struct store *st;
	size_t nrows;
};

static int
check_outbox_row(void *arg, int64_t id, const uint8_t *body, size_t len)
{
	struct outbox_walk *w = arg;
	struct pgp_keyring_iter it;
	struct pks_err err = { 0, NULL };
	struct store_ids ids = { NULL, 0 };
	struct pgp_key *key = NULL;
	struct pgp_fpr f;
	const uint8_t *kp = NULL;
	size_t kl = 0;
	const char *why = NULL;

	w->nrows++;
	pgp_keyring_init(&it, body, len);
	if (pgp_keyring_next(&it, &kp, &kl, &err) != PKS_OK ||
	    pgp_key_parse(kp, kl, &key, &err) != PKS_OK)
		why = "holds no key that parses";
	else if (pgp_fpr_compute(key->key.body, key->key.len, &f, NULL) !=
		 PKS_OK)
		why = "holds a key without a fingerprint";
	else if (store_search_fpr(w->st, f.fpr, f.len, 1, &ids) != PKS_OK ||
		 ids.n == 0)
		why = "is about a key the database does not hold";
	if (why != NULL) {
		printf("problem: outbox row %lld %s\n", (long long)id, why);
		w->c->nproblems++;
	}
	store_ids_free(&ids);
	pgp_key_free(key);
	return 0;
}

/* The options: none, or what to rebuild first.  0: bad usage. */
static int
check_args(const struct cmd_ctx *ctx, int *tree, int *words)
{
	*tree = ctx->argc == 2 && strcmp(ctx->argv[1], "--rebuild-ptree") == 0;
	*words = ctx->argc == 2 && strcmp(ctx->argv[1], "--rebuild-words") == 0;
	return ctx->argc == 1 || *tree || *words;
}

int
cmd_check(struct cmd_ctx *ctx)
{
	struct store *st = NULL;
	struct outbox_walk ow;
	struct check c;
	struct stat sb;
	size_t nsql = 0, ntree = 0;
	int status, rebuild, rebuild_words;

	if (!check_args(ctx, &rebuild, &rebuild_words)) {
		fprintf(stderr, "usage: pksync check "
				"[--rebuild-ptree | --rebuild-words]\n");
		return EX_USAGE;
	}
	memset(&c, 0, sizeof(c));
	printf("configuration OK (%s)\n",
	    ctx->cfg->path ? ctx->cfg->path : "built-in defaults");
	if (stat(ctx->cfg->dbfile, &sb) == -1) {
		printf("no database at %s yet (run pksync init)\n",
		    ctx->cfg->dbfile);
		return EX_OK;
	}
	if ((status = cmd_priv_reader(ctx->cfg, "check")) != EX_OK)
		return status;
	if ((status = cmd_open_store(ctx->cfg, 0, &st)) != EX_OK)
		return status;
	ow.c = &c;
	ow.st = st;
	ow.nrows = 0;
	if (rebuild && store_ptree_rebuild(st, &ntree) == PKS_OK)
		printf("prefix tree rebuilt: %zu hashes\n", ntree);
	if (rebuild_words && store_words_rebuild(st) == PKS_OK)
		printf("word table rebuilt\n");
	if (store_check(st, report, &c, &nsql) != PKS_OK ||
	    store_key_foreach(st, check_key, &c) != PKS_OK ||
	    store_ptree_verify(st, report, &c, &ntree) != PKS_OK ||
	    store_outbox_incr_foreach(st, check_outbox_row, &ow) != PKS_OK) {
		store_close(st);
		log_warnx("database check could not run to the end");
		return EX_SOFTWARE;
	}
	store_close(st);
	printf("database %s: %zu keys, %zu queued incrementals, %zu problems\n",
	    ctx->cfg->dbfile, c.nkeys, ow.nrows, c.nproblems);
	return c.nproblems ? EX_DATAERR : EX_OK;
}
