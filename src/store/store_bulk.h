/*
 * store_bulk.h: "pksync import" into an empty database, with the
 * secondary indexes no write reads built once at the end.
 *
 * Keeping an index in step row by row costs a b-tree descent to a
 * random page per row; CREATE INDEX over the finished table sorts once.
 * store_bulk_begin() drops the indexes that no statement of an import
 * reads and whose entries would go to random pages (keyids_keyid32,
 * emails_email: searches only), keeping their CREATE text in meta, and
 * stops feeding the recon prefix tree (marked stale: rebuilt from the
 * key hashes in one pass).  The word table is not written either
 * (store_wordkeys.c).  store_bulk_finish() fills the word table in its
 * own order (its index on key dropped meanwhile), builds the indexes
 * again and rebuilds the tree.
 *
 * Between the two the database holds the row 'bulk_import' in meta
 * (the mark), and the import holds a lock on the file beside the
 * database named like it with "-bulk" appended: an open-file-
 * description read lock (fcntl F_OFD_SETLK, Linux), which the kernel
 * drops when the import ends however it ends, kill -9 included, and
 * which does not depend on process ids (reused, or of another pid
 * namespace).  store_open() without STORE_BULK refuses the database
 * while the mark is set:
 *   - lock held: an import is running; PKS_ERR_BUSY, saying so (a
 *     transient error: mail-filter exits 75 and the MTA retries; serve,
 *     stats and check do not start).  The database is the import's
 *     alone until it ends: nobody answers from indexes not built yet.
 *   - lock free: the import died; PKS_ERR_DB, saying how to finish it.
 * Every connection but STORE_SHORT and STORE_BULK ones (serve's, the
 * commands') holds a second lock in the same file while it is open,
 * and an import does not enter bulk mode while anyone holds it (*on =
 * -1: key by key, every index kept up), so a serve started before the
 * import never answers from indexes not built: serve holds one
 * connection from its start to its exit (cmd_serve.c), not only those
 * its threads open at their first request.
 *
 * What an open costs: a STORE_SHORT one (each mail-filter process)
 * what it did, one read of meta, the lock file looked at only when the
 * mark is set; any other one open(2), two fcntl(2) and a descriptor
 * held until store_close.  Importing again (the same files change
 * nothing already stored) resumes the bulk load and finishes it; a
 * second import while one runs is refused (PKS_ERR_BUSY).
 */
#ifndef PKS_STORE_BULK_H
#define PKS_STORE_BULK_H

#include "store/store.h"
#include "util/rc.h"

/*
 * On a connection opened with STORE_BULK, outside a transaction: when
 * an earlier bulk import did not finish, resume it: *on = 2; else when
 * 'start' is set and the database holds no key, enter bulk mode: *on =
 * 1, unless another connection has the database open: *on = -1; else
 * *on = 0 and nothing changes.  In bulk mode the connection holds the
 * lock until store_bulk_finish or store_close.  PKS_ERR_BUSY when
 * another import holds it.
 */
enum pks_rc store_bulk_begin(struct store *st, int start, int *on);

/* Fill the word table, build the dropped indexes and the prefix tree,
 * then clear the mark; outside a transaction.  Each step commits: a crash
 * midway leaves the mark, and the next import finishes what is left. */
enum pks_rc store_bulk_finish(struct store *st);

/* Inside src/store, for store_open without STORE_BULK (its flags):
 * unless STORE_SHORT, take the lock of an open connection; PKS_ERR_BUSY
 * (with the message) while an import into an empty database runs,
 * PKS_ERR_DB when one did not finish and is gone, PKS_ERR_IO when the
 * lock file cannot be read. */
enum pks_rc store_bulk_refuse(struct store *st, int flags);

/* Inside src/store: let this connection's lock go (store_close;
 * nothing when it holds none). */
void store_bulk_release(struct store *st);

#endif
