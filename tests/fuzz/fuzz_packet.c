/*
 * fuzz_packet.c: fuzz target of the OpenPGP packet reader and writer.
 * Every packet read must lie inside the input; writing it back in SKS
 * style and reading that again must give the same tag and body.
 */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "pgp/pgp_packet.h"
#include "util/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
rewrite(const struct pgp_packet *p)
{
	struct buf b;
	struct pgp_packet q;
	struct pks_err err = { 0, NULL };
	size_t off = 0;
	enum pks_rc rc;

	buf_init(&b, PKS_MAX_PACKET + 16);
	rc = pgp_packet_write(&b, p->tag, p->body, p->len, PGP_HDR_SKS);
	if (rc != PKS_OK)
		__builtin_trap();
	if (pgp_packet_next(b.data, b.len, &off, &q, &err) != PKS_OK ||
	    q.tag != p->tag || q.len != p->len || off != b.len ||
	    memcmp(q.body, p->body, p->len) != 0)
		__builtin_trap();
	buf_reset(&b);
	rc = pgp_packet_write(&b, p->tag, p->body, p->len, PGP_HDR_OLD_ONLY);
	if ((rc == PKS_OK) != (p->tag < 16))
		__builtin_trap();
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgp_packet p;
	struct pks_err err = { 0, NULL };
	size_t off = 0, prev;

	for (;;) {
		prev = off;
		if (pgp_packet_next(data, size, &off, &p, &err) != PKS_OK) {
			if (off != prev || err.off != prev)
				__builtin_trap();
			break;
		}
		if (p.body < data || p.body + p.len > data + size ||
		    off != prev + p.hdrlen + p.len || p.tag == 0 || p.tag > 63)
			__builtin_trap();
		rewrite(&p);
	}
	return 0;
}
