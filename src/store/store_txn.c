/*
 * store_txn.c: the one place a write transaction is begun, committed or
 * rolled back around a piece of work (store_txn.h).
 */
#include <config.h>

#include "store/store_txn.h"

enum pks_rc
store_txn_run(struct store *st, store_txn_fn fn, void *arg)
{
	enum pks_rc rc;

	if ((rc = store_begin(st)) != PKS_OK)
		return rc;
	rc = fn(st, arg);
	if (rc == PKS_OK)
		rc = store_commit(st);
	if (rc != PKS_OK)
		store_rollback(st);
	return rc;
}
