/*
 * store_issuer.h: whether the issuers of third-party certifications are
 * keys stored here ([keys] served_certs_prefer = known).
 *
 * Asked by ingest only for the user IDs of a key that hold more
 * third-party certifications than op=get serves (pgp_key_flood_issuers),
 * so an ordinary key costs nothing; a flooded one costs one statement
 * per STORE_ISSUER_BATCH issuers, each an index seek.
 */
#ifndef PKS_STORE_ISSUER_H
#define PKS_STORE_ISSUER_H

#include <stddef.h>

#include "pgp/pgp_verify.h"
#include "store/store.h"
#include "util/rc.h"

/* Issuers looked up by one statement, and its parameter list. */
#define STORE_ISSUER_BATCH 100
#define STORE_ISSUER_P10 "?,?,?,?,?,?,?,?,?,?,"
#define STORE_ISSUER_PARAMS                                                    \
	STORE_ISSUER_P10 STORE_ISSUER_P10 STORE_ISSUER_P10 STORE_ISSUER_P10    \
	    STORE_ISSUER_P10 STORE_ISSUER_P10 STORE_ISSUER_P10                 \
		STORE_ISSUER_P10 STORE_ISSUER_P10 "?,?,?,?,?,?,?,?,?,?"

/*
 * Set v[i].known for every issuer that is a key or subkey stored here:
 * by fingerprint when the signature names one (issuer fingerprint
 * subpacket), else by 64-bit key ID.  Read-only; inside or outside a
 * transaction.  Errors: the database's.
 */
enum pks_rc store_issuers_known(
    struct store *st, struct pgp_issuer *v, size_t n);

#endif
