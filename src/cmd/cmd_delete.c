/*
 * cmd_delete.c: "pksync delete FINGERPRINT --reason TEXT" removes a key
 * for good (a court order, a GDPR request, illegal content in a user
 * ID) and keeps a tombstone so that no path brings it back;
 * "pksync delete --list" shows the tombstones and "pksync undelete
 * FINGERPRINT" lifts one.  The work is ingest_delete/ingest_undelete,
 * one transaction each.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cmd/cmd.h"
#include "ingest/ingest.h"
#include "store/store.h"
#include "store/store_query.h"
#include "store/store_tombstone.h"
#include "util/log.h"
#include "util/utc.h"

#define DELETE_USAGE                                                           \
	"usage: pksync delete FINGERPRINT --reason TEXT | pksync delete "      \
	"--list\n"
#define UNDELETE_USAGE "usage: pksync undelete FINGERPRINT\n"

/* The fingerprint in s (hex, with or without 0x; v3, v4, v5 or v6). */
static int
parse_fpr(const char *s, struct store_query *q)
{
	struct pks_err err = { 0, NULL };
	char term[80];

	if (strncmp(s, "0x", 2) == 0 || strncmp(s, "0X", 2) == 0)
		s += 2;
	if (strlen(s) > 64)
		return 0;
	snprintf(term, sizeof(term), "0x%s", s);
	if (store_query_parse(term, strlen(term), 0, q, &err) != PKS_OK ||
	    q->kind != STORE_QUERY_FPR) {
		fprintf(stderr,
		    "pksync: '%s' is not a full fingerprint (32, 40 or 64 "
		    "hex digits)\n",
		    s);
		return 0;
	}
	return 1;
}

static void
print_tombstone(void *arg, const struct store_tombstone *t)
{
	char when[32];

	(void)arg;
	printf("%s  %s UTC  %s\n", t->fpr,
	    utc_text(t->created, UTC_SECOND, "-", when, sizeof(when)),
	    t->reason);
}

static int
delete_list(struct store *st)
{
	enum pks_rc rc = store_tombstone_list(st, print_tombstone, NULL);

	if (rc != PKS_OK)
		log_warnx("delete --list: %s", store_errmsg(st));
	return pks_rc_sysexit(rc);
}

static int
delete_one(struct store *st, const struct store_query *q, const char *reason)
{
	char hex[2 * 32 + 1];
	enum pks_rc rc;
	int removed = 0;
	size_t i;

	for (i = 0; i < q->len; i++)
		snprintf(hex + 2 * i, 3, "%02X", q->bin[i]);
	rc = ingest_delete(st, q->bin, q->len, reason, &removed);
	if (rc != PKS_OK) {
		log_warnx("delete key=%s: %s (%s)", hex, pks_rc_str(rc),
		    store_errmsg(st));
		return pks_rc_sysexit(rc);
	}
	log_info("delete key=%s removed=%s reason=%s", hex,
	    removed ? "yes" : "no (not stored; tombstone only)", reason);
	printf("%s: %s; tombstone kept: %s\n", hex,
	    removed ? "removed" : "not stored here", reason);
	return EX_OK;
}

/* The arguments: --list, or FINGERPRINT --reason TEXT (either order). */
static int
delete_args(
    struct cmd_ctx *ctx, const char **fpr, const char **reason, int *list)
{
	int i;

	*fpr = *reason = NULL;
	*list = 0;
	for (i = 1; i < ctx->argc; i++) {
		if (strcmp(ctx->argv[i], "--list") == 0)
			*list = 1;
		else if (strcmp(ctx->argv[i], "--reason") == 0 &&
			 i + 1 < ctx->argc)
			*reason = ctx->argv[++i];
		else if (*fpr == NULL && ctx->argv[i][0] != '-')
			*fpr = ctx->argv[i];
		else
			return 0;
	}
	if (*list)
		return *fpr == NULL && *reason == NULL;
	return *fpr != NULL && *reason != NULL && **reason != '\0';
}

int
cmd_delete(struct cmd_ctx *ctx)
{
	struct store_query q;
	struct store *st = NULL;
	const char *fpr, *reason;
	int list, status;

	if (!delete_args(ctx, &fpr, &reason, &list)) {
		fputs(DELETE_USAGE, stderr);
		return EX_USAGE;
	}
	if (!list && !parse_fpr(fpr, &q))
		return EX_DATAERR;
	if ((status = cmd_priv_become_user(ctx->cfg, "delete")) != EX_OK ||
	    (status = cmd_open_store(ctx->cfg, 0, &st)) != EX_OK)
		return status;
	status = list ? delete_list(st) : delete_one(st, &q, reason);
	store_close(st);
	return status;
}

int
cmd_undelete(struct cmd_ctx *ctx)
{
	struct store_query q;
	struct store *st = NULL;
	enum pks_rc rc;
	int status;

	if (ctx->argc != 2) {
		fputs(UNDELETE_USAGE, stderr);
		return EX_USAGE;
	}
	if (!parse_fpr(ctx->argv[1], &q))
		return EX_DATAERR;
	if ((status = cmd_priv_become_user(ctx->cfg, "undelete")) != EX_OK ||
	    (status = cmd_open_store(ctx->cfg, 0, &st)) != EX_OK)
		return status;
	rc = ingest_undelete(st, q.bin, q.len);
	if (rc == PKS_ERR_NOTFOUND)
		fprintf(stderr, "pksync: %s has no tombstone\n", ctx->argv[1]);
	else if (rc != PKS_OK)
		log_warnx(
		    "undelete: %s (%s)", pks_rc_str(rc), store_errmsg(st));
	else
		printf("%s: tombstone lifted; the key may come back by any "
		       "path\n",
		    ctx->argv[1]);
	store_close(st);
	return pks_rc_sysexit(rc);
}
