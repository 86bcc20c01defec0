/*
 * ingest_pipe.c: the keys of one keyring prepared in several threads
 * and finished in input order by the caller's thread.
 *
 * The keys are taken one after the other from the keyring (the framing
 * is walked under the lock: a few header reads a key) into a ring of
 * 'inflight' slots; key i lives in slot i % inflight.  Worker threads
 * and the caller take the next key, do its pure part
 * (ingest_prep_key) outside the lock and mark the slot done; the caller
 * finishes key 'head' (the database part) when its slot is done, and
 * helps with the next key when it would otherwise wait.  With one
 * thread (every path but import) the caller does it all, key by key,
 * and verifies a key only once it knows whether it is stored.
 *
 * No data races by design: a slot belongs to the one thread that took
 * it until it is marked done, then to the caller until it is freed and
 * 'head' moves on; every hand-over (next, head, done, stop) happens
 * under the one mutex.  Workers read only the keyring bytes (never
 * written while the pipe runs) and the [keys] limits (set before), and
 * call only pure pgp code; libgcrypt is initialised once
 * (pthread_once) and is thread-safe, Nettle keeps no state.  Nothing
 * but the caller touches the database or the callbacks, so the result
 * is the same for any number of threads.
 */
#include <config.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest_int.h"
#include "pgp/pgp_key.h"
#include "util/log.h"
#include "util/xalloc.h"

struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t work; /* a key may be taken, or stop */
	pthread_cond_t done; /* a slot was marked done */
	struct pgp_keyring_iter it;
	struct ingest_prep *slots;
	unsigned char *ready; /* per slot: pure part done */
	size_t nslots;
	size_t next;     /* index of the next key to take */
	size_t head;     /* index of the next key to finish */
	int exhausted;   /* no key after 'next' */
	int stop;        /* the caller gave up (database error) */
	int as_new;      /* prepare keys as new ones */
	size_t nworkers; /* worker threads running */
};

/*
 * Under the lock: take the next key of the keyring into its slot.
 * Returns 0 when none may be taken (keyring done, or the ring full).
 */
static int
take(struct pipe *pp, size_t *idx, int *as_new)
{
	struct pks_err err = { 0, NULL };
	struct ingest_prep *k;
	const uint8_t *kp = NULL;
	size_t kl = 0, before = pp->it.off;
	enum pks_rc rc;

	if (pp->stop || pp->exhausted || pp->next >= pp->head + pp->nslots)
		return 0;
	rc = pgp_keyring_next(&pp->it, &kp, &kl, &err);
	if (rc == PKS_ERR_NOTFOUND) {
		pp->exhausted = 1;
		return 0;
	}
	k = &pp->slots[pp->next % pp->nslots];
	memset(k, 0, sizeof(*k));
	k->p = kp;
	k->n = kl;
	if (rc != PKS_OK) {
		k->stage = INGEST_STAGE_SPLIT;
		k->rc = rc;
		k->why = err.why;
		/* A framing error ends the keyring unless a key follows. */
		if (kp == NULL || pp->it.off == before)
			pp->exhausted = 1;
	} else {
		k->stage = INGEST_STAGE_PARSE;
	}
	*as_new = pp->as_new;
	*idx = pp->next++;
	return 1;
}

/* Under the lock: prepare key idx outside it, then mark it done. */
static void
prepare(struct pipe *pp, size_t idx, int as_new)
{
	size_t s = idx % pp->nslots;

	pthread_mutex_unlock(&pp->mu);
	ingest_prep_key(&pp->slots[s], as_new);
	pthread_mutex_lock(&pp->mu);
	pp->ready[s] = 1;
	pthread_cond_broadcast(&pp->done);
}

static void *
worker(void *arg)
{
	struct pipe *pp = arg;
	size_t idx;
	int as_new;

	pthread_mutex_lock(&pp->mu);
	for (;;) {
		if (take(pp, &idx, &as_new)) {
			prepare(pp, idx, as_new);
			continue;
		}
		if (pp->stop || pp->exhausted)
			break;
		pthread_cond_wait(&pp->work, &pp->mu);
	}
	pthread_mutex_unlock(&pp->mu);
	return NULL;
}

/*
 * Under the lock: wait until key 'head' is prepared, preparing keys in
 * this thread while none is ready.  Returns 0 when the keyring is done.
 */
static int
wait_head(struct pipe *pp)
{
	size_t idx;
	int as_new;

	for (;;) {
		if (pp->head < pp->next && pp->ready[pp->head % pp->nslots])
			return 1;
		/* Alone, the caller prepares a key only as far as needed
		 * to look it up: it verifies a new key when finishing it
		 * anyway, and a stored one (an update) only as far as it
		 * is new.  With workers, it prepares a key as they do:
		 * what it leaves for later would be done by the one
		 * thread that writes, while the workers wait. */
		if (take(pp, &idx, &as_new)) {
			pthread_cond_broadcast(&pp->work);
			prepare(pp, idx, pp->nworkers > 0 ? as_new : 0);
			continue;
		}
		if (pp->head == pp->next && pp->exhausted)
			return 0;
		pthread_cond_wait(&pp->done, &pp->mu);
	}
}

/* The caller's loop: finish every key in input order. */
static enum pks_rc
finish_all(struct pipe *pp, ingest_finish_fn finish, void *arg)
{
	struct ingest_prep *k;
	enum pks_rc rc = PKS_OK;
	int as_new = 1;

	pthread_mutex_lock(&pp->mu);
	while (rc == PKS_OK && wait_head(pp)) {
		k = &pp->slots[pp->head % pp->nslots];
		pthread_mutex_unlock(&pp->mu);
		rc = finish(arg, k, &as_new);
		ingest_prep_clear(k);
		pthread_mutex_lock(&pp->mu);
		pp->ready[pp->head % pp->nslots] = 0;
		pp->head++;
		pp->as_new = as_new;
		pthread_cond_broadcast(&pp->work);
	}
	pp->stop = 1;
	pthread_cond_broadcast(&pp->work);
	pthread_mutex_unlock(&pp->mu);
	return rc;
}

/* Start up to n workers; returns how many started. */
static size_t
start_workers(struct pipe *pp, pthread_t *tids, size_t n)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		if ((err = pthread_create(&tids[i], NULL, worker, pp)) != 0) {
			log_warnx("import: thread %zu of %zu not started (%s); "
				  "going on with fewer",
			    i + 1, n, strerror(err));
			break;
		}
	}
	return i;
}

enum pks_rc
ingest_pipe_run(const uint8_t *data, size_t len, size_t threads,
    size_t inflight, ingest_finish_fn finish, void *arg)
{
	struct pipe pp;
	pthread_t *tids = NULL;
	size_t nworkers = 0, i;
	enum pks_rc rc;

	memset(&pp, 0, sizeof(pp));
	pgp_keyring_init(&pp.it, data, len);
	pp.nslots = inflight > 0 ? inflight : 1;
	pp.slots = xcalloc(pp.nslots, sizeof(*pp.slots));
	pp.ready = xcalloc(pp.nslots, 1);
	pp.as_new = 1;
	pthread_mutex_init(&pp.mu, NULL);
	pthread_cond_init(&pp.work, NULL);
	pthread_cond_init(&pp.done, NULL);
	if (threads > 1 && pp.nslots > 1) {
		tids = xreallocarray(NULL, threads - 1, sizeof(*tids));
		nworkers = start_workers(&pp, tids, threads - 1);
	}
	pp.nworkers = nworkers;
	rc = finish_all(&pp, finish, arg);
	for (i = 0; i < nworkers; i++)
		pthread_join(tids[i], NULL);
	/* Keys prepared after an error were never finished. */
	for (i = 0; i < pp.nslots; i++)
		ingest_prep_clear(&pp.slots[i]);
	pthread_cond_destroy(&pp.done);
	pthread_cond_destroy(&pp.work);
	pthread_mutex_destroy(&pp.mu);
	free(tids);
	free(pp.ready);
	free(pp.slots);
	return rc;
}
