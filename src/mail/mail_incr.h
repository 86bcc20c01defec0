/*
 * mail_incr.h: keys that arrive by mail: taking them out of a parsed
 * message into ingest, and the PKS "incremental" mails of sync peers.
 *
 * An incremental is accepted from the sync list only (by default): the
 * sending site is the last X-KeyServer-Sent value of the mail, and it
 * must be on the sync list (peers/peers_mail.h: the caller's copy, else
 * [mail] peers_file read with ingest_sync_read; ASCII case ignored).  With
 * [mail] accept_incrementals = anyone every incremental is merged.  An
 * incremental is never answered.  The received X-KeyServer-Sent list is
 * in struct mail_msg (sent, nsent) for the outgoing side.
 */
#ifndef PKS_MAIL_INCR_H
#define PKS_MAIL_INCR_H

#include <stddef.h>

#include "ingest/ingest.h"
#include "mail/mail_parse.h"
#include "store/store.h"
#include "util/config.h"
#include "util/rc.h"

/*
 * Merge the keys of every part of m that holds any: armored blocks in
 * any part, binary keys in application/pgp-keys, application/pgp or
 * application/octet-stream parts.  Each part is one ingest transaction.
 * stats is added to (not reset); *nparts gets the number of parts that
 * held at least one key block (0: the message had no keys).  cb (may
 * be NULL) is called per key as in ingest.h.  Errors: the transient
 * errors of ingest (nothing of the failing part written).
 */
enum pks_rc mail_ingest_keys(struct store *st,
    const struct ingest_origin *origin, const struct mail_msg *m, ingest_cb cb,
    void *arg, struct ingest_stats *stats, size_t *nparts);

/*
 * Handle a "Subject: incremental" mail: check the sender against the
 * policy above, merge its keys (INGEST_MAIL_INCREMENTAL) and log one
 * line.  A refused or empty incremental is PKS_OK (logged).  What it
 * adds is queued for the peers of sync (may be NULL: nothing queued)
 * not named in its X-KeyServer-Sent headers (ingest.h).  The sender is
 * judged against sync, or, when sync is NULL, against the peers file
 * read then.  *ignored is set to 1 when the policy turned it away (else
 * left alone).  Errors: transient ones from ingest or reading the peers
 * file (PKS_ERR_IO).
 */
enum pks_rc mail_incr_handle(const struct pks_config *cfg, struct store *st,
    const struct ingest_sync *sync, const struct mail_msg *m, int *ignored);

#endif
