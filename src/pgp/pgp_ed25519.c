/*
 * pgp_ed25519.c: Ed25519 verification through libsodium and Nettle,
 * both opened when the first Ed25519 signature is verified
 * (util/dynlib.h) rather than linked.  Linked, libsodium, libhogweed,
 * libnettle and libgmp are mapped and relocated by every pksync
 * process, one "mail-filter" per incoming message above all, most of
 * which verify no new Ed25519 signature.
 *
 * libsodium's acceptance implies Nettle's (encode(sB - hA) equals R as
 * sent, with A and S canonical), so only a refusal needs Nettle's
 * second opinion: every answer is the one of RFC 8032's cofactorless
 * check as gpg and libgcrypt make it, even where libsodium is stricter
 * (small-order points, non-canonical encodings).
 */
#include <config.h>

#include <pthread.h>

#include <nettle/eddsa.h>
#include <sodium.h>

#include "pgp/pgp_ed25519.h"
#include "util/dynlib.h"

static struct {
	__typeof__(sodium_init) *init;
	__typeof__(crypto_sign_ed25519_verify_detached) *sodium_verify;
	__typeof__(nettle_ed25519_sha512_verify) *nettle_verify;
} ed;

static pthread_once_t ed_once = PTHREAD_ONCE_INIT;
static int ed_ok;

#define ED_SYM(f, name)                                                        \
	{                                                                      \
		name, (void (**)(void)) & ed.f                                 \
	}

static void
ed_open(void)
{
	const struct dynlib_sym sodium_syms[] = { ED_SYM(init, "sodium_init"),
		ED_SYM(sodium_verify, "crypto_sign_ed25519_verify_detached") };
	const struct dynlib_sym nettle_syms[] = { ED_SYM(
	    nettle_verify, "nettle_ed25519_sha512_verify") };
	char err[200];

	if (dynlib_open(PKS_SODIUM_SONAME, sodium_syms,
		sizeof(sodium_syms) / sizeof(sodium_syms[0]), err,
		sizeof(err)) != PKS_OK ||
	    dynlib_open(PKS_HOGWEED_SONAME, nettle_syms,
		sizeof(nettle_syms) / sizeof(nettle_syms[0]), err,
		sizeof(err)) != PKS_OK)
		return;
	/* sodium_init() returns -1 only when no randomness source opens:
	 * verification needs none, and libsodium's CPU feature detection
	 * has run by then, so the library is usable whatever it returns. */
	ed_ok = ed.init() >= -1;
}

int
pgp_ed25519_ready(void)
{
	if (pthread_once(&ed_once, ed_open) != 0)
		return 0;
	return ed_ok;
}

int
pgp_ed25519_check(
    const uint8_t *a, const uint8_t *d, size_t dlen, const uint8_t *rs)
{
	if (ed.sodium_verify(rs, d, dlen, a) == 0)
		return 1;
	return ed.nettle_verify(a, dlen, d, rs) != 0;
}
