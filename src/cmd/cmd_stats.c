/*
 * cmd_stats.c: "pksync stats [--json]" prints the number of keys and the
 * new and updated keys per day, as text or JSON.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cmd/cmd.h"
#include "store/store.h"
#include "util/log.h"

#define STATS_DAYS 14

static void
print_text(const struct pks_config *cfg, int64_t n,
    const struct store_day *days, size_t ndays)
{
	size_t i;

	printf("hostname: %s\ndatabase: %s\nkeys: %lld\n", cfg->hostname,
	    cfg->dbfile, (long long)n);
	printf("%-10s %8s %8s\n", "day", "new", "updated");
	for (i = 0; i < ndays; i++)
		printf("%-10s %8lld %8lld\n", days[i].day,
		    (long long)days[i].nnew, (long long)days[i].nupdated);
}

static void
print_json(int64_t n, const struct store_day *days, size_t ndays)
{
	size_t i;

	printf("{\"keys\":%lld,\"daily\":[", (long long)n);
	for (i = 0; i < ndays; i++)
		printf("%s{\"day\":\"%s\",\"new\":%lld,\"updated\":%lld}",
		    i ? "," : "", days[i].day, (long long)days[i].nnew,
		    (long long)days[i].nupdated);
	printf("]}\n");
}

int
cmd_stats(struct cmd_ctx *ctx)
{
	struct store *st = NULL;
	struct store_day *days = NULL;
	size_t ndays = 0;
	int64_t n = 0;
	int json = 0, status;

	if (ctx->argc == 2 && strcmp(ctx->argv[1], "--json") == 0)
		json = 1;
	else if (ctx->argc != 1) {
		fprintf(stderr, "usage: pksync stats [--json]\n");
		return EX_USAGE;
	}
	if ((status = cmd_open_store(ctx->cfg, 0, &st)) != EX_OK)
		return status;
	if (store_count_keys(st, &n) != PKS_OK ||
	    store_stats_days(st, STATS_DAYS, &days, &ndays) != PKS_OK) {
		store_close(st);
		log_warnx("cannot read statistics");
		return EX_SOFTWARE;
	}
	store_close(st);
	if (json)
		print_json(n, days, ndays);
	else
		print_text(ctx->cfg, n, days, ndays);
	free(days);
	return EX_OK;
}
