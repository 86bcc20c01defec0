/*
 * cmd_import.c: "pksync import [-q] [--no-mail] FILE..." merges
 * keyrings into the database: binary keyrings, SKS dump files (binary
 * keyrings too) and armored text, '-' for standard input.
 *
 * As with every other path, what the import adds is queued for every
 * peer of the mail sync list ([mail] peers_file).  --no-mail queues
 * nothing: for loading a dump the peers have already (a first import
 * of a whole keyserver would otherwise mail it to every peer).
 *
 * Binary input is cut into batches of keys and each batch goes through
 * ingest in one transaction, so a large import is fast and a crash
 * loses at most the batch in flight; importing the same file twice
 * changes nothing.  Progress is shown on a terminal; a summary line
 * ends the run.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "ingest/ingest.h"
#include "ingest/ingest.h"
#include "pgp/pgp_fpr.h"
#include "pgp/pgp_key.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/log.h"

#define BATCH_KEYS 2000
#define BATCH_BYTES (16u * 1024 * 1024)
#define STDIN_MAX (4ull * 1024 * 1024 * 1024)
#define BUSY_RETRIES 20

struct import {
	struct store *st;
	struct ingest_origin origin; /* import, with the sync list */
	struct ingest_stats stats;
	size_t nkeys;
	int progress;
	int quiet;
	time_t last;
	const char *file;
};

static void
on_key(void *arg, const struct ingest_result *r)
{
	struct import *im = arg;
	char hex[2 * PGP_FPR_MAX + 1] = "?";

	im->nkeys++;
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
	time_t now = time(NULL);

	if (!im->progress || (!final && now == im->last))
		return;
	im->last = now;
	fprintf(stderr,
	    "\r%zu keys: %zu new, %zu updated, %zu unchanged, "
	    "%zu refused%s",
	    im->nkeys, im->stats.nnew, im->stats.nupdated, im->stats.nunchanged,
	    im->stats.nrefused, final ? "\n" : "");
}

/* Ingest one slice, retrying while another writer holds the lock. */
static enum pks_rc
ingest_slice(struct import *im, const uint8_t *p, size_t n, int text)
{
	enum pks_rc rc;
	int i;

	for (i = 0;; i++) {
		rc = text ? ingest_text(im->st, &im->origin, (const char *)p, n,
				on_key, im, &im->stats)
			  : ingest_keyring(im->st, &im->origin, p, n, on_key,
				im, &im->stats);
		if (rc != PKS_ERR_BUSY || i == BUSY_RETRIES)
			return rc;
		log_info("database busy, retrying");
		sleep(1);
	}
}

/* Cut a binary keyring into batches of whole keys. */
static enum pks_rc
import_binary(struct import *im, const uint8_t *data, size_t len)
{
	struct pgp_keyring_iter it;
	const uint8_t *key;
	size_t keylen, start = 0, nbatch = 0;
	struct pks_err err = { 0, NULL };
	enum pks_rc rc;

	pgp_keyring_init(&it, data, len);
	for (;;) {
		key = NULL;
		rc = pgp_keyring_next(&it, &key, &keylen, &err);
		if (rc == PKS_ERR_NOTFOUND)
			break;
		if (rc == PKS_OK)
			nbatch++;
		if (rc != PKS_OK && key == NULL) {
			log_warnx("%s: offset %zu: %s; the rest of the file is "
				  "skipped",
			    im->file, err.off, err.why);
			len = err.off > start ? err.off : start;
			break;
		}
		if (nbatch >= BATCH_KEYS || it.off - start >= BATCH_BYTES) {
			rc = ingest_slice(im, data + start, it.off - start, 0);
			if (rc != PKS_OK)
				return rc;
			start = it.off;
			nbatch = 0;
			show_progress(im, 0);
		}
	}
	if (len > start)
		return ingest_slice(im, data + start, len - start, 0);
	return PKS_OK;
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
import_bytes(struct import *im, const uint8_t *p, size_t n)
{
	if (n == 0)
		return PKS_OK;
	if (looks_binary(p, n))
		return import_binary(im, p, n);
	return ingest_slice(im, p, n, 1);
}

static enum pks_rc
import_stdin(struct import *im)
{
	struct buf b;
	uint8_t chunk[65536];
	enum pks_rc rc = PKS_OK;
	ssize_t r;

	buf_init(&b, STDIN_MAX);
	while ((r = read(STDIN_FILENO, chunk, sizeof(chunk))) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			log_warn("stdin");
			rc = PKS_ERR_IO;
			goto out;
		}
		if ((rc = buf_add(&b, chunk, (size_t)r)) != PKS_OK)
			goto out;
	}
	rc = import_bytes(im, b.data, b.len);
out:
	buf_free(&b);
	return rc;
}

static enum pks_rc
import_file(struct import *im, const char *path)
{
	struct stat sb;
	void *map = MAP_FAILED;
	enum pks_rc rc;
	int fd;

	im->file = path;
	if (strcmp(path, "-") == 0) {
		im->file = "stdin";
		return import_stdin(im);
	}
	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &sb) == -1) {
		log_warn("%s", path);
		if (fd != -1)
			close(fd);
		return PKS_ERR_IO;
	}
	if (sb.st_size > 0)
		map = mmap(
		    NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (sb.st_size > 0 && map == MAP_FAILED) {
		log_warn("mmap %s", path);
		return PKS_ERR_IO;
	}
	rc =
	    sb.st_size > 0 ? import_bytes(im, map, (size_t)sb.st_size) : PKS_OK;
	if (map != MAP_FAILED)
		munmap(map, (size_t)sb.st_size);
	return rc;
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

int
cmd_import(struct cmd_ctx *ctx)
{
	struct import im;
	struct ingest_sync *sync = NULL;
	struct timespec t0, t1;
	double secs;
	enum pks_rc rc = PKS_OK;
	int i, status, no_mail = 0;

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
	im.progress = !im.quiet && isatty(STDERR_FILENO);
	if ((status = cmd_open_store(ctx->cfg, 1, &im.st)) != EX_OK) {
		ingest_sync_free(sync);
		return status;
	}
	if (store_tune_bulk(im.st) != PKS_OK)
		log_warnx("cannot enlarge the page cache; importing anyway");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = optind; i < ctx->argc && rc == PKS_OK; i++)
		rc = import_file(&im, ctx->argv[i]);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	show_progress(&im, 1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("import: %zu keys read: %zu new, %zu updated, %zu unchanged, "
	       "%zu refused in %.1f s; %zu mails queued; %zu self-signatures "
	       "verified (%.0f/s)\n",
	    im.nkeys, im.stats.nnew, im.stats.nupdated, im.stats.nunchanged,
	    im.stats.nrefused, secs, im.stats.nqueued, im.stats.nverified,
	    secs > 0 ? (double)im.stats.nverified / secs : 0.0);
	store_close(im.st);
	ingest_sync_free(sync);
	if (rc != PKS_OK) {
		log_warnx("import stopped: %s", pks_rc_str(rc));
		return pks_rc_sysexit(rc);
	}
	return EX_OK;
}
