/*
 * ingest.c: the one door every key comes through.
 *
 * For each key of the input: parse it (SKS grammar), bring it into
 * canonical form, look the stored copy up by primary fingerprint, merge,
 * and write the result with its hash and search indexes.  One call is
 * one transaction; a key that cannot be used is refused with a reason
 * and the others go on, while a database fault rolls everything back so
 * the caller can retry the whole input.  A merge that adds nothing
 * writes nothing.  This is the only code that combines parsing, merging
 * and store writes; write_key() is where the recon prefix tree and the
 * outgoing mail rows join the same transaction.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ingest/ingest.h"
#include "ingest/ingest_int.h"
#include "pgp/pgp_armor.h"
#include "pgp/pgp_index.h"
#include "pgp/pgp_key.h"
#include "pgp/pgp_verify.h"
#include "store/store_counters.h"
#include "store/store_issuer.h"
#include "store/store_outbox.h"
#include "store/store_ptree.h"
#include "store/store_refused.h"
#include "store/store_tombstone.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/xalloc.h"

/* The longest X-KeyServer-Sent value passed on (RFC 5321 path). */
#define INGEST_MAX_PATH_VALUE 254

/* One ingest call: where keys go, who hears of them, what happened. */
struct ingest_run {
	struct store *st;
	enum ingest_source src;
	const char **rcpt; /* peers that get an outbox row (borrowed) */
	size_t nrcpt;
	char *path; /* outgoing X-KeyServer-Sent, '\n'-joined */
	ingest_cb cb;
	void *arg;
	struct ingest_stats tally;
	size_t nreported;
	size_t threads;  /* of the pure part of each key (1: this one) */
	size_t inflight; /* keys prepared ahead of the writer */
};

static const char *
source_name(enum ingest_source src)
{
	switch (src) {
	case INGEST_HKP:
		return "hkp";
	case INGEST_IMPORT:
		return "import";
	case INGEST_MAIL_ADD:
		return "mail-add";
	case INGEST_MAIL_INCREMENTAL:
		return "mail-incremental";
	case INGEST_RECON:
		return "recon";
	}
	return "unknown";
}

/* The source label of the keys_added and keys_updated counters. */
static const char *
counter_source(enum ingest_source src)
{
	switch (src) {
	case INGEST_HKP:
		return "hkp";
	case INGEST_IMPORT:
		return "import";
	case INGEST_MAIL_ADD:
	case INGEST_MAIL_INCREMENTAL:
		return "mail";
	case INGEST_RECON:
		return "recon";
	}
	return "unknown";
}

static const char *
outcome_name(enum ingest_outcome o)
{
	switch (o) {
	case INGEST_NEW:
		return "new";
	case INGEST_UPDATED:
		return "updated";
	case INGEST_UNCHANGED:
		return "unchanged";
	case INGEST_REFUSED:
		return "refused";
	}
	return "unknown";
}

/* Count one outcome and tell the caller. */
static void
report(struct ingest_run *run, const struct ingest_result *r)
{
	char hex[2 * PGP_FPR_MAX + 1] = "-";

	switch (r->outcome) {
	case INGEST_NEW:
		run->tally.nnew++;
		break;
	case INGEST_UPDATED:
		run->tally.nupdated++;
		break;
	case INGEST_UNCHANGED:
		run->tally.nunchanged++;
		break;
	case INGEST_REFUSED:
		run->tally.nrefused++;
		break;
	}
	run->tally.nqueued += r->queued;
	run->nreported++;
	if (log_enabled(LOG_LVL_DEBUG)) {
		if (r->have_fpr)
			pgp_hex(r->fpr.fpr, r->fpr.len, hex);
		log_debug("ingest source=%s key=%s outcome=%s added=%zu "
			  "queued=%zu%s%s",
		    source_name(run->src), hex, outcome_name(r->outcome),
		    r->added, r->queued, r->why ? " why=" : "",
		    r->why ? r->why : "");
	}
	if (run->cb != NULL)
		run->cb(run->arg, r);
}

/* Mark a key refused; the key has an outcome, so this is PKS_OK. */
static enum pks_rc
refuse(struct ingest_result *r, enum pks_rc why_rc, const char *why)
{
	r->outcome = INGEST_REFUSED;
	r->why = why != NULL ? why : pks_rc_str(why_rc);
	return PKS_OK;
}

/*
 * Queue 'news' (the packets a merge added to 'merged', whose check
 * record is chk) for every recipient of the run: one outbox row each,
 * in the caller's transaction, holding only what op=get serves.
 */
static enum pks_rc
queue_mail(struct ingest_run *run, const struct pgp_key *news,
    const struct pgp_key *merged, const struct buf *chk,
    struct ingest_result *r)
{
	struct pgp_key *served = NULL, *cut;
	struct buf out, rec;
	enum pks_rc rc = PKS_OK;
	size_t i;

	if (run->nrcpt == 0)
		return PKS_OK;
	buf_init(&out, PKS_MAX_KEY);
	buf_init(&rec, PKS_MAX_KEY);
	/* An incremental carries no more than op=get serves of the key:
	 * a flood of certifications never turns into a flood of mail. */
	cut = pgp_key_dup(news);
	rc = pgp_key_served(merged, chk->data, chk->len,
	    pks_key_limits()->served_certs, &served, &rec);
	if (rc != PKS_OK || pgp_key_restrict(cut, served) == 0)
		goto out;
	if ((rc = pgp_key_write(cut, &out, PGP_HDR_SKS)) != PKS_OK)
		goto out;
	for (i = 0; i < run->nrcpt && rc == PKS_OK; i++) {
		rc = store_outbox_add_incremental(
		    run->st, run->rcpt[i], run->path, out.data, out.len);
		if (rc == PKS_OK)
			r->queued++;
	}
out:
	pgp_key_free(cut);
	pgp_key_free(served);
	buf_free(&rec);
	buf_free(&out);
	return rc;
}

/* The stored copy a merge starts from: its row, and its packets as
 * stored (for the check record's reuse; NULL for a new key). */
struct prior_key {
	const struct store_key *row;
	const struct pgp_key *key;
};

void
ingest_write_clear(struct ingest_write *w)
{
	pgp_key_info_free(w->info);
	buf_free(&w->chk);
	buf_free(&w->out);
	memset(w, 0, sizeof(*w));
}

/*
 * [keys] served_certs_prefer = known: add to the check record chk the
 * verdicts of the third-party certifications whose issuer is stored
 * here, for the user IDs of 'key' (row id, 0: new) that hold more of
 * them than op=get serves (store_issuers_mark; an ordinary key asks
 * the store nothing).  The verdicts reflect the keys stored when 'key'
 * is written.
 */
static enum pks_rc
mark_known_issuers(
    struct store *st, const struct pgp_key *key, int64_t id, struct buf *chk)
{
	struct store_mark m;

	return store_issuers_mark(st, key, id, chk, &m);
}

/*
 * What storing 'key' takes that needs no database: its bytes as stored,
 * its self-signatures verified into its check record (reusing what
 * 'prior' knew), its index facts and its SKS hash.  Pure, so any thread
 * may do it; w->why set means the key is refused for that reason.
 */
static void
write_prepare(struct ingest_write *w, const struct pgp_key *key,
    const struct prior_key *prior)
{
	const struct pgp_key *pk = prior != NULL ? prior->key : NULL;
	enum pks_rc rc;

	memset(w, 0, sizeof(*w));
	buf_init(&w->out, PKS_MAX_KEY);
	buf_init(&w->chk, PKS_MAX_KEY);
	if ((rc = pgp_key_write(key, &w->out, PGP_HDR_SKS)) != PKS_OK) {
		w->why_rc = rc;
		w->why = rc == PKS_ERR_TOOBIG ? "key would pass the size limit"
					      : pks_rc_str(rc);
		return;
	}
	rc = pgp_key_verify(key, pk, pk ? prior->row->checks : NULL,
	    pk ? prior->row->checks_len : 0, &w->chk, &w->nverified);
	if (rc == PKS_OK)
		rc = pgp_key_info(key, w->chk.data, w->chk.len, &w->info);
	if (rc != PKS_OK) {
		w->why_rc = rc;
		w->why = "no index facts can be read from the key";
		return;
	}
	pgp_key_hash(key, w->hash);
	w->ready = 1;
}

/*
 * Store 'key', prepared in w, as a new row (id == 0) or as the new state
 * of row id.  Returns a database error, or PKS_OK with r->outcome set
 * (refused when the key cannot be written).
 *
 * Everything that must change together with the key belongs here, in
 * the caller's transaction: the key row and its search indexes, the
 * recon prefix tree (old hash out, new hash in, for recon keys) and the
 * outbox rows for 'news', the packets the merge added (NULL: none).
 */
static enum pks_rc
write_store(struct ingest_run *run, struct ingest_write *w,
    const struct pgp_key *key, int64_t id, const struct pgp_key *news,
    struct ingest_result *r)
{
	struct store_key_rec rec;
	enum pks_rc rc;
	int v;

	run->tally.nverified += w->nverified;
	if (!w->ready)
		return refuse(r, w->why_rc, w->why);
	memset(&rec, 0, sizeof(rec));
	if ((rc = mark_known_issuers(run->st, key, id, &w->chk)) != PKS_OK)
		return rc;
	v = pgp_key_version(key);
	rec.data = w->out.data;
	rec.len = w->out.len;
	rec.info = w->info;
	rec.recon = v >= 2 && v <= 4;
	rec.checks = w->chk.data;
	rec.checks_len = w->chk.len;
	memcpy(rec.hash, w->hash, sizeof(rec.hash));
	/* Prefix tree: the row's old hash out, the new one in (recon keys). */
	rc = store_ptree_key_change(run->st, id, rec.hash, rec.recon);
	if (rc != PKS_OK)
		return rc;
	if (id == 0) {
		rc = store_key_insert(run->st, &rec, &id);
		r->outcome = INGEST_NEW;
	} else {
		rc = store_key_update(run->st, id, &rec);
		r->outcome = INGEST_UPDATED;
	}
	if (rc == PKS_OK)
		memcpy(r->hash, rec.hash, sizeof(r->hash));
	/* Certifications waiting for their issuer, and keys waiting for
	 * this one (store_issuer.h). */
	if (rc == PKS_OK)
		rc = store_issuers_written(
		    run->st, key, id, r->outcome == INGEST_NEW, &w->chk);
	/* Outbox: the packets the merge added, one row per sync peer. */
	if (rc == PKS_OK && news != NULL)
		rc = queue_mail(run, news, key, &w->chk, r);
	return rc;
}

/* Verify and store 'key' (write_prepare, then write_store).
 * Self-signatures are verified here, once: a signature the stored copy
 * 'prior' already held keeps its earlier result. */
static enum pks_rc
write_key(struct ingest_run *run, const struct pgp_key *key, int64_t id,
    const struct pgp_key *news, const struct prior_key *prior,
    struct ingest_result *r)
{
	struct ingest_write w;
	enum pks_rc rc;

	write_prepare(&w, key, prior);
	rc = write_store(run, &w, key, id, news, r);
	ingest_write_clear(&w);
	return rc;
}

/* Whether a key passes the [keys] limits (packets, framed bytes). */
static int
over_limits(const struct pgp_key *key)
{
	const struct pks_key_limits *lim = pks_key_limits();
	size_t n = pgp_key_npackets(key), bytes = key->key.len + 6, i, j;

	if (n > lim->max_packets)
		return 1;
	for (i = 0; i < key->nsigs; i++)
		bytes += key->sigs[i].len + 6;
	for (i = 0; i < key->nuids; i++)
		for (j = 0, bytes += key->uids[i].head.len + 6;
		     j < key->uids[i].nsigs; j++)
			bytes += key->uids[i].sigs[j].len + 6;
	for (i = 0; i < key->nsubkeys; i++)
		for (j = 0, bytes += key->subkeys[i].head.len + 6;
		     j < key->subkeys[i].nsigs; j++)
			bytes += key->subkeys[i].sigs[j].len + 6;
	return bytes > lim->max_bytes;
}

/*
 * Remember the hash a key came with as refused (or partly refused), so
 * that recon does not fetch it again; log the key and the reason.
 */
static enum pks_rc
note_refused(struct ingest_run *run, const struct pgp_key *in,
    const struct ingest_result *r, const char *why)
{
	char hex[2 * PGP_FPR_MAX + 1] = "-";
	uint8_t h[16];

	pgp_key_hash(in, h);
	if (r->have_fpr)
		pgp_hex(r->fpr.fpr, r->fpr.len, hex);
	log_warnx("ingest source=%s key=%s refused: %s", source_name(run->src),
	    hex, why);
	return store_refused_add(run->st, h, r->have_fpr ? r->fpr.fpr : NULL,
	    r->have_fpr ? r->fpr.len : 0, why, source_name(run->src));
}

#define WHY_TRIMMED "over the key limits: third-party signatures left out"
#define WHY_OVER "over the key limits even with the owner's packets alone"

/*
 * Merge 'key' into a fresh parse of the stored copy; when the result
 * would pass the limits, merge only the owner's packets of 'key'
 * (*trimmed set).  *merged (caller frees) is the result.
 */
static enum pks_rc
merge_within_limits(struct ingest_run *run, const struct store_key *old,
    const struct pgp_key *key, struct pgp_key **merged, struct pgp_key **delta,
    size_t *added, int *trimmed)
{
	struct pks_err err = { 0, NULL };
	struct pgp_key *own = NULL;
	enum pks_rc rc;
	int pass;

	*trimmed = 0;
	for (pass = 0; pass < 2; pass++) {
		pgp_key_free(*merged);
		pgp_key_free(*delta);
		*merged = *delta = NULL;
		rc = pgp_key_parse(old->data, old->len, merged, &err);
		if (rc != PKS_OK) {
			log_warnx("key row %lld: stored packets do not parse: "
				  "%s (run pksync check)",
			    (long long)old->id,
			    err.why ? err.why : pks_rc_str(rc));
			break;
		}
		rc = pgp_key_merge(*merged, pass ? own : key, added,
		    run->nrcpt > 0 ? delta : NULL);
		if (rc != PKS_OK || !over_limits(*merged))
			break;
		if (pass == 0) {
			own = pgp_key_dup(key);
			pgp_key_keep_self(own);
			*trimmed = 1;
		} else {
			rc = PKS_ERR_TOOBIG;
		}
	}
	pgp_key_free(own);
	return rc;
}

/* The check record of a stored key that has none (stored before
 * migration 006): verified now, written alone. */
static enum pks_rc
backfill(struct ingest_run *run, const struct pgp_key *key, int64_t id)
{
	struct buf chk;
	size_t n = 0;
	enum pks_rc rc;

	buf_init(&chk, PKS_MAX_KEY);
	rc = pgp_key_verify(key, NULL, NULL, 0, &chk, &n);
	run->tally.nverified += n;
	if (rc == PKS_OK)
		rc = store_key_set_checks(run->st, id, chk.data, chk.len);
	buf_free(&chk);
	return rc;
}

/* Merge 'key' into the stored copy 'old' and write what changed. */
static enum pks_rc
merge_stored(struct ingest_run *run, const struct store_key *old,
    const struct pgp_key *key, struct ingest_result *r)
{
	struct pgp_key *stored = NULL, *delta = NULL, *before = NULL;
	struct pks_err err = { 0, NULL };
	struct prior_key prior;
	uint8_t hash[16];
	enum pks_rc rc;
	int trimmed;

	rc = merge_within_limits(
	    run, old, key, &stored, &delta, &r->added, &trimmed);
	if (rc == PKS_OK && r->added == 0)
		pgp_key_hash(stored, hash);
	if (rc == PKS_ERR_TOOBIG) {
		rc = refuse(r, rc, WHY_OVER);
		if (rc == PKS_OK)
			rc = note_refused(run, key, r, WHY_OVER);
	} else if (rc == PKS_ERR_REFUSED) {
		rc = refuse(r, rc,
		    "primary key packet differs from the "
		    "stored key with this fingerprint");
	} else if (rc != PKS_OK) {
		rc = refuse(r, rc, "the stored copy of this key is damaged");
	} else if (r->added == 0 && memcmp(hash, old->hash, 16) == 0) {
		/* Nothing new: no write, no new hash, no new timestamp; a
		 * key stored before check records were kept gets its own. */
		r->outcome = INGEST_UNCHANGED;
		memcpy(r->hash, old->hash, sizeof(r->hash));
		if (old->checks == NULL)
			rc = backfill(run, stored, old->id);
	} else {
		/* New packets, or SKS's merge dropped duplicate signatures a
		 * lone uid had kept: the stored form and hash change either
		 * way, exactly as on an SKS peer.  The stored copy's check
		 * record is reused for what it already held. */
		if (old->checks != NULL)
			(void)pgp_key_parse(old->data, old->len, &before, &err);
		prior.row = old;
		prior.key = before;
		rc = write_key(run, stored, old->id, delta, &prior, r);
	}
	if (rc == PKS_OK && trimmed && r->outcome != INGEST_REFUSED)
		rc = note_refused(run, key, r, WHY_TRIMMED);
	pgp_key_free(before);
	pgp_key_free(delta);
	pgp_key_free(stored);
	return rc;
}

/* A key not stored yet: within the limits, or the owner's packets. */
static enum pks_rc
store_new(struct ingest_run *run, struct pgp_key *key, struct ingest_result *r)
{
	struct pgp_key *own = NULL;
	enum pks_rc rc;

	if (!over_limits(key)) {
		r->added = pgp_key_npackets(key);
		return write_key(run, key, 0, key, NULL, r);
	}
	own = pgp_key_dup(key);
	pgp_key_keep_self(own);
	if (over_limits(own)) {
		rc = refuse(r, PKS_ERR_TOOBIG, WHY_OVER);
	} else {
		r->added = pgp_key_npackets(own);
		rc = write_key(run, own, 0, own, NULL, r);
	}
	if (rc == PKS_OK)
		rc = note_refused(run, key, r,
		    r->outcome == INGEST_REFUSED ? WHY_OVER : WHY_TRIMMED);
	pgp_key_free(own);
	return rc;
}

#define WHY_DELETED "removed by the operator (pksync delete)"

/* A key whose fingerprint has a tombstone is refused, and the hash it
 * came with recorded, so recon does not fetch it again.  Returns
 * PKS_ERR_NOTFOUND when there is no tombstone. */
static enum pks_rc
tombstoned(
    struct ingest_run *run, const struct pgp_key *key, struct ingest_result *r)
{
	enum pks_rc rc;

	rc = store_tombstone_get(run->st, r->fpr.fpr, r->fpr.len, NULL);
	if (rc != PKS_OK)
		return rc;
	refuse(r, PKS_ERR_GONE, WHY_DELETED);
	return note_refused(run, key, r, WHY_DELETED);
}

void
ingest_prep_key(struct ingest_prep *k, int as_new)
{
	struct pks_err err = { 0, NULL };

	if (k->stage == INGEST_STAGE_SPLIT)
		return;
	k->stage = INGEST_STAGE_PARSE;
	if ((k->rc = pgp_key_parse(k->p, k->n, &k->key, &err)) != PKS_OK)
		goto out;
	pgp_key_canonicalize(k->key);
	k->stage = INGEST_STAGE_FPR;
	k->rc =
	    pgp_fpr_compute(k->key->key.body, k->key->key.len, &k->fpr, &err);
	if (k->rc != PKS_OK)
		goto out;
	k->have_fpr = 1;
	/* gpg refuses a key whose key material does not parse. */
	k->stage = INGEST_STAGE_MATERIAL;
	if ((k->rc = pgp_key_check_material(k->key, &err)) != PKS_OK)
		goto out;
	k->stage = INGEST_STAGE_OK;
	k->over = over_limits(k->key);
	if (as_new)
		ingest_prep_new(k);
out:
	k->why = err.why;
}

void
ingest_prep_new(struct ingest_prep *k)
{
	if (k->stage != INGEST_STAGE_OK || k->over || k->prepared)
		return;
	write_prepare(&k->w, k->key, NULL);
	k->prepared = 1;
}

void
ingest_prep_clear(struct ingest_prep *k)
{
	pgp_key_free(k->key);
	ingest_write_clear(&k->w);
	memset(k, 0, sizeof(*k));
}

/* A key not stored yet whose row a thread prepared. */
static enum pks_rc
store_prepared(
    struct ingest_run *run, struct ingest_prep *k, struct ingest_result *r)
{
	r->added = pgp_key_npackets(k->key);
	return write_store(run, &k->w, k->key, 0, k->key, r);
}

/*
 * The database part of one key (k: its pure part, done).  Returns a
 * database error, or PKS_OK with r->outcome set.
 */
static enum pks_rc
finish_key(
    struct ingest_run *run, struct ingest_prep *k, struct ingest_result *r)
{
	struct store_key old;
	enum pks_rc rc;

	r->fpr = k->fpr;
	r->have_fpr = k->have_fpr;
	if (k->stage != INGEST_STAGE_OK) {
		rc = refuse(r, k->rc, k->why);
		if (k->stage == INGEST_STAGE_MATERIAL)
			rc = note_refused(run, k->key, r, k->why);
		return rc;
	}
	/* A key the operator removed for good stays removed. */
	if ((rc = tombstoned(run, k->key, r)) != PKS_ERR_NOTFOUND)
		return rc;
	memset(&old, 0, sizeof(old));
	rc = store_key_find(run->st, r->fpr.fpr, r->fpr.len, &old);
	if (rc == PKS_ERR_NOTFOUND && k->prepared)
		rc = store_prepared(run, k, r);
	else if (rc == PKS_ERR_NOTFOUND)
		rc = store_new(run, k->key, r);
	else if (rc == PKS_OK)
		rc = merge_stored(run, &old, k->key, r);
	store_key_clear(&old);
	return rc;
}

/* ingest_finish_fn of a run: one key, reported in input order. */
static enum pks_rc
finish_cb(void *arg, struct ingest_prep *k, int *as_new)
{
	struct ingest_run *run = arg;
	struct ingest_result r;
	enum pks_rc rc;

	memset(&r, 0, sizeof(r));
	if (k->stage == INGEST_STAGE_SPLIT) {
		refuse(&r, k->rc, k->why);
		report(run, &r);
		return PKS_OK;
	}
	if ((rc = finish_key(run, k, &r)) != PKS_OK)
		return rc;
	report(run, &r);
	/* A stored key suggests more of them (a dump imported again):
	 * then the threads leave verification to the merge. */
	*as_new = r.outcome != INGEST_UNCHANGED && r.outcome != INGEST_UPDATED;
	return PKS_OK;
}

/* Every key of a binary keyring; stops only on a database error. */
static enum pks_rc
ingest_ring(struct ingest_run *run, const uint8_t *data, size_t len)
{
	return ingest_pipe_run(
	    data, len, run->threads, run->inflight, finish_cb, run);
}

/* ingest_blocks ring, in the transaction: a decoded block's keys. */
static enum pks_rc
armor_ring(void *arg, struct buf *bin, size_t *nkeys)
{
	struct ingest_run *run = arg;
	size_t before = run->nreported;
	enum pks_rc rc;

	rc = ingest_ring(run, bin->data, bin->len);
	*nkeys = run->nreported - before;
	return rc;
}

/* ingest_blocks refused, in the transaction: reported at once. */
static void
armor_refused(void *arg, enum pks_rc why_rc, const char *why)
{
	struct ingest_run *run = arg;
	struct ingest_result r;

	memset(&r, 0, sizeof(r));
	refuse(&r, why_rc, why);
	report(run, &r);
}

/* The database part of a text's plan (ingest_plan.c), in its order. */
static enum pks_rc
replay(struct ingest_run *run, struct ingest_plan *p)
{
	enum pks_rc rc = PKS_OK;
	size_t i;
	int as_new;

	for (i = 0; i < p->n && rc == PKS_OK; i++) {
		if (p->v[i].is_key) {
			rc = finish_cb(run, &p->v[i].k, &as_new);
			ingest_prep_clear(&p->v[i].k);
		} else {
			armor_refused(run, p->v[i].rc, p->v[i].why);
		}
	}
	return rc;
}

/* A text's keys in the transaction: its plan, or (a large text, or
 * binary) key by key. */
static enum pks_rc
ingest_keys(struct ingest_run *run, struct ingest_plan *plan, const char *text,
    size_t len, int binary)
{
	struct ingest_blocks b = { armor_ring, armor_refused, run };

	if (len <= INGEST_PLAN_MAX)
		return replay(run, plan);
	if (binary)
		return ingest_ring(run, (const uint8_t *)text, len);
	return ingest_armor_walk(text, len, &b);
}

void
ingest_sync_free(struct ingest_sync *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->npeers; i++)
		free(s->peers[i]);
	free(s->peers);
	free(s->this_site);
	free(s);
}

/* Whether v is among list[0..n), as a whole value ignoring ASCII case. */
static int
named(const char *v, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] != NULL && strcasecmp(v, list[i]) == 0)
			return 1;
	return 0;
}

/* A received X-KeyServer-Sent value fit to be sent on: one line of
 * printable ASCII without spaces, at most INGEST_MAX_PATH_VALUE bytes. */
static int
path_value_ok(const char *v)
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f)
			return 0;
	return i > 0 && i <= INGEST_MAX_PATH_VALUE;
}

/* The outgoing path: the received values (incrementals), then ours. */
static void
build_path(struct ingest_run *run, const struct ingest_origin *o)
{
	struct buf b;
	size_t i;

	buf_init(&b, (size_t)-1);
	for (i = 0; o->src == INGEST_MAIL_INCREMENTAL && i < o->nsent; i++) {
		if (o->sent[i] == NULL || !path_value_ok(o->sent[i]))
			continue;
		(void)buf_adds(&b, o->sent[i]);
		(void)buf_addc(&b, '\n');
	}
	if (o->src != INGEST_MAIL_INCREMENTAL ||
	    !named(o->sync->this_site, o->sent, o->nsent))
		(void)buf_adds(&b, o->sync->this_site);
	else if (b.len > 0)
		b.len--; /* ours is in the list: drop the last '\n' */
	(void)buf_addc(&b, '\0');
	run->path = (char *)buf_steal(&b, &i);
}

/* Who gets the new packets: every peer not already named, once. */
static void
choose_peers(struct ingest_run *run, const struct ingest_origin *o)
{
	const struct ingest_sync *sy = o->sync;
	const char *const *peers = (const char *const *)sy->peers;
	size_t i;
	int incr = o->src == INGEST_MAIL_INCREMENTAL;

	run->rcpt = xreallocarray(NULL, sy->npeers + 1, sizeof(*run->rcpt));
	for (i = 0; i < sy->npeers; i++) {
		if (strcasecmp(peers[i], sy->this_site) == 0 ||
		    named(peers[i], peers, i) ||
		    (incr && named(peers[i], o->sent, o->nsent)))
			continue;
		run->rcpt[run->nrcpt++] = peers[i];
	}
	if (run->nrcpt > 0)
		build_path(run, o);
}

static void
run_init(struct ingest_run *run, struct store *st,
    const struct ingest_origin *o, ingest_cb cb, void *arg)
{
	memset(run, 0, sizeof(*run));
	run->st = st;
	run->src = o->src;
	run->cb = cb;
	run->arg = arg;
	run->threads = 1;
	run->inflight = 1;
	if (o->sync != NULL && o->sync->this_site != NULL)
		choose_peers(run, o);
}

static void
run_free(struct ingest_run *run)
{
	free(run->rcpt);
	free(run->path);
	run->rcpt = NULL;
	run->path = NULL;
}

/* The persistent counters of what this transaction stored. */
static enum pks_rc
count_keys(struct ingest_run *run)
{
	const char *src = counter_source(run->src);
	enum pks_rc rc = PKS_OK;

	if (run->tally.nnew > 0)
		rc = store_counter_add(run->st, STORE_CTR_KEYS_ADDED, src,
		    (int64_t)run->tally.nnew);
	if (rc == PKS_OK && run->tally.nupdated > 0)
		rc = store_counter_add(run->st, STORE_CTR_KEYS_UPDATED, src,
		    (int64_t)run->tally.nupdated);
	return rc;
}

/* Count, commit (or roll back on rc) and pass the counts on. */
static enum pks_rc
run_finish(struct ingest_run *run, enum pks_rc rc, struct ingest_stats *stats)
{
	run_free(run);
	if (rc == PKS_OK)
		rc = count_keys(run);
	if (rc == PKS_OK)
		rc = store_commit(run->st);
	if (rc != PKS_OK) {
		store_rollback(run->st);
		if (rc != PKS_ERR_NOTFOUND)
			log_warnx("ingest source=%s rolled back: %s (%s)",
			    source_name(run->src), pks_rc_str(rc),
			    store_errmsg(run->st));
		return rc;
	}
	if (stats != NULL) {
		stats->nnew += run->tally.nnew;
		stats->nupdated += run->tally.nupdated;
		stats->nunchanged += run->tally.nunchanged;
		stats->nrefused += run->tally.nrefused;
		stats->nqueued += run->tally.nqueued;
		stats->nverified += run->tally.nverified;
	}
	log_debug("ingest source=%s new=%zu updated=%zu unchanged=%zu "
		  "refused=%zu queued=%zu",
	    source_name(run->src), run->tally.nnew, run->tally.nupdated,
	    run->tally.nunchanged, run->tally.nrefused, run->tally.nqueued);
	return PKS_OK;
}

/* A transaction of an import, fed in pieces. */
struct ingest_txn {
	struct ingest_run run;
};

enum pks_rc
ingest_txn_begin(struct store *st, const struct ingest_origin *origin,
    ingest_cb cb, void *arg, struct ingest_txn **out)
{
	enum pks_rc rc;

	*out = NULL;
	if ((rc = store_begin(st)) != PKS_OK)
		return rc;
	*out = xcalloc(1, sizeof(**out));
	run_init(&(*out)->run, st, origin, cb, arg);
	return PKS_OK;
}

void
ingest_txn_threads(struct ingest_txn *t, size_t threads, size_t inflight)
{
	t->run.threads = threads > 0 ? threads : 1;
	t->run.inflight = inflight > 0 ? inflight : 1;
}

enum pks_rc
ingest_txn_keyring(struct ingest_txn *t, const uint8_t *data, size_t len)
{
	return ingest_ring(&t->run, data, len);
}

enum pks_rc
ingest_txn_end(struct ingest_txn *t, enum pks_rc rc, struct ingest_stats *stats)
{
	if (t == NULL)
		return rc;
	rc = run_finish(&t->run, rc, stats);
	free(t);
	return rc;
}

enum pks_rc
ingest_keyring(struct store *st, const struct ingest_origin *origin,
    const uint8_t *data, size_t len, ingest_cb cb, void *arg,
    struct ingest_stats *stats)
{
	struct ingest_txn *t = NULL;
	enum pks_rc rc;

	if ((rc = ingest_txn_begin(st, origin, cb, arg, &t)) != PKS_OK)
		return rc;
	rc = ingest_txn_keyring(t, data, len);
	return ingest_txn_end(t, rc, stats);
}

enum pks_rc
ingest_text(struct store *st, const struct ingest_origin *origin,
    const char *text, size_t len, ingest_cb cb, void *arg,
    struct ingest_stats *stats)
{
	struct ingest_plan plan;
	struct ingest_run run;
	enum pks_rc rc = PKS_OK;
	int binary;

	if (len > PKS_MAX_ARMOR)
		return PKS_ERR_TOOBIG;
	binary = len > 0 && ((unsigned char)text[0] & 0x80) != 0;
	/* No write lock for text that cannot hold a key. */
	if (!binary && !pgp_armor_present(text, len))
		return PKS_ERR_NOTFOUND;
	/* Parsing and verifying before the write lock (ingest_plan.c). */
	memset(&plan, 0, sizeof(plan));
	if (len <= INGEST_PLAN_MAX)
		rc = ingest_plan_make(st, text, len, binary, &plan);
	if (rc == PKS_OK && (rc = store_begin(st)) == PKS_OK) {
		run_init(&run, st, origin, cb, arg);
		rc = ingest_keys(&run, &plan, text, len, binary);
		if (rc == PKS_OK && run.nreported == 0)
			rc = PKS_ERR_NOTFOUND;
		rc = run_finish(&run, rc, stats);
	}
	ingest_plan_free(&plan);
	return rc;
}

/* The key's tree entry, row and index rows go, and its hash is kept as
 * refused; *removed says whether there was a key. */
static enum pks_rc
delete_stored(struct store *st, const uint8_t *fpr, size_t fprlen, int *removed)
{
	struct store_key old;
	enum pks_rc rc;

	memset(&old, 0, sizeof(old));
	rc = store_key_find(st, fpr, fprlen, &old);
	if (rc == PKS_ERR_NOTFOUND)
		return PKS_OK;
	if (rc == PKS_OK)
		rc = store_ptree_key_change(st, old.id, old.hash, 0);
	if (rc == PKS_OK)
		rc = store_key_delete(st, old.id);
	if (rc == PKS_OK)
		rc = store_refused_add(
		    st, old.hash, fpr, fprlen, WHY_DELETED, "admin");
	*removed = rc == PKS_OK;
	store_key_clear(&old);
	return rc;
}

enum pks_rc
ingest_delete(struct store *st, const uint8_t *fpr, size_t fprlen,
    const char *reason, int *removed)
{
	enum pks_rc rc;

	*removed = 0;
	if ((rc = store_begin(st)) != PKS_OK)
		return rc;
	rc = delete_stored(st, fpr, fprlen, removed);
	if (rc == PKS_OK)
		rc = store_tombstone_add(st, fpr, fprlen, reason);
	if (rc == PKS_OK)
		rc = store_commit(st);
	if (rc != PKS_OK) {
		store_rollback(st);
		*removed = 0;
	}
	return rc;
}

enum pks_rc
ingest_undelete(struct store *st, const uint8_t *fpr, size_t fprlen)
{
	enum pks_rc rc;

	if ((rc = store_begin(st)) != PKS_OK)
		return rc;
	rc = store_tombstone_remove(st, fpr, fprlen);
	if (rc == PKS_OK)
		rc = store_refused_forget(st, fpr, fprlen);
	if (rc == PKS_OK)
		rc = store_commit(st);
	if (rc != PKS_OK)
		store_rollback(st);
	return rc;
}
