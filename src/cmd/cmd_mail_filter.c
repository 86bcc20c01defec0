/*
 * cmd_mail_filter.c: "pksync mail-filter [--dry-run]", run by the MTA
 * as a pipe with one message on standard input.
 *
 * Exit status (sysexits, what Postfix's local(8) and pipe(8) act on):
 *   0  (EX_OK)       handled, also when deliberately ignored (logged)
 *   65 (EX_DATAERR)  a message that can never be used: larger than
 *                    [mail] max_mail_size, or not a message at all; the
 *                    MTA returns it to its sender
 *   75 (EX_TEMPFAIL) anything else that went wrong (database busy or
 *                    locked beyond busy_timeout_ms, disk full, out of
 *                    memory, database missing or unreadable): the MTA
 *                    keeps the message and tries again later
 * $SENDER (set by Postfix local(8)) empty means a null envelope sender.
 * With --dry-run a reply is written to standard output instead of the
 * outgoing queue (keys are still merged).  Each outcome (handled,
 * ignored, refused, tempfail) is counted in the database for /metrics,
 * but for a tempfail because the database could not be opened.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "mail/mail_cmd.h"
#include "ingest/ingest.h"
#include "mail/mail_parse.h"
#include "store/store.h"
#include "store/store_counters.h"
#include "util/buf.h"
#include "util/log.h"

static int
filter_status(enum pks_rc rc)
{
	if (rc == PKS_OK)
		return EX_OK;
	if (rc == PKS_ERR_PARSE || rc == PKS_ERR_TOOBIG)
		return EX_DATAERR;
	return EX_TEMPFAIL;
}

/* How long a tempfail's count may wait for the write lock (ms): the
 * database is likely busy, and the MTA should not wait much longer. */
#define TEMPFAIL_COUNT_WAIT_MS 250

/* The database, opened for one message (STORE_SHORT: commits do not
 * wait for the disk, put_on_disk does; no checkpoint at exit). */
static int
open_store(const struct pks_config *cfg, struct store **st)
{
	enum pks_rc rc;

	rc = store_open(cfg->dbfile, STORE_SHORT, cfg->busy_timeout_ms, st);
	if (rc != PKS_OK) {
		log_warnx(
		    "cannot open database %s: %s", cfg->dbfile, pks_rc_str(rc));
		return pks_rc_sysexit(rc);
	}
	return EX_OK;
}

/* The outcome label of the mail_filtered counter. */
static const char *
outcome_label(int status, int ignored)
{
	if (status == EX_OK)
		return ignored ? "ignored" : "handled";
	return status == EX_DATAERR ? "refused" : "tempfail";
}

/*
 * With filter_sync, what the message changed is on disk before the MTA
 * hears 0 (and drops the message): one fdatasync of the WAL for all of
 * this process's commits, after the write lock is released.  A failure
 * is a tempfail: the MTA keeps the message and merging it again
 * changes nothing more.
 */
static enum pks_rc
put_on_disk(const struct pks_config *cfg, struct store *st, enum pks_rc rc)
{
	if (rc != PKS_OK || !cfg->filter_sync || store_sync(st) == PKS_OK)
		return rc;
	log_warnx("mail: %s", store_errmsg(st));
	return PKS_ERR_IO;
}

/*
 * Count the outcome: one small write of its own after the work, so it
 * never changes what the MTA is told.  A message turned away before
 * the database was opened opens it for this.  One turned away because
 * the database could not be opened (open_failed: a schema older than
 * this binary, a bulk import, a lock held too long, a missing file) is
 * not counted: a second open would fail the same way, log the same
 * warnings again and keep the MTA waiting once more.  A tempfail waits
 * at most TEMPFAIL_COUNT_WAIT_MS for the lock, so one caused by a
 * database locked for longer is usually not counted.  The count is not
 * synced (a later message's sync or checkpoint puts it on disk): a mail
 * that changes nothing (a key stored already) then costs no fsync at
 * all, and one that does costs one, not two; a power cut may lose a
 * count, never a key.
 */
static void
count_outcome(const struct pks_config *cfg, struct store **st, int open_failed,
    int status, int ignored)
{
	const char *label = outcome_label(status, ignored);
	int wait_ms = cfg->busy_timeout_ms;

	if (status == EX_TEMPFAIL && wait_ms > TEMPFAIL_COUNT_WAIT_MS)
		wait_ms = TEMPFAIL_COUNT_WAIT_MS;
	if (*st == NULL && (open_failed || open_store(cfg, st) != EX_OK))
		return;
	if (store_counter_bump(*st, STORE_CTR_MAIL_FILTERED, label, wait_ms) !=
	    PKS_OK)
		log_info("mail: outcome %s not counted: %s", label,
		    store_errmsg(*st));
}

static int
parse_args(struct cmd_ctx *ctx, int *dry_run)
{
	int i;

	*dry_run = 0;
	for (i = 1; i < ctx->argc; i++) {
		if (strcmp(ctx->argv[i], "--dry-run") == 0) {
			*dry_run = 1;
			continue;
		}
		fprintf(stderr, "usage: pksync mail-filter [--dry-run]\n");
		return -1;
	}
	return 0;
}

int
cmd_mail_filter(struct cmd_ctx *ctx)
{
	const struct pks_config *cfg = ctx->cfg;
	struct mail_ctx mc;
	struct ingest_sync *sync = NULL;
	struct store *st = NULL;
	struct buf in;
	enum pks_rc rc;
	int dry_run, open_failed = 0;

	memset(&mc, 0, sizeof(mc));
	if (parse_args(ctx, &dry_run) != 0)
		return EX_USAGE;
	/* Refused as root: 75, so the MTA keeps the message. */
	if (cmd_priv_become_user(cfg, "mail-filter") != EX_OK)
		return EX_TEMPFAIL;
	buf_init(&in, cfg->max_mail_size + 1);
	rc = mail_read(STDIN_FILENO, cfg->max_mail_size, &in);
	if (rc == PKS_ERR_TOOBIG) {
		log_warnx("mail: message refused: larger than max_mail_size "
			  "(%zu bytes)",
		    cfg->max_mail_size);
		goto out;
	}
	if (rc != PKS_OK) {
		log_warnx("mail: reading the message: %s", pks_rc_str(rc));
		goto out;
	}
	/* What the mail adds is queued for the sync peers. */
	if (ingest_sync_read(cfg->peers_file, cfg->this_site, &sync) !=
	    PKS_OK) {
		rc = PKS_ERR_IO;
		goto out;
	}
	if (open_store(cfg, &st) != EX_OK) {
		open_failed = 1;
		rc = PKS_ERR_IO;
		goto out;
	}
	mc.cfg = cfg;
	mc.st = st;
	mc.env_sender = getenv("SENDER");
	mc.dry_run = dry_run;
	mc.out = stdout;
	mc.sync = sync;
	rc = put_on_disk(
	    cfg, st, mail_handle(&mc, (const char *)in.data, in.len));
out:
	count_outcome(cfg, &st, open_failed, filter_status(rc), mc.ignored);
	store_close(st);
	ingest_sync_free(sync);
	buf_free(&in);
	if (rc != PKS_OK)
		log_info(
		    "mail: exit %d (%s)", filter_status(rc), pks_rc_str(rc));
	return filter_status(rc);
}
