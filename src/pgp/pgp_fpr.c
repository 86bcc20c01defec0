/*
 * pgp_fpr.c: fingerprints and key IDs, and the libgcrypt set-up that
 * every hash of src/pgp goes through.
 *
 * libgcrypt must see gcry_check_version() before its first use.
 * pgp_init() does that once per process (pthread_once), unless the
 * program initialised libgcrypt itself; every hashing function here
 * calls it, so callers need not, but may call it early at start-up.
 */
#include <config.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "pgp/pgp_fpr.h"
#include "pgp/pgp_int.h"
#include "util/log.h"
#include "util/xalloc.h"

static pthread_once_t gcry_once = PTHREAD_ONCE_INIT;

static void
gcry_setup(void)
{
	if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
		return;
	gcry_check_version(NULL);
	/* Only public data is hashed here: no secure memory needed. */
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
}

void
pgp_init(void)
{
	pthread_once(&gcry_once, gcry_setup);
}

void
pgp_md5(const void *p, size_t n, uint8_t out[16])
{
	pgp_init();
	gcry_md_hash_buffer(GCRY_MD_MD5, out, p, n);
}

struct pgp_md {
	gcry_md_hd_t h;
	int algo;
};

struct pgp_md *
pgp_md_open(int algo)
{
	struct pgp_md *md = xmalloc(sizeof(*md));

	pgp_init();
	md->algo = algo;
	if (gcry_md_open(&md->h, algo, 0) != 0)
		fatalx("libgcrypt: cannot open a hash context");
	return md;
}

void
pgp_md_write(struct pgp_md *md, const void *p, size_t n)
{
	gcry_md_write(md->h, p, n);
}

void
pgp_md_close(struct pgp_md *md, uint8_t *out, size_t dlen)
{
	memcpy(out, gcry_md_read(md->h, md->algo), dlen);
	gcry_md_close(md->h);
	free(md);
}

/* Fingerprint of a v4 key: SHA-1 over 0x99, 2-octet length, body. */
static enum pks_rc
fpr_v4(
    const uint8_t *body, size_t len, struct pgp_fpr *out, struct pks_err *err)
{
	struct pgp_md *md;
	uint8_t h[3];

	if (len < 6)
		return pks_fail(
		    err, 0, "truncated v4 key packet", PKS_ERR_PARSE);
	if (len > 0xffff)
		return pks_fail(
		    err, 0, "v4 key packet over 65535 octets", PKS_ERR_PARSE);
	h[0] = 0x99;
	h[1] = len >> 8;
	h[2] = len;
	md = pgp_md_open(GCRY_MD_SHA1);
	pgp_md_write(md, h, 3);
	pgp_md_write(md, body, len);
	pgp_md_close(md, out->fpr, 20);
	out->len = 20;
	memcpy(out->keyid, out->fpr + 12, 8);
	return PKS_OK;
}

/* v5 (prefix 0x9A) and v6 (0x9B): SHA-256 with a 4-octet length. */
static enum pks_rc
fpr_v56(
    const uint8_t *body, size_t len, struct pgp_fpr *out, struct pks_err *err)
{
	struct pgp_md *md;
	uint8_t h[5];

	if (len < 10)
		return pks_fail(
		    err, 0, "truncated v5/v6 key packet", PKS_ERR_PARSE);
	h[0] = body[0] == 5 ? 0x9a : 0x9b;
	h[1] = (uint32_t)len >> 24;
	h[2] = (uint32_t)len >> 16;
	h[3] = (uint32_t)len >> 8;
	h[4] = (uint32_t)len;
	md = pgp_md_open(GCRY_MD_SHA256);
	pgp_md_write(md, h, 5);
	pgp_md_write(md, body, len);
	pgp_md_close(md, out->fpr, 32);
	out->len = 32;
	memcpy(out->keyid, out->fpr, 8);
	return PKS_OK;
}

/*
 * v2/v3: key ID = low 64 bits of the first MPI (the RSA modulus n),
 * fingerprint = MD5 over the bodies of the first two MPIs (n and e).
 * Non-RSA v3 keys are treated alike; they do not occur in practice.
 */
static enum pks_rc
fpr_v3(
    const uint8_t *body, size_t len, struct pgp_fpr *out, struct pks_err *err)
{
	const uint8_t *mpi[2];
	size_t mlen[2], off = 8, i, bits;
	struct pgp_md *md;

	for (i = 0; i < 2; i++) {
		if (len < off + 2)
			return pks_fail(
			    err, off, "truncated v3 key MPI", PKS_ERR_PARSE);
		bits = pgp_be16(body + off);
		mlen[i] = (bits + 7) / 8;
		if (len - off - 2 < mlen[i])
			return pks_fail(
			    err, off, "truncated v3 key MPI", PKS_ERR_PARSE);
		mpi[i] = body + off + 2;
		off += 2 + mlen[i];
	}
	md = pgp_md_open(GCRY_MD_MD5);
	pgp_md_write(md, mpi[0], mlen[0]);
	pgp_md_write(md, mpi[1], mlen[1]);
	pgp_md_close(md, out->fpr, 16);
	out->len = 16;
	memset(out->keyid, 0, 8);
	if (mlen[0] >= 8)
		memcpy(out->keyid, mpi[0] + mlen[0] - 8, 8);
	else
		memcpy(out->keyid + 8 - mlen[0], mpi[0], mlen[0]);
	return PKS_OK;
}

enum pks_rc
pgp_fpr_compute(
    const uint8_t *body, size_t len, struct pgp_fpr *out, struct pks_err *err)
{
	memset(out, 0, sizeof(*out));
	if (len < 1)
		return pks_fail(err, 0, "empty key packet", PKS_ERR_PARSE);
	out->version = body[0];
	switch (body[0]) {
	case 2:
	case 3:
		return fpr_v3(body, len, out, err);
	case 4:
		return fpr_v4(body, len, out, err);
	case 5:
	case 6:
		return fpr_v56(body, len, out, err);
	default:
		return pks_fail(err, 0, "unsupported key packet version",
		    PKS_ERR_UNSUPPORTED);
	}
}

void
pgp_hex(const uint8_t *p, size_t n, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

uint64_t
pgp_keyid64(const uint8_t keyid[8])
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | keyid[i];
	return v;
}
