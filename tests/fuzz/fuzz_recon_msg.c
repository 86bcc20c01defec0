/*
 * fuzz_recon_msg.c: fuzz target for the recon message decoder, the bare
 * verdict decoder and, through ReconRqst_Poly messages, the solver.
 *
 * The input is read as a stream of frames.  Every message that decodes
 * is encoded again and must decode to the same bytes; the samples of a
 * Poly request are solved against a fixed local node, as the initiator
 * does with a peer's request.  Any crash, sanitizer report or abort()
 * is a finding.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ptree/ptree_node.h"
#include "ptree/ptree_poly.h"
#include "recon/recon_msg.h"
#include "util/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
solve_against_local(const struct recon_msg *m)
{
	struct zzp local[3], sv[PTREE_NSAMPLES];
	struct zzp ro[PTREE_MBAR], lo[PTREE_MBAR];
	size_t nro, nlo;
	int i;

	for (i = 0; i < 3; i++)
		zzp_set_i64(&local[i], 1000 + i);
	ptree_samples_of(sv, local, 3);
	if (ptree_solve(m->samples, m->size, sv, 3, ro, &nro, lo, &nlo) ==
	    PKS_OK) {
		if (nro > PTREE_MBAR || nlo > PTREE_MBAR)
			abort();
	}
}

static void
check_reencode(const struct recon_msg *m, size_t frame_len)
{
	struct recon_msg d;
	struct buf b;
	size_t used;

	buf_init(&b, PKS_MAX_RECON_MSG + 8);
	if (recon_msg_encode(m, &b) != PKS_OK)
		abort();
	/* bitstrings may lose unused bits; everything else is exact */
	if (b.len != frame_len)
		abort();
	if (recon_msg_decode(b.data, b.len, &used, &d, NULL) != PKS_OK ||
	    used != b.len || d.type != m->type || d.nelems != m->nelems ||
	    d.ncfg != m->ncfg || d.textlen != m->textlen)
		abort();
	recon_msg_free(&d);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct recon_verdict v;
	struct recon_msg m;
	struct pks_err err;
	size_t off = 0, used;

	if (recon_verdict_decode(data, size, &used, &v, &err) == PKS_OK)
		recon_verdict_free(&v);
	while (off < size) {
		if (recon_msg_decode(data + off, size - off, &used, &m,
		    &err) != PKS_OK) {
			if (err.off > size - off)
				abort();
			break;
		}
		if (used == 0)
			break;
		check_reencode(&m, used);
		if (m.type == RECON_MSG_POLY)
			solve_against_local(&m);
		recon_msg_free(&m);
		off += used;
	}
	return 0;
}
