/*
 * cmd_dump.c: "pksync dump DIR" writes every key as SKS-style dump
 * files: binary keyrings DIR/pksync-dump-NNNN.pgp of DUMP_KEYS keys each,
 * which "pksync import" and "sks build"/"sks fastbuild" read back.
 * Each file is written under a temporary name and renamed when
 * complete; the dump is a consistent snapshot (one read transaction).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "cmd/cmd.h"
#include "store/store.h"
#include "util/log.h"

#define DUMP_KEYS 15000

struct dump {
	const char *dir;
	FILE *f;
	unsigned fileno;
	size_t inFile;
	size_t total;
	char tmp[4096];
	char final[4096];
	int failed;
};

static int
dump_close(struct dump *d)
{
	if (d->f == NULL)
		return 0;
	if (fclose(d->f) != 0) {
		d->f = NULL;
		log_warn("%s", d->tmp);
		return -1;
	}
	d->f = NULL;
	if (rename(d->tmp, d->final) == -1) {
		log_warn("rename %s", d->final);
		return -1;
	}
	return 0;
}

static int
dump_open(struct dump *d)
{
	snprintf(d->final, sizeof(d->final), "%s/pksync-dump-%04u.pgp", d->dir,
	    d->fileno);
	snprintf(d->tmp, sizeof(d->tmp), "%s/.pksync-dump-%04u.pgp.tmp", d->dir,
	    d->fileno);
	d->fileno++;
	d->inFile = 0;
	if ((d->f = fopen(d->tmp, "wb")) == NULL) {
		log_warn("%s", d->tmp);
		return -1;
	}
	return 0;
}

static int
dump_key(void *arg, const struct store_key *k)
{
	struct dump *d = arg;

	if (d->f == NULL && dump_open(d) == -1)
		goto fail;
	if (fwrite(k->data, 1, k->len, d->f) != k->len) {
		log_warn("%s", d->tmp);
		goto fail;
	}
	d->total++;
	if (++d->inFile == DUMP_KEYS && dump_close(d) == -1)
		goto fail;
	return 0;
fail:
	d->failed = 1;
	return PKS_ERR_IO;
}

int
cmd_dump(struct cmd_ctx *ctx)
{
	struct store *st = NULL;
	struct dump d;
	enum pks_rc rc;
	int status;

	if (ctx->argc != 2) {
		fprintf(stderr, "usage: pksync dump DIR\n");
		return EX_USAGE;
	}
	memset(&d, 0, sizeof(d));
	d.dir = ctx->argv[1];
	if (mkdir(d.dir, 0755) == -1 && errno != EEXIST) {
		log_warn("%s", d.dir);
		return EX_CANTCREAT;
	}
	if ((status = cmd_open_store(ctx->cfg, 0, &st)) != EX_OK)
		return status;
	rc = store_key_foreach(st, dump_key, &d);
	if (dump_close(&d) == -1)
		d.failed = 1;
	store_close(st);
	if (rc != PKS_OK || d.failed) {
		if (d.f != NULL)
			fclose(d.f);
		log_warnx("dump failed: %s", pks_rc_str(rc));
		return EX_IOERR;
	}
	printf("dump: %zu keys in %u files in %s\n", d.total, d.fileno, d.dir);
	return EX_OK;
}
