/*
 * store_bulk.h: "pksync import" into an empty database, with the
 * secondary indexes no write reads built once at the end.
 *
 * Keeping an index in step row by row costs a b-tree descent to a
 * random page per row; CREATE INDEX over the finished table sorts once.
 * store_bulk_begin() drops the indexes that no statement of an import
 * reads (keys_updated, keyids_keyid32, emails_email: searches and
 * statistics only), keeping their CREATE text in meta, and stops
 * feeding the recon prefix tree (marked stale: rebuilt from the key
 * hashes in one pass).  The word table is not written either
 * (store_wordkeys.c).  store_bulk_finish() builds the indexes again,
 * fills the word table in its own order and rebuilds the tree.
 *
 * Between the two the database holds the row 'bulk_import' in meta,
 * the import's process id.  While that process runs, other connections
 * work as usual (a search on an index not built yet scans its table);
 * once it is gone, store_open() without STORE_BULK refuses the database
 * with a clear message, so a server never answers from half-built
 * indexes after an import was killed.  Importing again (the same files
 * change nothing already stored) resumes the bulk load and finishes
 * it.
 */
#ifndef PKS_STORE_BULK_H
#define PKS_STORE_BULK_H

#include "store/store.h"
#include "util/rc.h"

/*
 * On a connection opened with STORE_BULK, outside a transaction: when
 * an earlier bulk import did not finish, resume it: *on = 2; else when
 * 'start' is set and the database holds no key, enter bulk mode: *on =
 * 1; else *on = 0 and nothing changes.
 */
enum pks_rc store_bulk_begin(struct store *st, int start, int *on);

/* Build the dropped indexes, the word table and the prefix tree, then
 * clear the mark; outside a transaction.  Each step commits: a crash
 * midway leaves the mark, and the next import finishes what is left. */
enum pks_rc store_bulk_finish(struct store *st);

/* Inside src/store: PKS_ERR_DB (with the message) when an import into
 * an empty database did not finish and its process is gone (store_open
 * without STORE_BULK). */
enum pks_rc store_bulk_refuse(struct store *st);

#endif
