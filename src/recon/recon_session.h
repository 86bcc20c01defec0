/*
 * recon_session.h: one SKS recon session over a connected socket.
 *
 * Both roles of sks-recon.md section 4.  The side that connected (the
 * initiator, RECON_INITIATOR) answers requests and writes its replies
 * only when a Flush arrives; the side that accepted (the responder,
 * RECON_RESPONDER) walks the tree with a request queue and a queue of
 * outstanding requests, sends Flush whenever it would otherwise wait,
 * matches replies to requests in FIFO order and ends with Done.  Before
 * either, both sides exchange Config messages and bare verdicts
 * ("passed", or "failed" plus a reason).
 *
 * The tree is read through struct ptree_ops and never written; a caller
 * with a SQLite tree holds a read snapshot for the whole session.  Every
 * read is bounded by a timeout (poll) and every frame by
 * PKS_MAX_RECON_MSG.  The outcome is the set of elements this side
 * lacks; what the peer lacks it fetches itself.
 */
#ifndef PKS_RECON_SESSION_H
#define PKS_RECON_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "ptree/ptree_node.h"
#include "util/rc.h"

enum recon_role {
	RECON_INITIATOR, /* connected; answers (SKS "server") */
	RECON_RESPONDER  /* accepted; drives the walk (SKS "client") */
};

struct recon_session_cfg {
	uint32_t http_port;    /* announced as "http port" */
	int config_timeout_ms; /* config exchange and verdicts (10 s) */
	int read_timeout_ms;   /* any later read (300 s) */
	int session_timeout_s; /* the whole session (3600 s) */
	size_t max_lack;       /* elements the peer may make us lack */
};

/* Default of max_lack: 24 MB of elements. */
#define RECON_MAX_LACK_DEFAULT 1000000u

/* The reason a busy pksync gives in its "failed" verdict. */
#define RECON_BUSY_REASON "busy with another reconciliation; try again later"

/* Fill the timeouts (config 10 s; SKS's 300 s, 3600 s) and http_port. */
void recon_session_cfg_default(struct recon_session_cfg *c, uint32_t http_port);

struct recon_result {
	struct zzp *lack; /* elements this side lacks, sorted, unique */
	size_t nlack;
	size_t npeer_lack;          /* elements sent that the peer lacked
				     * (a lower bound as responder) */
	uint32_t peer_http_port;    /* from the peer's config (0: none) */
	int config_passed;          /* both verdicts were "passed" */
	int peer_busy;              /* the peer turned us away before the
				     * session: its verdict said "busy"
				     * (or HP's "currently mutating"), or
				     * it closed before its Config (SKS
				     * while it fetches) */
	size_t msgs_in, msgs_out;   /* framed messages */
	size_t bytes_in, bytes_out; /* bytes on the wire */
	char why[512];              /* failure reason for logs and stats */
};

/*
 * Run one session on the connected socket fd (not closed here) in the
 * given role.  res is initialized here; free it with
 * recon_result_free().
 *  PKS_OK: completed; res->lack is the full difference.
 *  PKS_ERR_IO: EOF, socket error or timeout after the handshake; as SKS
 *     does, res->lack keeps what was found so far.
 *  PKS_ERR_REFUSED: a verdict was "failed" (ours or the peer's);
 *  PKS_ERR_PARSE / PKS_ERR_TOOBIG: a malformed or over-long frame, an
 *     unexpected message (an Elements the initiator did not ask for
 *     with a FullElements) or an Error from the peer, or element lists
 *     that would make this side lack more than cfg->max_lack elements;
 *     res->lack is empty.
 *  Other codes: tree (store) errors; res->lack is empty.
 * res->why says what happened on every failure.
 */
enum pks_rc recon_session_run(int fd, enum recon_role role,
    const struct ptree_ops *tree, const struct recon_session_cfg *cfg,
    struct recon_result *res);

void recon_result_free(struct recon_result *res);

#endif
