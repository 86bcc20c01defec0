/*
 * keygen.c: deterministic generator of synthetic, valid OpenPGP keys for
 * the pksync benchmarks and interop tests.
 *
 * Key number N is a v4 Ed25519 primary key (EdDSA, algorithm 22) whose
 * secret seed is SHA-256("pksync-bench" || N as 8 bytes big-endian), with
 * one or two user IDs, a positive self-certification (0x13) on each, an
 * ECDH cv25519 subkey with its binding signature (0x18), and N % 4
 * third-party certifications (0x10) by keys N+1, N+2 and N+5 on the first
 * user ID.  Every byte depends only on N, so two runs with overlapping
 * ranges (-s START -n COUNT) produce identical keys where they overlap.
 * All signatures are real and verify (EdDSA over SHA-256).  The curve
 * arithmetic is Nettle's (about five times faster than libgcrypt's
 * here); hashes are libgcrypt's.  Ed25519 and X25519 are deterministic,
 * so the bytes do not depend on the library.
 *
 * Usage: keygen [-n COUNT] [-s START] [-o FILE] [-a DIR] [-i FILE] [-j JOBS]
 *   -o FILE   binary keyring (default stdout unless -a is given)
 *   -a DIR    also write each key armored to DIR/0xFPR.asc
 *   -i FILE   index: "FPR KEYID N word word ..." per key
 *   -j JOBS   worker processes (default 2)
 */
#include <errno.h>
#include <gcrypt.h>
#include <nettle/curve25519.h>
#include <nettle/eddsa.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BASE_TIME 1577836800u          /* 2020-01-01 */
#define SPAN_TIME 94608000u            /* three years */
#define NCERT_OFFS 3
#define MAX_OFF 5
#define KEYBUF 8192

static const unsigned cert_offs[NCERT_OFFS] = { 1, 2, 5 };

static const unsigned char oid_ed25519[] = {
	0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01
};
static const unsigned char oid_cv25519[] = {
	0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01
};

static const char *const syllables[32] = {
	"ka", "lo", "mi", "nu", "pe", "ra", "so", "ti", "vu", "we", "xa",
	"yo", "zu", "be", "ci", "do", "fa", "gu", "hi", "jo", "ke", "la",
	"mo", "ni", "po", "qu", "ri", "sa", "te", "vo", "wu", "zi"
};

/* one primary key: its seed, public point (0x40 || A) and packet body */
struct pubkey {
	unsigned char seed[32];
	unsigned char q[33];
	unsigned char body[64];
	size_t blen;
	unsigned char fpr[20];
	uint32_t created;
};

struct out {
	unsigned char *p;
	size_t len, cap;
};

static void
die(const char *what)
{
	fprintf(stderr, "keygen: %s\n", what);
	exit(1);
}

static void
out_put(struct out *o, const void *p, size_t n)
{
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2;
		o->p = realloc(o->p, o->cap);
		if (o->p == NULL)
			die("out of memory");
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
}

static void
out_byte(struct out *o, unsigned b)
{
	unsigned char c = (unsigned char)b;

	out_put(o, &c, 1);
}

static void
out_be(struct out *o, uint32_t v, int bytes)
{
	while (bytes-- > 0)
		out_byte(o, (v >> (8 * bytes)) & 0xFF);
}

/* an old-format packet header (what gpg writes for tags < 16) */
static void
out_packet(struct out *o, unsigned tag, const void *body, size_t len)
{
	if (len < 256) {
		out_byte(o, 0x80 | (tag << 2));
		out_byte(o, (unsigned)len);
	} else {
		out_byte(o, 0x80 | (tag << 2) | 1);
		out_be(o, (uint32_t)len, 2);
	}
	out_put(o, body, len);
}

/* an MPI from a big-endian byte string, leading zeros stripped */
static void
out_mpi(struct out *o, const unsigned char *p, size_t n)
{
	unsigned bits;

	while (n > 0 && *p == 0) {
		p++;
		n--;
	}
	bits = n == 0 ? 0 : (unsigned)(n - 1) * 8;
	if (n > 0) {
		unsigned c = p[0];

		while (c) {
			bits++;
			c >>= 1;
		}
	}
	out_be(o, bits, 2);
	out_put(o, p, n);
}

static void
seed_for(uint64_t n, const char *label, unsigned char seed[32])
{
	unsigned char in[64];
	size_t l = strlen(label);
	int i;

	memcpy(in, label, l);
	for (i = 0; i < 8; i++)
		in[l + i] = (unsigned char)(n >> (56 - 8 * i));
	gcry_md_hash_buffer(GCRY_MD_SHA256, seed, in, l + 8);
}

static uint32_t
created_for(uint64_t n)
{
	return BASE_TIME + (uint32_t)((n * 977u) % SPAN_TIME);
}

/* RFC 8032 public key A of the seed, as an OpenPGP point (0x40 || A) */
static void
ed25519_public(const unsigned char seed[32], unsigned char q[33])
{
	q[0] = 0x40;
	ed25519_sha512_public_key(q + 1, seed);
}

static void
fpr_of(const unsigned char *body, size_t len, unsigned char fpr[20])
{
	unsigned char hdr[3] = { 0x99, (unsigned char)(len >> 8),
		(unsigned char)len };
	gcry_md_hd_t h;

	if (gcry_md_open(&h, GCRY_MD_SHA1, 0))
		die("md open");
	gcry_md_write(h, hdr, 3);
	gcry_md_write(h, body, len);
	memcpy(fpr, gcry_md_read(h, 0), 20);
	gcry_md_close(h);
}

static void
pubkey_make(uint64_t n, struct pubkey *k)
{
	struct out o = { NULL, 0, 0 };

	seed_for(n, "pksync-bench", k->seed);
	ed25519_public(k->seed, k->q);
	k->created = created_for(n);
	out_byte(&o, 4);
	out_be(&o, k->created, 4);
	out_byte(&o, 22);
	out_byte(&o, sizeof(oid_ed25519));
	out_put(&o, oid_ed25519, sizeof(oid_ed25519));
	out_mpi(&o, k->q, 33);
	memcpy(k->body, o.p, o.len);
	k->blen = o.len;
	free(o.p);
	fpr_of(k->body, k->blen, k->fpr);
}

static void
subkey_body(uint64_t n, struct out *o)
{
	unsigned char seed[32], pub[33];
	static const unsigned char kdf[4] = { 0x03, 0x01, 0x08, 0x07 };

	seed_for(n, "pksync-bench-sub", seed);
	seed[0] &= 248;
	seed[31] &= 127;
	seed[31] |= 64;
	pub[0] = 0x40;
	curve25519_mul_g(pub + 1, seed);
	out_byte(o, 4);
	out_be(o, created_for(n), 4);
	out_byte(o, 18);
	out_byte(o, sizeof(oid_cv25519));
	out_put(o, oid_cv25519, sizeof(oid_cv25519));
	out_mpi(o, pub, 33);
	out_put(o, kdf, sizeof(kdf));
}

/* Ed25519 over the digest: R || S, 32 octets each (RFC 8032) */
static void
eddsa_sign(const struct pubkey *signer, const unsigned char dig[32],
    unsigned char rs[64])
{
	ed25519_sha512_sign(signer->q + 1, signer->seed, 32, dig, rs);
}

/* hash the "0x99 len16 body" form of a key packet */
static void
hash_key(gcry_md_hd_t h, const unsigned char *body, size_t len)
{
	unsigned char hdr[3] = { 0x99, (unsigned char)(len >> 8),
		(unsigned char)len };

	gcry_md_write(h, hdr, 3);
	gcry_md_write(h, body, len);
}

static void
subpacket(struct out *o, unsigned type, const void *p, size_t len)
{
	out_byte(o, (unsigned)len + 1);
	out_byte(o, type);
	out_put(o, p, len);
}

/*
 * One v4 signature packet of type `type` by `signer` over the context
 * already written to h (key, uid or subkey); `extra` are additional
 * hashed subpackets.  Appends the packet to o.
 */
static void
signature(struct out *o, gcry_md_hd_t h, unsigned type,
    const struct pubkey *signer, uint32_t when, const struct out *extra)
{
	struct out hs = { NULL, 0, 0 }, sp = { NULL, 0, 0 }, pk = { NULL, 0, 0 };
	unsigned char t[4], ifpr[21], trailer[6], rs[64], dig[32];

	t[0] = (unsigned char)(when >> 24);
	t[1] = (unsigned char)(when >> 16);
	t[2] = (unsigned char)(when >> 8);
	t[3] = (unsigned char)when;
	ifpr[0] = 4;
	memcpy(ifpr + 1, signer->fpr, 20);
	subpacket(&sp, 33, ifpr, 21);
	subpacket(&sp, 2, t, 4);
	if (extra != NULL)
		out_put(&sp, extra->p, extra->len);
	out_byte(&hs, 4);
	out_byte(&hs, type);
	out_byte(&hs, 22);
	out_byte(&hs, 8);
	out_be(&hs, (uint32_t)sp.len, 2);
	out_put(&hs, sp.p, sp.len);
	trailer[0] = 4;
	trailer[1] = 0xFF;
	trailer[2] = (unsigned char)(hs.len >> 24);
	trailer[3] = (unsigned char)(hs.len >> 16);
	trailer[4] = (unsigned char)(hs.len >> 8);
	trailer[5] = (unsigned char)hs.len;
	gcry_md_write(h, hs.p, hs.len);
	gcry_md_write(h, trailer, 6);
	memcpy(dig, gcry_md_read(h, 0), 32);
	eddsa_sign(signer, dig, rs);
	out_put(&pk, hs.p, hs.len);
	out_be(&pk, 10, 2);
	subpacket(&pk, 16, signer->fpr + 12, 8);
	out_put(&pk, dig, 2);
	out_mpi(&pk, rs, 32);
	out_mpi(&pk, rs + 32, 32);
	out_packet(o, 2, pk.p, pk.len);
	free(hs.p);
	free(sp.p);
	free(pk.p);
}

static gcry_md_hd_t
md_start(const struct pubkey *k)
{
	gcry_md_hd_t h;

	if (gcry_md_open(&h, GCRY_MD_SHA256, 0))
		die("md open");
	hash_key(h, k->body, k->blen);
	return h;
}

static void
hash_uid(gcry_md_hd_t h, const char *uid)
{
	size_t len = strlen(uid);
	unsigned char hdr[5] = { 0xB4, (unsigned char)(len >> 24),
		(unsigned char)(len >> 16), (unsigned char)(len >> 8),
		(unsigned char)len };

	gcry_md_write(h, hdr, 5);
	gcry_md_write(h, uid, len);
}

/* the hashed subpackets of a self-certification, gpg style */
static void
selfsig_extra(struct out *e, int primary)
{
	static const unsigned char sym[] = { 9, 8, 7 }, hash[] = { 10, 9, 8 },
		zip[] = { 2, 3, 1 };
	unsigned char b;

	b = 0x03;
	subpacket(e, 27, &b, 1);
	subpacket(e, 11, sym, sizeof(sym));
	subpacket(e, 21, hash, sizeof(hash));
	subpacket(e, 22, zip, sizeof(zip));
	b = 0x01;
	subpacket(e, 30, &b, 1);
	b = 0x80;
	subpacket(e, 23, &b, 1);
	if (primary) {
		b = 1;
		subpacket(e, 25, &b, 1);
	}
}

static void
word_of(uint64_t n, int i, char *w, size_t cap)
{
	unsigned char h[32];
	unsigned v;

	seed_for(n, "pksync-bench-words", h);
	v = ((unsigned)h[2 * i] << 8 | h[2 * i + 1]) % 1024;
	snprintf(w, cap, "%s%s", syllables[v >> 5], syllables[v & 31]);
}

static void
uid_sig(struct out *o, const struct pubkey *k, const struct pubkey *signer,
    const char *uid, unsigned type, uint32_t when, int primary)
{
	struct out e = { NULL, 0, 0 };
	gcry_md_hd_t h = md_start(k);

	hash_uid(h, uid);
	if (type == 0x13)
		selfsig_extra(&e, primary);
	signature(o, h, type, signer, when, type == 0x13 ? &e : NULL);
	gcry_md_close(h);
	free(e.p);
}

/* key n (with keys[n - base] ... its signers precomputed) into o */
static void
key_make(uint64_t n, const struct pubkey *keys, uint64_t base, struct out *o,
    FILE *idx)
{
	const struct pubkey *k = &keys[n - base];
	char words[3][16], uid[256];
	struct out sb = { NULL, 0, 0 }, e = { NULL, 0, 0 };
	unsigned i;
	gcry_md_hd_t h;
	unsigned char kf = 0x0C;

	for (i = 0; i < 3; i++)
		word_of(n, (int)i, words[i], sizeof(words[i]));
	out_packet(o, 6, k->body, k->blen);
	snprintf(uid, sizeof(uid), "Synthetic User %" PRIu64
	    " (%s %s) <user%" PRIu64 "@bench.example>", n, words[0], words[1], n);
	out_packet(o, 13, uid, strlen(uid));
	uid_sig(o, k, k, uid, 0x13, k->created + 60, 1);
	for (i = 0; i < n % 4; i++)
		uid_sig(o, k, &keys[n + cert_offs[i] - base], uid, 0x10,
		    k->created + 3600 + i, 0);
	if (n % 3 == 0) {
		snprintf(uid, sizeof(uid), "Bench Key %" PRIu64
		    " (%s) <key%" PRIu64 "@bench.example>", n, words[2], n);
		out_packet(o, 13, uid, strlen(uid));
		uid_sig(o, k, k, uid, 0x13, k->created + 61, 0);
	}
	subkey_body(n, &sb);
	out_packet(o, 14, sb.p, sb.len);
	h = md_start(k);
	hash_key(h, sb.p, sb.len);
	subpacket(&e, 27, &kf, 1);
	signature(o, h, 0x18, k, k->created + 62, &e);
	gcry_md_close(h);
	free(sb.p);
	free(e.p);
	if (idx != NULL) {
		for (i = 0; i < 20; i++)
			fprintf(idx, "%02X", k->fpr[i]);
		fprintf(idx, " %" PRIu64 " %s %s%s%s\n", n, words[0], words[1],
		    n % 3 == 0 ? " " : "", n % 3 == 0 ? words[2] : "");
	}
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static uint32_t
crc24(const unsigned char *p, size_t n)
{
	uint32_t crc = 0xB704CE;
	int i;

	while (n--) {
		crc ^= (uint32_t)*p++ << 16;
		for (i = 0; i < 8; i++) {
			crc <<= 1;
			if (crc & 0x1000000)
				crc ^= 0x1864CFB;
		}
	}
	return crc & 0xFFFFFF;
}

static void
b64_line(FILE *f, const unsigned char *p, size_t n)
{
	size_t i;
	uint32_t v;

	for (i = 0; i < n; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		fputc(b64[v >> 18], f);
		fputc(b64[(v >> 12) & 63], f);
		fputc(i + 1 < n ? b64[(v >> 6) & 63] : '=', f);
		fputc(i + 2 < n ? b64[v & 63] : '=', f);
	}
	fputc('\n', f);
}

static void
write_armored(const char *dir, const struct pubkey *k, const struct out *o)
{
	char path[4096];
	unsigned char c[3];
	uint32_t crc = crc24(o->p, o->len);
	size_t i, l;
	FILE *f;

	l = (size_t)snprintf(path, sizeof(path), "%s/0x", dir);
	for (i = 0; i < 20 && l + 3 < sizeof(path); i++, l += 2)
		snprintf(path + l, sizeof(path) - l, "%02X", k->fpr[i]);
	snprintf(path + l, sizeof(path) - l, ".asc");
	f = fopen(path, "w");
	if (f == NULL)
		die(strerror(errno));
	fputs("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n", f);
	for (i = 0; i < o->len; i += 48)
		b64_line(f, o->p + i, o->len - i < 48 ? o->len - i : 48);
	c[0] = (unsigned char)(crc >> 16);
	c[1] = (unsigned char)(crc >> 8);
	c[2] = (unsigned char)crc;
	fputc('=', f);
	b64_line(f, c, 3);
	fputs("-----END PGP PUBLIC KEY BLOCK-----\n", f);
	if (fclose(f) != 0)
		die("write error");
}

/* keys [from, to) into the files ring and idx (either may be NULL) */
static void
gen_range(uint64_t from, uint64_t to, FILE *ring, FILE *idx, const char *adir)
{
	struct pubkey *keys;
	struct out o = { NULL, 0, 0 };
	uint64_t n, cnt = to - from + MAX_OFF + 1;

	keys = calloc(cnt, sizeof(*keys));
	if (keys == NULL)
		die("out of memory");
	for (n = 0; n < cnt; n++)
		pubkey_make(from + n, &keys[n]);
	for (n = from; n < to; n++) {
		o.len = 0;
		key_make(n, keys, from, &o, idx);
		if (ring != NULL && fwrite(o.p, 1, o.len, ring) != o.len)
			die("write error");
		if (adir != NULL)
			write_armored(adir, &keys[n - from], &o);
	}
	free(o.p);
	free(keys);
}

static FILE *
tmp_or_die(void)
{
	FILE *f = tmpfile();

	if (f == NULL)
		die(strerror(errno));
	return f;
}

static void
copy_file(FILE *from, FILE *to)
{
	char buf[65536];
	size_t n;

	rewind(from);
	while ((n = fread(buf, 1, sizeof(buf), from)) > 0)
		if (fwrite(buf, 1, n, to) != n)
			die("write error");
}

/* split [start, start+count) over jobs processes, output in order */
static void
gen_parallel(uint64_t start, uint64_t count, int jobs, FILE *ring, FILE *idx,
    const char *adir)
{
	FILE *tr[64], *ti[64];
	pid_t pid[64];
	uint64_t per = (count + (uint64_t)jobs - 1) / (uint64_t)jobs, a, b;
	int j, st;

	fflush(NULL);
	for (j = 0; j < jobs; j++) {
		a = start + per * (uint64_t)j;
		b = a + per > start + count ? start + count : a + per;
		tr[j] = ring ? tmp_or_die() : NULL;
		ti[j] = idx ? tmp_or_die() : NULL;
		pid[j] = fork();
		if (pid[j] < 0)
			die("fork");
		if (pid[j] == 0) {
			if (a < b)
				gen_range(a, b, tr[j], ti[j], adir);
			if ((tr[j] && fflush(tr[j])) || (ti[j] && fflush(ti[j])))
				die("write error");
			_exit(0);
		}
	}
	for (j = 0; j < jobs; j++) {
		if (waitpid(pid[j], &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			die("a worker failed");
		if (ring)
			copy_file(tr[j], ring);
		if (idx)
			copy_file(ti[j], idx);
	}
}

static uint64_t
num_arg(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0')
		die("bad number");
	return v;
}

int
main(int argc, char **argv)
{
	uint64_t count = 100, start = 0;
	const char *ofile = NULL, *adir = NULL, *ifile = NULL;
	FILE *ring = NULL, *idx = NULL;
	int ch, jobs = 2;

	while ((ch = getopt(argc, argv, "n:s:o:a:i:j:")) != -1) {
		switch (ch) {
		case 'n': count = num_arg(optarg); break;
		case 's': start = num_arg(optarg); break;
		case 'o': ofile = optarg; break;
		case 'a': adir = optarg; break;
		case 'i': ifile = optarg; break;
		case 'j': jobs = (int)num_arg(optarg); break;
		default:
			fprintf(stderr, "usage: keygen [-n COUNT] [-s START] "
			    "[-o FILE] [-a DIR] [-i FILE] [-j JOBS]\n");
			return 2;
		}
	}
	if (jobs < 1 || jobs > 64)
		die("-j must be 1..64");
	if (!gcry_check_version(GCRYPT_VERSION))
		die("libgcrypt version mismatch");
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	if (ofile != NULL && (ring = fopen(ofile, "wb")) == NULL)
		die(strerror(errno));
	if (ofile == NULL && adir == NULL)
		ring = stdout;
	if (ifile != NULL && (idx = fopen(ifile, "w")) == NULL)
		die(strerror(errno));
	gen_parallel(start, count, jobs, ring, idx, adir);
	if ((ring && fflush(ring)) || (ring && ring != stdout && fclose(ring)) ||
	    (idx && fclose(idx)))
		die("write error");
	return 0;
}
