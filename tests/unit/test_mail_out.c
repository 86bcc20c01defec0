/*
 * test_mail_out.c: the outgoing mail side without a network: composing
 * an incremental (PKS header set and order, one armored block, PKS
 * packet encoding).  The sync list file is tested in test_peers.c.
 */
#include <config.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "ingest/ingest.h"
#include "mail/mail_outgoing.h"
#include "pgp/pgp_armor.h"
#include "pgp/pgp_packet.h"
#include "util/buf.h"
#include "util/log.h"

static char dir[64];
static uint8_t *key;
static size_t keylen;

/* The test key with every packet in new-format framing, and (photo)
 * a variant of only the key packet, a user attribute and a signature. */
static int
reframe(struct buf *out, int photo)
{
	struct pgp_packet pkt;
	struct pks_err err;
	size_t off = 0;
	int nsig = 0;

	while (pgp_packet_next(key, keylen, &off, &pkt, &err) == PKS_OK) {
		if (photo && pkt.tag == PGP_TAG_UID) {
			pkt.tag = PGP_TAG_UAT;   /* same bytes, another tag */
		} else if (photo && (pkt.tag != PGP_TAG_PUBKEY &&
		    (pkt.tag != PGP_TAG_SIG || nsig++ > 0))) {
			continue;
		}
		if (pkt.len >= 8384 ||
		    buf_addc(out, (uint8_t)(0xc0 | pkt.tag)) != PKS_OK)
			return 0;
		if (pkt.len < 192 && buf_addc(out, (uint8_t)pkt.len) != PKS_OK)
			return 0;
		if (pkt.len >= 192 && (buf_addc(out,
		    (uint8_t)(((pkt.len - 192) >> 8) + 192)) != PKS_OK ||
		    buf_addc(out, (uint8_t)((pkt.len - 192) & 0xff)) != PKS_OK))
			return 0;
		if (buf_add(out, pkt.body, pkt.len) != PKS_OK)
			return 0;
	}
	return 1;
}

/* Every packet of bin is old-format. */
static int
all_old_format(const uint8_t *bin, size_t len, size_t *npk)
{
	struct pgp_packet pkt;
	struct pks_err err;
	size_t off = 0, at;

	*npk = 0;
	for (;;) {
		at = off;
		if (pgp_packet_next(bin, len, &off, &pkt, &err) != PKS_OK)
			return off == len;
		if ((bin[at] & 0x40) != 0 || pkt.tag >= 16)
			return 0;
		(*npk)++;
	}
}

static void
test_pks_encoding(void)
{
	struct buf nf, out;
	size_t nkeys = 0, npk = 0;

	buf_init(&nf, 1u << 20);
	buf_init(&out, 1u << 20);
	CHECK(reframe(&nf, 0) && (nf.data[0] & 0x40) != 0);
	CHECK(mail_out_pks_keys(nf.data, nf.len, &out, &nkeys) == PKS_OK);
	CHECK(nkeys == 1 && all_old_format(out.data, out.len, &npk) &&
	    npk >= 3);
	/* A delta of only a photo ID: nothing PKS can read, left out. */
	buf_reset(&nf);
	buf_reset(&out);
	nkeys = 0;
	CHECK(reframe(&nf, 1));
	CHECK(mail_out_pks_keys(nf.data, nf.len, &out, &nkeys) == PKS_OK);
	CHECK(nkeys == 0 && out.len == 0);
	/* Garbage is skipped, not fatal. */
	CHECK(mail_out_pks_keys((const uint8_t *)"\x99junk", 5, &out,
	    &nkeys) == PKS_OK && nkeys == 0);
	buf_free(&nf);
	buf_free(&out);
}

/* Run mail_out_pks_keys on data with stderr captured into *log
 * (caller frees). */
static enum pks_rc
pks_keys_logged(const uint8_t *data, size_t len, struct buf *out,
    size_t *nkeys, char **log)
{
	char path[160];
	size_t n = 0;
	int fd, saved;
	enum pks_rc rc;

	snprintf(path, sizeof(path), "%s/stderr", dir);
	*log = NULL;
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (saved == -1 || fd == -1 || dup2(fd, 2) == -1)
		return PKS_ERR_IO;
	close(fd);
	rc = mail_out_pks_keys(data, len, out, nkeys);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	*log = (char *)tap_read_file(path, &n);
	unlink(path);
	return rc;
}

/* v5/v6 keys and keys with a v5/v6 subkey are never sent to PKS. */
static void
test_pks_versions(void)
{
	uint8_t *v6;
	size_t v6len = 0, nkeys = 0;
	struct buf in, out, alone;
	char *log = NULL;

	v6 = tap_read_file(tap_srcpath("tests/fuzz/corpus/key/v6"), &v6len);
	CHECK(v6 != NULL && v6len == 98);
	if (v6 == NULL || v6len != 98)
		return;
	buf_init(&in, 1u << 20);
	buf_init(&out, 1u << 20);
	buf_init(&alone, 1u << 20);
	CHECK(mail_out_pks_keys(key, keylen, &alone, &nkeys) == PKS_OK &&
	    nkeys == 1);
	/* A v6 key alone: nothing, and a log line naming why. */
	nkeys = 0;
	CHECK(pks_keys_logged(v6, v6len, &out, &nkeys, &log) == PKS_OK);
	CHECK(nkeys == 0 && out.len == 0);
	CHECK(log != NULL && strstr(log, "left out of the incremental: a "
	    "v5/v6 key, which PKS cannot read") != NULL);
	free(log);
	/* Next to a v4 key: only the v4 key, as it is sent alone. */
	nkeys = 0;
	CHECK(buf_add(&in, v6, v6len) == PKS_OK &&
	    buf_add(&in, key, keylen) == PKS_OK);
	CHECK(mail_out_pks_keys(in.data, in.len, &out, &nkeys) == PKS_OK);
	CHECK(nkeys == 1 && out.len == alone.len &&
	    memcmp(out.data, alone.data, out.len) == 0);
	/* A v4 key with a v6 subkey (the v6 file's tag-14 packet). */
	buf_reset(&in);
	buf_reset(&out);
	nkeys = 0;
	CHECK(buf_add(&in, key, keylen) == PKS_OK &&
	    buf_add(&in, v6 + 54, v6len - 54) == PKS_OK && v6[54] == 0xce);
	CHECK(pks_keys_logged(in.data, in.len, &out, &nkeys, &log) == PKS_OK);
	CHECK(nkeys == 0 && out.len == 0);
	CHECK(log != NULL && strstr(log, "a v5/v6 subkey") != NULL);
	free(log);
	buf_free(&in);
	buf_free(&out);
	buf_free(&alone);
	free(v6);
}

static void
test_incremental_message(void)
{
	static const char head[] =
	    "To: pgp-public-keys@b.test\n"
	    "From: admin@a.test\n"
	    "Subject: incremental\n"
	    "X-KeyServer-Sent: pgp-public-keys@c.test\n"
	    "X-KeyServer-Sent: pgp-public-keys@a.test\n"
	    "Precedence: list\n"
	    "MIME-Version: 1.0\n"
	    "Content-type: application/pgp-keys\n"
	    "\n"
	    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n";
	struct buf out, bin;
	struct pks_err err = { 0, NULL };
	size_t off = 0;

	buf_init(&out, 1u << 20);
	buf_init(&bin, 1u << 20);
	CHECK(mail_out_incremental("admin@a.test", "pgp-public-keys@b.test",
	    "pgp-public-keys@c.test\npgp-public-keys@a.test", key, keylen,
	    &out) == PKS_OK);
	CHECK(out.len > sizeof(head) &&
	    memcmp(out.data, head, sizeof(head) - 1) == 0);
	/* One armored block holding the key. */
	CHECK(pgp_armor_next((const char *)out.data, out.len, &off, &bin,
	    &err) == PKS_OK && bin.len == keylen &&
	    memcmp(bin.data, key, keylen) == 0);
	CHECK(!pgp_armor_present((const char *)out.data + off,
	    out.len - off));
	/* A value that could forge a header is refused. */
	buf_reset(&out);
	CHECK(mail_out_incremental("admin@a.test", "b@b.test",
	    "a@a.test\r\nBcc: x@evil.test", key, keylen, &out) ==
	    PKS_ERR_PARSE);
	CHECK(mail_out_incremental("admin@a.test", "b@b.test\nBcc: x@y",
	    "a@a.test", key, keylen, &out) == PKS_ERR_PARSE);
	buf_free(&out);
	buf_free(&bin);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	key = tap_read_file(tap_srcpath("tests/data/pgp/eddsa.pgp"), &keylen);
	snprintf(dir, sizeof(dir), "%s/pks-mailout-XXXXXX",
	    tmp != NULL && strlen(tmp) < 40 ? tmp : "/tmp");
	if (key == NULL || mkdtemp(dir) == NULL) {
		tap_skip("mail_out", "no test key or no temp dir");
		return tap_done();
	}
	log_init("test_mail_out", LOG_LVL_INFO);
	RUN(test_pks_encoding);
	RUN(test_pks_versions);
	RUN(test_incremental_message);
	rmdir(dir);
	free(key);
	return tap_done();
}
