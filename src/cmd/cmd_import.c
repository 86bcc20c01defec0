/*
 * cmd_import.c: "pksync import [-q] [--no-mail] FILE..." merges
 * keyrings into the database: binary keyrings, SKS dump files
 * (sks-dump-NNNN.pgp, concatenated binary keyrings) and armored text,
 * '-' for standard input.
 *
 * As with every other path, what the import adds is queued for every
 * peer of the mail sync list ([mail] peers_file).  --no-mail queues
 * nothing: for loading a dump the peers have already (a first import
 * of a whole keyserver would otherwise mail it to every peer).
 *
 * Binary input is read in pieces of [import] read_size bytes, never
 * whole: a 14 GB dump needs no more memory than a small file.  A piece
 * holds whole keys; a key cut by the end of a piece waits for the next
 * read, and a key larger than [keys] max_bytes is skipped packet by
 * packet.  Keys go through ingest in transactions of [import]
 * batch_keys keys (bulk_batch_keys into an empty database: store_bulk.h),
 * so a large import writes each index page once per batch and a crash
 * loses at most the batch in flight; importing the
 * same file twice changes nothing.  Progress (keys, keys/s, percent of
 * the bytes) is shown on a terminal; each commit is logged with its
 * time, and a summary line ends the run.
 *
 * The work on a key that needs no database (parsing, verifying its
 * self-signatures, its index facts and hash) runs in [import] threads
 * threads, at most [import] keys_in_flight keys ahead of the key being
 * written; keys are written in input order whatever the number.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "ingest/ingest.h"
#include "pgp/pgp_fpr.h"
#include "pgp/pgp_key.h"
#include "pgp/pgp_packet.h"
#include "store/store.h"
#include "store/store_bulk.h"
#include "store/store_words.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/xalloc.h"

#define BUSY_RETRIES 20
/* The longest packet header: what must be in memory to skip a packet. */
#define HDR_MAX 6

struct import {
	struct store *st;
	struct ingest_origin origin; /* import, with the sync list */
	struct ingest_stats stats;
	struct ingest_txn *txn; /* the open transaction, or NULL */
	size_t batch_keys;      /* keys per transaction */
	size_t threads;         /* [import] threads, 0 resolved */
	size_t inflight;        /* [import] keys_in_flight */
	size_t nbatch;          /* keys in the open transaction */
	size_t nbatches;        /* transactions committed */
	int64_t batch_ms;       /* when the open transaction began */
	size_t nkeys;           /* keys read */
	int bulk;               /* store_bulk_begin's answer */
	int progress;
	int quiet;
	int64_t t0_ms, last_ms;
	uint64_t total; /* bytes of all inputs (0: unknown) */
	uint64_t done;  /* bytes of the inputs before this one */
	uint64_t at;    /* bytes of this input consumed */
	const char *file;
};

/* The input window: b.data[pos..b.len) is not consumed yet. */
struct reader {
	int fd;
	struct buf b;
	size_t pos;
	size_t cap;   /* window size: one key of max_bytes + read_size */
	size_t chunk; /* bytes read at a time */
	int eof;
	uint64_t skip; /* bytes still to drop (inside an oversized key) */
	int oversized; /* dropping packets until the next key */
};

static void show_progress(struct import *im, int final);

static void
on_key(void *arg, const struct ingest_result *r)
{
	struct import *im = arg;
	char hex[2 * PGP_FPR_MAX + 1] = "?";

	im->nkeys++;
	show_progress(im, 0);
	if (r->outcome == INGEST_REFUSED && !im->quiet) {
		if (r->have_fpr)
			pgp_hex(r->fpr.fpr, r->fpr.len, hex);
		log_warnx("%s: key %s refused: %s", im->file, hex,
		    r->why ? r->why : "unusable");
	}
}

static void
show_progress(struct import *im, int final)
{
	int64_t now = clock_ms();
	double secs = (double)(now - im->t0_ms) / 1000.0;
	char pct[32] = "";

	if (!im->progress || (!final && now - im->last_ms < 1000))
		return;
	im->last_ms = now;
	if (im->total > 0)
		snprintf(pct, sizeof(pct), ", %.1f%% of the bytes",
		    100.0 * (double)(im->done + im->at) / (double)im->total);
	fprintf(stderr,
	    "\r%zu keys (%.0f/s%s): %zu new, %zu updated, %zu unchanged, "
	    "%zu refused   %s",
	    im->nkeys, secs > 0 ? (double)im->nkeys / secs : 0.0, pct,
	    im->stats.nnew, im->stats.nupdated, im->stats.nunchanged,
	    im->stats.nrefused, final ? "\n" : "");
}

static enum pks_rc txn_close(struct import *im, enum pks_rc rc);

/* Open a transaction, retrying while another writer holds the lock. */
static enum pks_rc
txn_open(struct import *im)
{
	enum pks_rc rc;
	int i;

	if (im->txn != NULL)
		return PKS_OK;
	for (i = 0;; i++) {
		rc =
		    ingest_txn_begin(im->st, &im->origin, on_key, im, &im->txn);
		if (rc != PKS_ERR_BUSY || i == BUSY_RETRIES)
			break;
		log_info("database busy, retrying");
		sleep(1);
	}
	if (rc == PKS_OK)
		ingest_txn_threads(im->txn, im->threads, im->inflight);
	/* The word index of a batch's new keys is built at its commit. */
	if (rc == PKS_OK && (rc = store_words_defer(im->st)) != PKS_OK)
		return txn_close(im, rc);
	im->batch_ms = clock_ms();
	return rc;
}

/* End the open transaction (commit unless rc); returns the final rc. */
static enum pks_rc
txn_close(struct import *im, enum pks_rc rc)
{
	if (im->txn == NULL)
		return rc;
	rc = ingest_txn_end(im->txn, rc, &im->stats);
	im->txn = NULL;
	if (rc == PKS_OK && im->nbatch > 0) {
		im->nbatches++;
		if (!im->quiet)
			log_info("import: batch %zu: %zu keys in %.1f s "
				 "(%zu keys in all)",
			    im->nbatches, im->nbatch,
			    (double)(clock_ms() - im->batch_ms) / 1000.0,
			    im->nkeys);
	}
	im->nbatch = 0;
	show_progress(im, 0);
	return rc;
}

/* Merge a piece of nkeys whole keys; commit when the batch is full. */
static enum pks_rc
ingest_piece(struct import *im, const uint8_t *p, size_t n, size_t nkeys)
{
	enum pks_rc rc;

	if (n == 0)
		return PKS_OK;
	if ((rc = txn_open(im)) != PKS_OK)
		return rc;
	if ((rc = ingest_txn_keyring(im->txn, p, n)) != PKS_OK)
		return txn_close(im, rc);
	im->nbatch += nkeys;
	if (im->nbatch >= im->batch_keys)
		return txn_close(im, PKS_OK);
	return PKS_OK;
}

/* Read until the window is full or the input ends. */
static enum pks_rc
fill(struct import *im, struct reader *r)
{
	uint8_t *dst;
	size_t want;
	ssize_t got;

	if (r->pos > 0) {
		memmove(r->b.data, r->b.data + r->pos, r->b.len - r->pos);
		r->b.len -= r->pos;
		r->pos = 0;
	}
	while (!r->eof && r->b.len < r->cap) {
		want =
		    r->cap - r->b.len < r->chunk ? r->cap - r->b.len : r->chunk;
		if (buf_reserve(&r->b, want, &dst) != PKS_OK)
			return PKS_ERR_NOMEM;
		got = read(r->fd, dst, want);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1) {
			log_warn("%s", im->file);
			return PKS_ERR_IO;
		}
		r->eof = got == 0;
		r->b.len += (size_t)got;
	}
	return PKS_OK;
}

static void
consume(struct import *im, struct reader *r, size_t n)
{
	r->pos += n;
	im->at += n;
}

/*
 * Drop the rest of a key too large for the window, packet by packet,
 * up to the next public-key packet.  Returns 1 when more input is
 * needed, 0 when done (or at a framing error: the rest is dropped).
 */
static int
skip_oversized(struct import *im, struct reader *r)
{
	struct pks_err err = { 0, NULL };
	size_t avail, hl, bl, n;
	unsigned tag;

	for (;;) {
		avail = r->b.len - r->pos;
		if (r->skip > 0) {
			n = r->skip < avail ? (size_t)r->skip : avail;
			consume(im, r, n);
			r->skip -= n;
			if (r->skip > 0)
				return !r->eof;
			continue;
		}
		if (avail == 0 || (avail < HDR_MAX && !r->eof))
			return avail == 0 ? !r->eof : 1;
		if (pgp_packet_header(r->b.data + r->pos, avail, &tag, &hl, &bl,
			&err) != PKS_OK) {
			log_warnx(
			    "%s: offset %llu: %s; the rest of the file is "
			    "skipped",
			    im->file, (unsigned long long)im->at, err.why);
			r->skip = UINT64_MAX;
			return !r->eof;
		}
		if (tag == PGP_TAG_PUBKEY && r->oversized == 2) {
			r->oversized = 0;
			return 0;
		}
		r->oversized = 2; /* past the key's own first packet */
		r->skip = (uint64_t)hl + bl;
	}
}

/*
 * Merge the whole keys in the window and consume them.  A key cut off
 * by the end of the window stays for the next read; *stuck is set when
 * not even one key fits the window (a key over [keys] max_bytes).
 */
static enum pks_rc
drain(struct import *im, struct reader *r, int *stuck)
{
	struct pgp_keyring_iter it;
	struct pks_err err = { 0, NULL };
	const uint8_t *key, *base = r->b.data + r->pos;
	size_t keylen, start = 0, end = 0, n = 0;
	enum pks_rc rc;

	*stuck = 0;
	pgp_keyring_init(&it, base, r->b.len - r->pos);
	for (;;) {
		key = NULL;
		rc = pgp_keyring_next(&it, &key, &keylen, &err);
		if (rc == PKS_ERR_NOTFOUND)
			break;
		/* A key (or a bad header) at the very end may be cut off. */
		if (!r->eof && (key == NULL || it.off == it.len))
			break;
		if (rc != PKS_OK && key == NULL) {
			log_warnx("%s: offset %llu: %s; the rest of the file "
				  "is skipped",
			    im->file,
			    (unsigned long long)(im->at + err.off - start),
			    err.why);
			r->skip = UINT64_MAX;
			break;
		}
		end = it.off;
		if (++n + im->nbatch < im->batch_keys)
			continue;
		rc = ingest_piece(im, base + start, end - start, n);
		consume(im, r, end - start);
		if (rc != PKS_OK)
			return rc;
		start = end;
		n = 0;
	}
	rc = ingest_piece(im, base + start, end - start, n);
	consume(im, r, end - start);
	*stuck = end == 0 && r->pos < r->b.len && !r->eof &&
		 r->b.len == r->cap && r->skip == 0;
	return rc;
}

/* A binary keyring or SKS dump, read a window at a time. */
static enum pks_rc
import_binary(struct import *im, struct reader *r)
{
	enum pks_rc rc = PKS_OK;
	int stuck;

	for (;;) {
		if ((rc = fill(im, r)) != PKS_OK)
			break;
		if ((r->skip > 0 || r->oversized) && skip_oversized(im, r))
			continue;
		if (r->pos == r->b.len && r->eof)
			break;
		if ((rc = drain(im, r, &stuck)) != PKS_OK)
			break;
		if (stuck) {
			log_warnx("%s: offset %llu: a key larger than [keys] "
				  "max_bytes is skipped",
			    im->file, (unsigned long long)im->at);
			r->oversized = 1;
		}
		if (r->eof && r->pos == r->b.len)
			break;
		if (r->eof && r->skip == UINT64_MAX)
			break;
	}
	return rc;
}

/* Armored text: read whole (at most PKS_MAX_ARMOR), one transaction. */
static enum pks_rc
import_text(struct import *im, struct reader *r)
{
	enum pks_rc rc;

	r->cap = PKS_MAX_ARMOR;
	if ((rc = fill(im, r)) != PKS_OK)
		return rc;
	if (!r->eof) {
		log_warnx("%s: armored text over %u bytes: import it as a "
			  "binary keyring",
		    im->file, PKS_MAX_ARMOR);
		return PKS_ERR_TOOBIG;
	}
	if ((rc = txn_close(im, PKS_OK)) != PKS_OK)
		return rc;
	rc = ingest_text(im->st, &im->origin, (const char *)r->b.data, r->b.len,
	    on_key, im, &im->stats);
	im->at = r->b.len;
	return rc;
}

static int
looks_binary(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')
			continue;
		return (p[i] & 0x80) != 0;
	}
	return 0;
}

static enum pks_rc
import_fd(struct import *im, int fd, size_t chunk)
{
	struct reader r;
	enum pks_rc rc;

	memset(&r, 0, sizeof(r));
	r.fd = fd;
	r.chunk = chunk;
	r.cap = pks_key_limits()->max_bytes + chunk;
	buf_init(&r.b, r.cap > PKS_MAX_ARMOR ? r.cap : PKS_MAX_ARMOR);
	im->at = 0;
	/* The first read tells binary from armored text. */
	r.cap = chunk;
	rc = fill(im, &r);
	r.cap = pks_key_limits()->max_bytes + chunk;
	if (rc == PKS_OK && r.b.len > 0)
		rc = looks_binary(r.b.data, r.b.len) ? import_binary(im, &r)
						     : import_text(im, &r);
	buf_free(&r.b);
	return rc;
}

static enum pks_rc
import_file(struct import *im, const char *path, size_t chunk)
{
	enum pks_rc rc;
	int fd;

	im->file = path;
	if (strcmp(path, "-") == 0) {
		im->file = "stdin";
		return import_fd(im, STDIN_FILENO, chunk);
	}
	if ((fd = open(path, O_RDONLY)) == -1) {
		log_warn("%s", path);
		return PKS_ERR_IO;
	}
	rc = import_fd(im, fd, chunk);
	close(fd);
	im->done += im->at;
	return rc;
}

/* Bytes of all named files, for the percentage (0: unknown, stdin). */
static uint64_t
total_bytes(char **files, int n)
{
	struct stat sb;
	uint64_t sum = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (strcmp(files[i], "-") == 0)
			return 0;
		if (stat(files[i], &sb) == 0 && S_ISREG(sb.st_mode))
			sum += (uint64_t)sb.st_size;
	}
	return sum;
}

/* [import] threads, where 0 means one per online CPU. */
static size_t
import_threads(size_t conf)
{
	long n;

	if (conf > 0)
		return conf;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (size_t)n : 1;
}

/* An empty database: the bulk load (store_bulk.h). */
static enum pks_rc
bulk_start(struct import *im, int bulk_conf)
{
	enum pks_rc rc;

	if ((rc = store_bulk_begin(im->st, bulk_conf, &im->bulk)) != PKS_OK) {
		log_warnx("import: %s", store_errmsg(im->st));
		return rc;
	}
	if (im->bulk < 0) {
		log_warnx("import: the database is open elsewhere (pksync "
			  "serve?): every index is written key by key");
		im->bulk = 0;
	}
	if (im->bulk == 2)
		log_info("import: finishing an import into an empty database "
			 "that did not finish");
	else if (im->bulk && !im->quiet)
		log_info("import: empty database: some search indexes and the "
			 "prefix tree are built after the keys");
	return PKS_OK;
}

/* After every key: the indexes and the tree of a bulk load. */
static enum pks_rc
bulk_end(struct import *im, enum pks_rc rc)
{
	int64_t t0 = clock_ms();

	if (rc != PKS_OK || !im->bulk)
		return rc;
	if ((rc = store_bulk_finish(im->st)) != PKS_OK) {
		log_warnx(
		    "import: building the indexes: %s", store_errmsg(im->st));
		return rc;
	}
	if (!im->quiet)
		log_info("import: indexes and prefix tree built in %.1f s",
		    (double)(clock_ms() - t0) / 1000.0);
	return PKS_OK;
}

#define IMPORT_USAGE "usage: pksync import [-q] [--no-mail] FILE...\n"

/* Options; returns -1 on a usage error. */
static int
parse_args(struct cmd_ctx *ctx, struct import *im, int *no_mail)
{
	static const struct option opts[] = {
		{ "no-mail", no_argument, NULL, 'M' }, { NULL, 0, NULL, 0 }
	};
	int ch;

	optind = 1;
	while (
	    (ch = getopt_long(ctx->argc, ctx->argv, "q", opts, NULL)) != -1) {
		if (ch == 'q')
			im->quiet = 1;
		else if (ch == 'M')
			*no_mail = 1;
		else
			return -1;
	}
	return optind < ctx->argc ? 0 : -1;
}

/* Every file, then the last commit; the summary line. */
static enum pks_rc
import_all(struct cmd_ctx *ctx, struct import *im)
{
	enum pks_rc rc = PKS_OK;
	double secs;
	int i;

	im->total = total_bytes(ctx->argv + optind, ctx->argc - optind);
	im->t0_ms = im->last_ms = clock_ms();
	for (i = optind; i < ctx->argc && rc == PKS_OK; i++)
		rc = import_file(im, ctx->argv[i], ctx->cfg->import_chunk);
	rc = txn_close(im, rc);
	show_progress(im, 1);
	secs = (double)(clock_ms() - im->t0_ms) / 1000.0;
	printf("import: %zu keys read: %zu new, %zu updated, %zu unchanged, "
	       "%zu refused in %.1f s; %zu mails queued; %zu self-signatures "
	       "verified (%.0f/s)\n",
	    im->nkeys, im->stats.nnew, im->stats.nupdated, im->stats.nunchanged,
	    im->stats.nrefused, secs, im->stats.nqueued, im->stats.nverified,
	    secs > 0 ? (double)im->stats.nverified / secs : 0.0);
	return rc;
}

int
cmd_import(struct cmd_ctx *ctx)
{
	struct import im;
	struct ingest_sync *sync = NULL;
	enum pks_rc rc;
	int status, no_mail = 0;

	memset(&im, 0, sizeof(im));
	if (parse_args(ctx, &im, &no_mail) != 0) {
		fprintf(stderr, IMPORT_USAGE);
		return EX_USAGE;
	}
	if ((status = cmd_priv_become_user(ctx->cfg, "import")) != EX_OK)
		return status;
	if (!no_mail && ingest_sync_read(ctx->cfg->peers_file,
			    ctx->cfg->this_site, &sync) != PKS_OK)
		return EX_IOERR;
	im.origin.src = INGEST_IMPORT;
	im.origin.sync = sync;
	im.batch_keys = ctx->cfg->import_batch_keys;
	im.threads = import_threads(ctx->cfg->import_threads);
	im.inflight = ctx->cfg->import_inflight;
	im.progress = !im.quiet && isatty(STDERR_FILENO);
	if ((status = cmd_open_store(ctx->cfg, CMD_OPEN_IMPORT, &im.st)) !=
	    EX_OK) {
		ingest_sync_free(sync);
		return status;
	}
	if (store_tune_bulk(im.st, ctx->cfg->import_cache) != PKS_OK)
		log_warnx("cannot enlarge the page cache; importing anyway");
	rc = bulk_start(&im, ctx->cfg->import_bulk);
	/* Nobody else writes meanwhile: nobody waits for a longer batch. */
	if (im.bulk)
		im.batch_keys = ctx->cfg->import_bulk_batch;
	if (rc == PKS_OK)
		rc = bulk_end(&im, import_all(ctx, &im));
	store_close(im.st);
	ingest_sync_free(sync);
	if (rc != PKS_OK) {
		log_warnx("import stopped: %s", pks_rc_str(rc));
		return pks_rc_sysexit(rc);
	}
	return EX_OK;
}
