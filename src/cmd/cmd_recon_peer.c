/*
 * cmd_recon_peer.c: "pksync recon-peer list | add HOST PORT |
 * remove HOST PORT" edits the recon membership file ([recon]
 * membership_file, SKS format "host port # comment").  Every other line,
 * comments included, is kept; the new file is written next to the old
 * one, synced and renamed over it, so a running serve (which re-reads
 * the file when its mtime changes) never sees half a file.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "recon/recon_gossip.h"
#include "util/buf.h"
#include "util/log.h"

#define MEMBERSHIP_MAX_FILE (1024u * 1024)

/* The file's bytes into b (a missing file is empty). */
static int
read_file(const char *path, struct buf *b)
{
	uint8_t chunk[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(b, chunk, n) != PKS_OK) {
			fclose(f);
			return -1;
		}
	fclose(f);
	return 0;
}

/* Replace path by b atomically (temporary file, fsync, rename), with
 * the old file's mode and (when root edits it) owner. */
static int
write_file(const char *path, const struct buf *b)
{
	char tmp[4096];
	struct stat sb;
	FILE *f;
	int ok, have_sb;

	have_sb = stat(path, &sb) == 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path,
		(long)getpid()) >= sizeof(tmp) ||
	    (f = fopen(tmp, "w")) == NULL)
		return -1;
	ok = fwrite(b->data, 1, b->len, f) == b->len && fflush(f) == 0;
	if (ok && have_sb)
		ok = fchmod(fileno(f), sb.st_mode & 07777) == 0 &&
		     (geteuid() != 0 ||
			 fchown(fileno(f), sb.st_uid, sb.st_gid) == 0);
	ok = ok && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Nonzero when line l names host and port. */
static int
line_is(const char *l, size_t n, const char *host, unsigned port)
{
	struct recon_member *m = NULL;
	size_t nm = 0;
	int same;

	recon_membership_parse(l, n, &m, &nm);
	same = nm == 1 && strcasecmp(m[0].host, host) == 0 && m[0].port == port;
	free(m);
	return same;
}

/* Copy every line not naming host/port into out; *found counts them. */
static void
filter_lines(const struct buf *in, const char *host, unsigned port,
    struct buf *out, int *found)
{
	const char *t = (const char *)in->data;
	size_t off = 0, e;

	*found = 0;
	while (off < in->len) {
		for (e = off; e < in->len && t[e] != '\n'; e++)
			;
		if (line_is(t + off, e - off, host, port))
			(*found)++;
		else
			buf_add(
			    out, t + off, e < in->len ? e + 1 - off : e - off);
		off = e + 1;
	}
	if (out->len > 0 && out->data[out->len - 1] != '\n')
		buf_addc(out, '\n');
}

static int
list(const char *path)
{
	struct buf b;
	struct recon_member *m = NULL;
	size_t n = 0, i;

	buf_init(&b, MEMBERSHIP_MAX_FILE);
	if (read_file(path, &b) != 0) {
		log_warn("cannot read %s", path);
		buf_free(&b);
		return EX_IOERR;
	}
	recon_membership_parse((const char *)b.data, b.len, &m, &n);
	for (i = 0; i < n; i++)
		printf("%s %u\n", m[i].host, m[i].port);
	free(m);
	buf_free(&b);
	return EX_OK;
}

static int
edit(const char *path, int add, const char *host, const char *portstr)
{
	struct buf in, out;
	char *end, line[400];
	unsigned long port = strtoul(portstr, &end, 10);
	int found = 0, status = EX_OK;

	if (*end != '\0' || port == 0 || port > 65535 || *host == '\0' ||
	    strpbrk(host, " \t#\n") != NULL || strlen(host) > 255) {
		fprintf(stderr, "pksync: bad host or port\n");
		return EX_USAGE;
	}
	buf_init(&in, MEMBERSHIP_MAX_FILE);
	buf_init(&out, MEMBERSHIP_MAX_FILE + sizeof(line));
	if (read_file(path, &in) != 0) {
		log_warn("cannot read %s", path);
		status = EX_IOERR;
		goto out;
	}
	filter_lines(&in, host, (unsigned)port, &out, &found);
	if (add && found) {
		printf("%s %lu is already a recon peer\n", host, port);
		goto out;
	}
	if (!add && !found) {
		fprintf(
		    stderr, "pksync: %s %lu is not a recon peer\n", host, port);
		status = EX_DATAERR;
		goto out;
	}
	if (add) {
		snprintf(line, sizeof(line), "%s %lu\n", host, port);
		buf_adds(&out, line);
	}
	if (write_file(path, &out) != 0) {
		log_warn("cannot write %s", path);
		status = EX_IOERR;
	}
out:
	buf_free(&in);
	buf_free(&out);
	return status;
}

int
cmd_recon_peer(struct cmd_ctx *ctx)
{
	const char *path = ctx->cfg->membership_file;

	if (ctx->argc == 2 && strcmp(ctx->argv[1], "list") == 0)
		return list(path);
	if (ctx->argc == 4 && strcmp(ctx->argv[1], "add") == 0)
		return edit(path, 1, ctx->argv[2], ctx->argv[3]);
	if (ctx->argc == 4 && strcmp(ctx->argv[1], "remove") == 0)
		return edit(path, 0, ctx->argv[2], ctx->argv[3]);
	fprintf(stderr, "usage: pksync recon-peer list | add HOST PORT | "
			"remove HOST PORT\n");
	return EX_USAGE;
}
