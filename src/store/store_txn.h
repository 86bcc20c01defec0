/*
 * store_txn.h: one write transaction around a piece of work, so that
 * begin, commit and rollback are written once (store_begin(),
 * store_commit() and store_rollback() in store.h say what each does).
 */
#ifndef PKS_STORE_TXN_H
#define PKS_STORE_TXN_H

#include "store/store.h"
#include "util/rc.h"

/* The work done inside the transaction; PKS_OK to commit it. */
typedef enum pks_rc (*store_txn_fn)(struct store *st, void *arg);

/*
 * Begin a write transaction (BEGIN IMMEDIATE, waiting up to the
 * connection's busy timeout), run fn(st, arg), commit when it returns
 * PKS_OK and roll back otherwise (also when the commit fails).  Returns
 * the first error: store_begin()'s (then fn is not called and nothing is
 * rolled back, so a transaction the caller has open stays open), fn's,
 * or store_commit()'s; else PKS_OK.
 */
enum pks_rc store_txn_run(struct store *st, store_txn_fn fn, void *arg);

#endif
