/*
 * recon_msg.h: the SKS recon wire messages (sks-recon.md section 2-3).
 *
 * A message travels as a frame: 4-byte big-endian length N, then N bytes
 * holding a type byte and the body.  Bodies use big-endian 4-byte ints,
 * length-prefixed strings, bitstrings (bit count, then a string of
 * ceil(bits/8) bytes) and 17-byte little-endian field elements.  The
 * handshake verdict ("passed", or "failed" plus a reason) is sent as
 * bare strings outside any frame.
 *
 * Decoders read from a bounded buffer and never past it; a frame longer
 * than PKS_MAX_RECON_MSG is refused before anything is allocated, and
 * element and pair counts are checked against the bytes that remain.
 * Pure: no sockets here; the session code feeds bytes in and out.
 */
#ifndef PKS_RECON_MSG_H
#define PKS_RECON_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "ptree/ptree_node.h"
#include "ptree/ptree_poly.h"
#include "ptree/ptree_zzp.h"
#include "util/buf.h"
#include "util/rc.h"

enum recon_msg_type {
	RECON_MSG_POLY = 0, /* ReconRqst_Poly */
	RECON_MSG_FULL = 1, /* ReconRqst_Full */
	RECON_MSG_ELEMENTS = 2,
	RECON_MSG_FULL_ELEMENTS = 3,
	RECON_MSG_SYNC_FAIL = 4,
	RECON_MSG_DONE = 5,
	RECON_MSG_FLUSH = 6,
	RECON_MSG_ERROR = 7,
	RECON_MSG_DB_RQST = 8,
	RECON_MSG_DB_REPL = 9,
	RECON_MSG_CONFIG = 10
};
#define RECON_MSG_NTYPES 11

/* One config pair; key and val are NUL-terminated past their length. */
struct recon_config_entry {
	char *key;
	size_t keylen;
	uint8_t *val;
	size_t vallen;
};

struct recon_msg {
	enum recon_msg_type type;
	struct ptree_prefix prefix;         /* POLY, FULL */
	uint32_t size;                      /* POLY: elements under the node */
	struct zzp samples[PTREE_NSAMPLES]; /* POLY */
	struct zzp *elems;                  /* FULL, ELEMENTS, FULL_ELEMENTS */
	size_t nelems;
	char *text; /* ERROR, DB_RQST, DB_REPL */
	size_t textlen;
	struct recon_config_entry *cfg; /* CONFIG */
	size_t ncfg;
};

/* The handshake verdict. */
struct recon_verdict {
	int passed;
	char *reason; /* "failed" only; NUL-terminated */
	size_t reasonlen;
};

/* Name of a type for logs ("ReconRqst_Poly", ...); "unknown" otherwise. */
const char *recon_msg_type_name(int type);

/* Zero *m and set its type.  The message owns elems, text and cfg. */
void recon_msg_init(struct recon_msg *m, enum recon_msg_type type);
/* Release what *m owns and zero it; safe to call twice. */
void recon_msg_free(struct recon_msg *m);

/* Copy n elements into m->elems (replacing any).  Aborts on OOM. */
void recon_msg_set_elems(struct recon_msg *m, const struct zzp *e, size_t n);
/* Copy text (len bytes) into m->text.  Aborts on OOM. */
void recon_msg_set_text(struct recon_msg *m, const char *text, size_t len);

/*
 * Append m as a frame to out.  PKS_ERR_TOOBIG if the frame would pass
 * PKS_MAX_RECON_MSG or out's cap (out is then unchanged);
 * PKS_ERR_PARSE for an unknown type.
 */
enum pks_rc recon_msg_encode(const struct recon_msg *m, struct buf *out);

/*
 * Decode one frame from the start of p[0..len).  When the frame is not
 * complete yet, returns PKS_OK with *used = 0 (read more and retry).
 * Otherwise *used is the frame size and *m (initialized here; free with
 * recon_msg_free) holds the message.  Errors: PKS_ERR_TOOBIG for a
 * length over PKS_MAX_RECON_MSG (known from the 4-byte header alone),
 * PKS_ERR_PARSE for anything malformed; err->off is relative to p.
 * On error *m is left empty.
 */
enum pks_rc recon_msg_decode(const uint8_t *p, size_t len, size_t *used,
    struct recon_msg *m, struct pks_err *err);

/* Decode an unframed body (type byte first) of exactly len bytes. */
enum pks_rc recon_msg_decode_body(
    const uint8_t *p, size_t len, struct recon_msg *m, struct pks_err *err);

/* Append the bare verdict: "passed", or "failed" then the reason. */
enum pks_rc recon_verdict_encode(
    struct buf *out, int passed, const char *reason);
/* Decode a verdict like recon_msg_decode (*used = 0: need more bytes).
 * PKS_ERR_PARSE for a first string other than "passed"/"failed". */
enum pks_rc recon_verdict_decode(const uint8_t *p, size_t len, size_t *used,
    struct recon_verdict *v, struct pks_err *err);
void recon_verdict_free(struct recon_verdict *v);

/* ---- the config map (type RECON_MSG_CONFIG) ---- */

/* Append a pair (copied).  Aborts on OOM. */
void recon_config_add(
    struct recon_msg *m, const char *key, const void *val, size_t vallen);
/* Append a pair whose value is a 4-byte big-endian int. */
void recon_config_add_int(struct recon_msg *m, const char *key, uint32_t v);
/* Build the config pksync sends, as SKS does, in key order: bitquantum,
 * filters "yminsky.dedup,yminsky.merge", http port, mbar, version
 * "1.1.6".  m must be a fresh RECON_MSG_CONFIG message. */
void recon_config_sks(struct recon_msg *m, uint32_t http_port);
/* The first pair with this key, or NULL. */
const struct recon_config_entry *recon_config_get(
    const struct recon_msg *m, const char *key);
/* A 4-byte int value: PKS_ERR_NOTFOUND if absent, PKS_ERR_PARSE if the
 * value is not exactly 4 bytes. */
enum pks_rc recon_config_get_int(
    const struct recon_msg *m, const char *key, uint32_t *v);
/*
 * SKS's acceptance test of a peer's config against ours (reconCS.ml
 * test_configdata): version >= 0.1.5, filters equal as sets, bitquantum
 * and mbar equal.  PKS_OK, or PKS_ERR_REFUSED with *why set to a static
 * reason suitable for the "failed" verdict.
 */
enum pks_rc recon_config_check(const struct recon_msg *local,
    const struct recon_msg *remote, const char **why);

#endif
