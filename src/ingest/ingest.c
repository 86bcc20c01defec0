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

#include <string.h>

#include "ingest/ingest.h"
#include "pgp/pgp_armor.h"
#include "pgp/pgp_index.h"
#include "pgp/pgp_key.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/log.h"

/* One ingest call: where keys go, who hears of them, what happened. */
struct ingest_run {
	struct store *st;
	enum ingest_source src;
	ingest_cb cb;
	void *arg;
	struct ingest_stats tally;
	size_t nreported;
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
	run->nreported++;
	if (log_enabled(LOG_LVL_DEBUG)) {
		if (r->have_fpr)
			pgp_hex(r->fpr.fpr, r->fpr.len, hex);
		log_debug("ingest source=%s key=%s outcome=%s added=%zu%s%s",
		    source_name(run->src), hex, outcome_name(r->outcome),
		    r->added, r->why ? " why=" : "", r->why ? r->why : "");
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
 * Store 'key' as a new row (id == 0) or as the new state of row id, with
 * its SKS hash and index facts.  Returns a database error, or PKS_OK
 * with r->outcome set (refused when the key cannot be written).
 *
 * Everything that must change together with the key belongs here, in
 * the caller's transaction: today the key row and its search indexes;
 * the recon prefix tree (old hash out, new hash in, for recon keys) and
 * the outbox rows for the packets the merge added follow the store
 * write below.
 */
static enum pks_rc
write_key(struct ingest_run *run, const struct pgp_key *key, int64_t id,
    struct ingest_result *r)
{
	struct pgp_key_info *info = NULL;
	struct store_key_rec rec;
	struct buf out;
	enum pks_rc rc;
	int v;

	memset(&rec, 0, sizeof(rec));
	buf_init(&out, PKS_MAX_KEY);
	if ((rc = pgp_key_write(key, &out, PGP_HDR_SKS)) != PKS_OK) {
		rc = refuse(r, rc, rc == PKS_ERR_TOOBIG ?
		    "key would pass the size limit" : NULL);
		goto out;
	}
	if ((rc = pgp_key_info(key, &info)) != PKS_OK) {
		rc = refuse(r, rc, "no index facts can be read from the key");
		goto out;
	}
	v = pgp_key_version(key);
	rec.data = out.data;
	rec.len = out.len;
	rec.info = info;
	rec.recon = v >= 2 && v <= 4;
	pgp_key_hash(key, rec.hash);
	if (id == 0) {
		rc = store_key_insert(run->st, &rec, &id);
		r->outcome = INGEST_NEW;
	} else {
		rc = store_key_update(run->st, id, &rec);
		r->outcome = INGEST_UPDATED;
	}
	if (rc == PKS_OK)
		memcpy(r->hash, rec.hash, sizeof(r->hash));
out:
	pgp_key_info_free(info);
	buf_free(&out);
	return rc;
}

/* Merge 'key' into the stored copy 'old' and write what changed. */
static enum pks_rc
merge_stored(struct ingest_run *run, const struct store_key *old,
    const struct pgp_key *key, struct ingest_result *r)
{
	struct pgp_key *stored = NULL;
	struct pks_err err = { 0, NULL };
	uint8_t hash[16];
	enum pks_rc rc;

	rc = pgp_key_parse(old->data, old->len, &stored, &err);
	if (rc != PKS_OK) {
		log_warnx("key row %lld: stored packets do not parse: %s "
		    "(run pksync check)", (long long)old->id,
		    err.why ? err.why : pks_rc_str(rc));
		return refuse(r, rc, "the stored copy of this key is damaged");
	}
	rc = pgp_key_merge(stored, key, &r->added, NULL);
	if (rc == PKS_OK && r->added == 0)
		pgp_key_hash(stored, hash);
	if (rc != PKS_OK) {
		rc = refuse(r, rc, "primary key packet differs from the "
		    "stored key with this fingerprint");
	} else if (r->added == 0 && memcmp(hash, old->hash, 16) == 0) {
		/* Nothing new: no write, no new hash, no new timestamp. */
		r->outcome = INGEST_UNCHANGED;
		memcpy(r->hash, old->hash, sizeof(r->hash));
	} else {
		/* New packets, or SKS's merge dropped duplicate signatures a
		 * lone uid had kept: the stored form and hash change either
		 * way, exactly as on an SKS peer. */
		rc = write_key(run, stored, old->id, r);
	}
	pgp_key_free(stored);
	return rc;
}

/*
 * One key: the bytes from its public-key packet to the next.  Returns a
 * database error, or PKS_OK with r->outcome set.
 */
static enum pks_rc
ingest_one(struct ingest_run *run, const uint8_t *p, size_t n,
    struct ingest_result *r)
{
	struct pgp_key *key = NULL;
	struct store_key old;
	struct pks_err err = { 0, NULL };
	enum pks_rc rc;

	memset(&old, 0, sizeof(old));
	if ((rc = pgp_key_parse(p, n, &key, &err)) != PKS_OK)
		return refuse(r, rc, err.why);
	pgp_key_canonicalize(key);
	rc = pgp_fpr_compute(key->key.body, key->key.len, &r->fpr, &err);
	if (rc != PKS_OK) {
		rc = refuse(r, rc, err.why);
		goto out;
	}
	r->have_fpr = 1;
	rc = store_key_find(run->st, r->fpr.fpr, r->fpr.len, &old);
	if (rc == PKS_ERR_NOTFOUND) {
		r->added = pgp_key_npackets(key);
		rc = write_key(run, key, 0, r);
	} else if (rc == PKS_OK) {
		rc = merge_stored(run, &old, key, r);
	}
out:
	store_key_clear(&old);
	pgp_key_free(key);
	return rc;
}

/* Every key of a binary keyring; stops only on a database error. */
static enum pks_rc
ingest_ring(struct ingest_run *run, const uint8_t *data, size_t len)
{
	struct pgp_keyring_iter it;
	struct ingest_result r;
	struct pks_err err;
	const uint8_t *kp;
	size_t kl, before;
	enum pks_rc rc;

	pgp_keyring_init(&it, data, len);
	for (;;) {
		memset(&r, 0, sizeof(r));
		err.off = 0;
		err.why = NULL;
		kp = NULL;
		before = it.off;
		rc = pgp_keyring_next(&it, &kp, &kl, &err);
		if (rc == PKS_ERR_NOTFOUND)
			return PKS_OK;
		if (rc != PKS_OK) {
			refuse(&r, rc, err.why);
			report(run, &r);
			/* A framing error ends the keyring. */
			if (kp == NULL || it.off == before)
				return PKS_OK;
			continue;
		}
		if ((rc = ingest_one(run, kp, kl, &r)) != PKS_OK)
			return rc;
		report(run, &r);
	}
}

/* Every armored block of a text; a bad block is reported as refused. */
static enum pks_rc
ingest_armor(struct ingest_run *run, const char *text, size_t len)
{
	struct ingest_result r;
	struct pks_err err;
	struct buf bin;
	size_t off = 0, before, nbefore;
	enum pks_rc rc = PKS_OK;

	buf_init(&bin, PKS_MAX_ARMOR);
	for (;;) {
		buf_reset(&bin);
		memset(&r, 0, sizeof(r));
		err.off = 0;
		err.why = NULL;
		before = off;
		rc = pgp_armor_next(text, len, &off, &bin, &err);
		if (rc == PKS_ERR_NOTFOUND) {
			rc = PKS_OK;
			break;
		}
		if (rc != PKS_OK) {
			refuse(&r, rc, err.why);
			report(run, &r);
			rc = PKS_OK;
			if (off <= before)
				break;
			continue;
		}
		nbefore = run->nreported;
		if ((rc = ingest_ring(run, bin.data, bin.len)) != PKS_OK)
			break;
		if (run->nreported == nbefore) {
			refuse(&r, PKS_ERR_NOTFOUND, "armor block holds no key");
			report(run, &r);
		}
	}
	buf_free(&bin);
	return rc;
}

static void
run_init(struct ingest_run *run, struct store *st, enum ingest_source src,
    ingest_cb cb, void *arg)
{
	memset(run, 0, sizeof(*run));
	run->st = st;
	run->src = src;
	run->cb = cb;
	run->arg = arg;
}

/* Commit (or roll back on rc) and pass the counts on. */
static enum pks_rc
run_finish(struct ingest_run *run, enum pks_rc rc, struct ingest_stats *stats)
{
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
	}
	log_debug("ingest source=%s new=%zu updated=%zu unchanged=%zu "
	    "refused=%zu", source_name(run->src), run->tally.nnew,
	    run->tally.nupdated, run->tally.nunchanged, run->tally.nrefused);
	return PKS_OK;
}

enum pks_rc
ingest_keyring(struct store *st, enum ingest_source src,
    const uint8_t *data, size_t len, ingest_cb cb, void *arg,
    struct ingest_stats *stats)
{
	struct ingest_run run;
	enum pks_rc rc;

	run_init(&run, st, src, cb, arg);
	if ((rc = store_begin(st)) != PKS_OK)
		return rc;
	rc = ingest_ring(&run, data, len);
	return run_finish(&run, rc, stats);
}

enum pks_rc
ingest_text(struct store *st, enum ingest_source src, const char *text,
    size_t len, ingest_cb cb, void *arg, struct ingest_stats *stats)
{
	struct ingest_run run;
	enum pks_rc rc;
	int binary;

	if (len > PKS_MAX_ARMOR)
		return PKS_ERR_TOOBIG;
	binary = len > 0 && ((unsigned char)text[0] & 0x80) != 0;
	/* No write lock for text that cannot hold a key. */
	if (!binary && !pgp_armor_present(text, len))
		return PKS_ERR_NOTFOUND;
	run_init(&run, st, src, cb, arg);
	if ((rc = store_begin(st)) != PKS_OK)
		return rc;
	if (binary)
		rc = ingest_ring(&run, (const uint8_t *)text, len);
	else
		rc = ingest_armor(&run, text, len);
	if (rc == PKS_OK && run.nreported == 0)
		rc = PKS_ERR_NOTFOUND;
	return run_finish(&run, rc, stats);
}
