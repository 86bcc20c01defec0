/*
 * cmd_stats.c: "pksync stats [--json]" takes one snapshot of the
 * server's state (stats/stats_snapshot.h) and prints it as text, or as
 * the same JSON that op=stats&options=mr answers (stats_render.h).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cmd/cmd.h"
#include "stats/stats_render.h"
#include "stats/stats_snapshot.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/log.h"

/* The longest answer (a snapshot is bounded by its lists' caps). */
#define STATS_OUT_MAX (16u * 1024 * 1024)

int
cmd_stats(struct cmd_ctx *ctx)
{
	struct stats_snapshot *snap = NULL;
	struct store *st = NULL;
	struct buf out;
	int json = 0, status;
	enum pks_rc rc;

	if (ctx->argc == 2 && strcmp(ctx->argv[1], "--json") == 0)
		json = 1;
	else if (ctx->argc != 1) {
		fprintf(stderr, "usage: pksync stats [--json]\n");
		return EX_USAGE;
	}
	if ((status = cmd_priv_reader(ctx->cfg, "stats")) != EX_OK)
		return status;
	if ((status = cmd_open_store(ctx->cfg, 0, &st)) != EX_OK)
		return status;
	buf_init(&out, STATS_OUT_MAX);
	rc = stats_snapshot_take(st, ctx->cfg, &snap);
	store_close(st);
	if (rc == PKS_OK)
		rc = json ? stats_render_json(snap, &out)
			  : stats_render_text(snap, &out);
	if (rc == PKS_OK && fwrite(out.data, 1, out.len, stdout) != out.len)
		rc = PKS_ERR_IO;
	if (rc != PKS_OK) {
		log_warnx("cannot read statistics: %s", pks_rc_str(rc));
		status = EX_SOFTWARE;
	}
	stats_snapshot_free(snap);
	buf_free(&out);
	return status;
}
