/*
 * pgp_key.c: transferable public keys as SKS stores them: splitting a
 * keyring, parsing a key with SKS's grammar, writing it back, and the
 * SKS key hash.  Canonical form and merging are in pgp_merge.c; the
 * rules both follow are written down here, read from SKS 1.1.6's source.
 *
 * Splitting (key.ml next/get): a key starts at every Public-Key packet
 * (tag 6) and runs up to the next one.  Packets before the first tag 6
 * are not a key; fixkey.ml canonicalize refuses a key whose first packet
 * is a key, subkey or certification revocation (0x20/0x28/0x30) as a
 * "standalone revocation certificate".
 *
 * Grammar (keyMerge.ml parse_keystr, key_to_pkey):
 *     v4:    pubkey sig* ((uid | uat) sig*)* (subkey sig*)*
 *     v2/v3: pubkey sig* ((uid | uat) sig*)*
 * with nothing after the last block.  SKS raises on any other version
 * ("Unexpected key packet version number"); pksync accepts v5 and v6
 * with the v4 grammar (the caller keeps them out of recon).  SKS refuses
 * keys holding trust packets; pksync drops trust (12), marker (10) and
 * padding (21) packets on the way in, and refuses secret-key packets
 * (5, 7).  Unknown algorithms and curves are never a reason to refuse.
 *
 * Packet order: a packet is an OCaml record {content_tag; packet_type;
 * packet_length; packet_body} (packet.ml), and SKS compares packets with
 * OCaml's polymorphic compare: tag, then length, then the body bytes
 * (memcmp).  pgp_pkt_cmp_sks() is that order.
 *
 * Canonical form, yminsky.dedup (keyMerge.ml dedup_pkey, dedup_key,
 * called by fixkey.ml canonicalize on every incoming key):
 *   - direct signatures: Utils.dedup, i.e. Set.elements (Set.of_list l):
 *     sorted by the packet order above, exact duplicates removed;
 *   - uid/uat blocks, then subkey blocks: grouped in a map keyed by the
 *     head packet (pMap.ml, polymorphic compare); Map.to_alist yields
 *     the blocks in ascending head order (fold visits keys from the
 *     largest and prepends), so uids (tag 13) come before uats (17);
 *   - a head that occurs once keeps its signature list AS IS: original
 *     order, exact duplicates kept;
 *   - a head that occurs more than once gets Utils.dedup of the
 *     concatenated lists: a sorted set;
 *   - the same signature under two heads stays under both.
 * Canonicalising twice gives the same bytes (every head is then unique
 * and its list is left alone).
 *
 * Merge, yminsky.merge (keyMerge.ml merge_pkeys, merge_sigpairs):
 * the keys must have equal primary key packets; direct signatures become
 * the sorted set of both lists; uid and subkey blocks are grouped as
 * above over the concatenated lists, so a head present in both keys gets
 * the sorted set of the union, and a head present in one keeps its list
 * as is.  The merged key is stored as built, not canonicalised again.
 *
 * When a merge changes nothing (keydb.ml key_to_merge_updates,
 * sort_remove): SKS first hashes the canonical incoming key and stops if
 * that hash is already stored (an identical copy).  Otherwise it merges
 * with the stored key; if the merged key has the stored key's hash, the
 * deletion of the old hash and the addition of the new one cancel
 * (sort_remove) and the stored key keeps its stored bytes, even if the
 * merge reordered them.  pgp_key_merge() does the same and then reports
 * added == 0 and leaves 'into' untouched.  A merge can still change the
 * hash without adding a packet: a uid kept with duplicate signatures
 * loses them once it is merged with any copy that differs; SKS then
 * stores the merged key under its new hash, and so does pksync.
 *
 * Key hash (keyHash.ml hash, sort, concat): MD5 over the packets sorted
 * by (tag, body) -- tag as an integer, then the body bytes with a
 * shorter prefix first; NOT by length first -- each framed as a 4-octet
 * big-endian tag, a 4-octet big-endian length, and the body.
 * Duplicates are hashed as often as they occur.
 *
 * Writing (packet.ml write_packet_old): old-format headers for tags
 * below 16 with a 1-, 2- or 4-octet length (< 256, < 65536, else), and
 * for tags 16 and up a new-format header with a 5-octet length (0xFF and
 * four octets), whatever the size.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "pgp/pgp_fpr.h"
#include "pgp/pgp_int.h"
#include "pgp/pgp_key.h"
#include "util/limits.h"
#include "util/xalloc.h"

int
pgp_pkt_cmp_sks(const struct pgp_pkt *a, const struct pgp_pkt *b)
{
	if (a->tag != b->tag)
		return a->tag < b->tag ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->len ? memcmp(a->body, b->body, a->len) : 0;
}

int
pgp_sig_at_cmp(const struct pgp_pkt *ha, const struct pgp_pkt *sa,
    const struct pgp_pkt *hb, const struct pgp_pkt *sb)
{
	int c;

	if (ha != hb) {
		if (ha == NULL || hb == NULL)
			return ha == NULL ? -1 : 1;
		if ((c = pgp_pkt_cmp_sks(ha, hb)) != 0)
			return c;
	}
	return pgp_pkt_cmp_sks(sa, sb);
}

int
pgp_pkt_equal(const struct pgp_pkt *a, const struct pgp_pkt *b)
{
	return a->tag == b->tag && a->len == b->len &&
	       (a->len == 0 || memcmp(a->body, b->body, a->len) == 0);
}

/* ---- splitting a keyring ---- */

void
pgp_keyring_init(struct pgp_keyring_iter *it, const uint8_t *data, size_t len)
{
	it->data = data;
	it->len = len;
	it->off = 0;
}

static int
droppable(unsigned tag)
{
	return tag == PGP_TAG_MARKER || tag == PGP_TAG_TRUST ||
	       tag == PGP_TAG_PADDING;
}

/* Why a run of packets that does not start with tag 6 is not a key. */
static const char *
not_a_key(const struct pgp_packet *first)
{
	int t;

	if (first->tag == PGP_TAG_SECKEY || first->tag == PGP_TAG_SECSUBKEY)
		return "secret key material refused";
	if (first->tag == PGP_TAG_SIG) {
		t = pgp_sig_type(first->body, first->len);
		if (t == 0x20 || t == 0x28 || t == 0x30)
			return "standalone revocation certificate";
	}
	return "packets without a public key packet";
}

/*
 * Scan the run of packets at it->off up to the next tag 6.  Leading
 * trust, marker and padding packets are skipped first.  Returns a
 * framing error as is; *first is the run's first packet.
 */
static enum pks_rc
scan_run(struct pgp_keyring_iter *it, size_t *start, size_t *end,
    struct pgp_packet *first, struct pks_err *err)
{
	struct pgp_packet p;
	size_t next;
	enum pks_rc rc;

	do {
		*start = it->off;
		if (*start >= it->len)
			return PKS_ERR_NOTFOUND;
		rc = pgp_packet_next(it->data, it->len, &it->off, first, err);
		if (rc != PKS_OK)
			return rc;
	} while (droppable(first->tag));
	for (*end = it->off; *end < it->len; *end = next) {
		next = *end;
		rc = pgp_packet_next(it->data, it->len, &next, &p, err);
		if (rc != PKS_OK)
			return rc;
		if (p.tag == PGP_TAG_PUBKEY)
			break;
	}
	return PKS_OK;
}

enum pks_rc
pgp_keyring_next(struct pgp_keyring_iter *it, const uint8_t **key,
    size_t *keylen, struct pks_err *err)
{
	struct pgp_packet first;
	size_t start = it->off, end = it->off;
	enum pks_rc rc;

	*key = NULL;
	*keylen = 0;
	rc = scan_run(it, &start, &end, &first, err);
	if (rc == PKS_ERR_NOTFOUND)
		return rc;
	if (rc != PKS_OK) {
		it->off = it->len;
		return rc == PKS_ERR_TOOBIG ? rc : PKS_ERR_PARSE;
	}
	it->off = end;
	*key = it->data + start;
	*keylen = end - start;
	if (first.tag == PGP_TAG_PUBKEY)
		return PKS_OK;
	return pks_fail(err, start, not_a_key(&first), PKS_ERR_PARSE);
}

/* ---- parsing one key ---- */

/*
 * Append a copy of a packet to a list grown by parse only.  The capacity
 * is implicit: the smallest power of two >= n.
 */
static void
push(struct pgp_pkt **v, size_t *n, const struct pgp_packet *p)
{
	if ((*n & (*n - 1)) == 0)
		*v = xreallocarray(*v, *n ? *n * 2 : 1, sizeof(**v));
	(*v)[*n].tag = p->tag;
	(*v)[*n].len = p->len;
	(*v)[*n].body = xmemdup(p->body, p->len);
	(*n)++;
}

static struct pgp_block *
push_block(struct pgp_block **v, size_t *n, const struct pgp_packet *p)
{
	struct pgp_block *b;

	if ((*n & (*n - 1)) == 0)
		*v = xreallocarray(*v, *n ? *n * 2 : 1, sizeof(**v));
	b = &(*v)[*n];
	memset(b, 0, sizeof(*b));
	b->head.tag = p->tag;
	b->head.len = p->len;
	b->head.body = xmemdup(p->body, p->len);
	(*n)++;
	return b;
}

/* Parser state: where the next signature goes. */
struct kparse {
	struct pgp_key *key;
	struct pgp_block *cur; /* NULL: direct signatures */
	int in_subkeys;
	int version;
};

/* Place one packet after the primary key packet. */
static const char *
place(struct kparse *st, const struct pgp_packet *p)
{
	struct pgp_key *k = st->key;

	switch (p->tag) {
	case PGP_TAG_SIG:
		if (st->cur == NULL)
			push(&k->sigs, &k->nsigs, p);
		else
			push(&st->cur->sigs, &st->cur->nsigs, p);
		return NULL;
	case PGP_TAG_UID:
	case PGP_TAG_UAT:
		if (st->in_subkeys)
			return "user ID after a subkey";
		st->cur = push_block(&k->uids, &k->nuids, p);
		return NULL;
	case PGP_TAG_PUBSUBKEY:
		if (st->version < 4)
			return "subkey on a v3 key";
		st->in_subkeys = 1;
		st->cur = push_block(&k->subkeys, &k->nsubkeys, p);
		return NULL;
	case PGP_TAG_SECKEY:
	case PGP_TAG_SECSUBKEY:
		return "secret key material refused";
	case PGP_TAG_PUBKEY:
		return "a second public key packet";
	default:
		return "unexpected packet in a public key";
	}
}

/* Check and copy the primary key packet. */
static enum pks_rc
first_packet(struct kparse *st, const struct pgp_packet *p, size_t off,
    struct pks_err *err)
{
	struct pgp_fpr fpr;
	enum pks_rc rc;

	if (p->tag == PGP_TAG_SECKEY || p->tag == PGP_TAG_SECSUBKEY)
		return pks_fail(
		    err, off, "secret key material refused", PKS_ERR_PARSE);
	if (p->tag != PGP_TAG_PUBKEY)
		return pks_fail(err, off,
		    "key does not start with a public "
		    "key packet",
		    PKS_ERR_PARSE);
	if (p->len < 1)
		return pks_fail(err, off, "empty key packet", PKS_ERR_PARSE);
	st->version = p->body[0];
	if (st->version < 2 || st->version > 6)
		return pks_fail(err, off, "unsupported key packet version",
		    PKS_ERR_UNSUPPORTED);
	/* A key must have a fingerprint and key ID to be stored. */
	rc = pgp_fpr_compute(p->body, p->len, &fpr, err);
	if (rc != PKS_OK)
		return pks_fail(err, off, "malformed key packet", rc);
	st->key->key.tag = p->tag;
	st->key->key.len = p->len;
	st->key->key.body = xmemdup(p->body, p->len);
	return PKS_OK;
}

enum pks_rc
pgp_key_parse(
    const uint8_t *data, size_t len, struct pgp_key **out, struct pks_err *err)
{
	struct kparse st;
	struct pgp_packet p;
	size_t off = 0, at, npkts = 0;
	const char *why;
	enum pks_rc rc = PKS_OK;

	*out = NULL;
	if (len > PKS_MAX_KEY)
		return pks_fail(err, 0, "key too large", PKS_ERR_TOOBIG);
	memset(&st, 0, sizeof(st));
	st.key = xcalloc(1, sizeof(*st.key));
	while (off < len) {
		at = off;
		rc = pgp_packet_next(data, len, &off, &p, err);
		if (rc != PKS_OK)
			goto out;
		if (droppable(p.tag))
			continue;
		if (++npkts > PKS_MAX_KEY_PACKETS) {
			rc = pks_fail(
			    err, at, "too many packets in key", PKS_ERR_TOOBIG);
			goto out;
		}
		if (npkts == 1) {
			rc = first_packet(&st, &p, at, err);
			if (rc != PKS_OK)
				goto out;
			continue;
		}
		why = place(&st, &p);
		if (why != NULL) {
			rc = pks_fail(err, at, why, PKS_ERR_PARSE);
			goto out;
		}
	}
	if (npkts == 0)
		rc = pks_fail(err, 0, "no public key packet", PKS_ERR_PARSE);
out:
	if (rc != PKS_OK) {
		pgp_key_free(st.key);
		return rc;
	}
	*out = st.key;
	return PKS_OK;
}

/* ---- ownership ---- */

static void
free_pkts(struct pgp_pkt *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].body);
	free(v);
}

static void
free_blocks(struct pgp_block *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].head.body);
		free_pkts(v[i].sigs, v[i].nsigs);
	}
	free(v);
}

void
pgp_key_free_parts(struct pgp_key *key)
{
	free(key->key.body);
	free_pkts(key->sigs, key->nsigs);
	free_blocks(key->uids, key->nuids);
	free_blocks(key->subkeys, key->nsubkeys);
	memset(key, 0, sizeof(*key));
}

void
pgp_key_free(struct pgp_key *key)
{
	if (key == NULL)
		return;
	pgp_key_free_parts(key);
	free(key);
}

static void
dup_pkt(struct pgp_pkt *to, const struct pgp_pkt *from)
{
	to->tag = from->tag;
	to->len = from->len;
	to->body = xmemdup(from->body, from->len);
}

static struct pgp_pkt *
dup_pkts(const struct pgp_pkt *v, size_t n)
{
	struct pgp_pkt *r;
	size_t i;

	if (n == 0)
		return NULL;
	r = xreallocarray(NULL, n, sizeof(*r));
	for (i = 0; i < n; i++)
		dup_pkt(&r[i], &v[i]);
	return r;
}

static struct pgp_block *
dup_blocks(const struct pgp_block *v, size_t n)
{
	struct pgp_block *r;
	size_t i;

	if (n == 0)
		return NULL;
	r = xreallocarray(NULL, n, sizeof(*r));
	for (i = 0; i < n; i++) {
		dup_pkt(&r[i].head, &v[i].head);
		r[i].sigs = dup_pkts(v[i].sigs, v[i].nsigs);
		r[i].nsigs = v[i].nsigs;
	}
	return r;
}

struct pgp_key *
pgp_key_dup(const struct pgp_key *key)
{
	struct pgp_key *r = xcalloc(1, sizeof(*r));

	dup_pkt(&r->key, &key->key);
	r->sigs = dup_pkts(key->sigs, key->nsigs);
	r->nsigs = key->nsigs;
	r->uids = dup_blocks(key->uids, key->nuids);
	r->nuids = key->nuids;
	r->subkeys = dup_blocks(key->subkeys, key->nsubkeys);
	r->nsubkeys = key->nsubkeys;
	return r;
}

int
pgp_key_version(const struct pgp_key *key)
{
	return key->key.len > 0 ? key->key.body[0] : 0;
}

size_t
pgp_key_npackets(const struct pgp_key *key)
{
	size_t n = 1 + key->nsigs + key->nuids + key->nsubkeys, i;

	for (i = 0; i < key->nuids; i++)
		n += key->uids[i].nsigs;
	for (i = 0; i < key->nsubkeys; i++)
		n += key->subkeys[i].nsigs;
	return n;
}

/* ---- writing ---- */

static enum pks_rc
write_block(
    const struct pgp_block *b, struct buf *out, enum pgp_hdr_style style)
{
	enum pks_rc rc;
	size_t i;

	if (style == PGP_HDR_OLD_ONLY && b->head.tag >= 16)
		return PKS_OK;
	rc = pgp_packet_write(
	    out, b->head.tag, b->head.body, b->head.len, style);
	for (i = 0; rc == PKS_OK && i < b->nsigs; i++)
		rc = pgp_packet_write(out, b->sigs[i].tag, b->sigs[i].body,
		    b->sigs[i].len, style);
	return rc;
}

enum pks_rc
pgp_key_write(
    const struct pgp_key *key, struct buf *out, enum pgp_hdr_style style)
{
	size_t base = out->len, i;
	enum pks_rc rc;

	rc = pgp_packet_write(
	    out, key->key.tag, key->key.body, key->key.len, style);
	for (i = 0; rc == PKS_OK && i < key->nsigs; i++)
		rc = pgp_packet_write(out, key->sigs[i].tag, key->sigs[i].body,
		    key->sigs[i].len, style);
	for (i = 0; rc == PKS_OK && i < key->nuids; i++)
		rc = write_block(&key->uids[i], out, style);
	for (i = 0; rc == PKS_OK && i < key->nsubkeys; i++)
		rc = write_block(&key->subkeys[i], out, style);
	if (rc != PKS_OK) {
		out->len = base;
		if (out->data != NULL)
			out->data[base] = '\0';
	}
	return rc;
}

/* ---- the SKS key hash ---- */

/* keyHash.ml packet_cmp: tag, then body bytes (shorter prefix first). */
static int
hash_cmp(const void *a, const void *b)
{
	const struct pgp_pkt *x = *(const struct pgp_pkt *const *)a;
	const struct pgp_pkt *y = *(const struct pgp_pkt *const *)b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c;

	if (x->tag != y->tag)
		return x->tag < y->tag ? -1 : 1;
	c = n ? memcmp(x->body, y->body, n) : 0;
	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

void
pgp_hash_pkts(const struct pgp_pkt **v, size_t n, uint8_t md5[16])
{
	struct pgp_md *md;
	uint8_t frame[8];
	size_t i;

	qsort(v, n, sizeof(*v), hash_cmp);
	md = pgp_md_open(GCRY_MD_MD5);
	for (i = 0; i < n; i++) {
		frame[0] = v[i]->tag >> 24;
		frame[1] = v[i]->tag >> 16;
		frame[2] = v[i]->tag >> 8;
		frame[3] = v[i]->tag;
		frame[4] = (uint32_t)v[i]->len >> 24;
		frame[5] = (uint32_t)v[i]->len >> 16;
		frame[6] = (uint32_t)v[i]->len >> 8;
		frame[7] = (uint32_t)v[i]->len;
		pgp_md_write(md, frame, 8);
		pgp_md_write(md, v[i]->body, v[i]->len);
	}
	pgp_md_close(md, md5, 16);
}

static size_t
collect_block(const struct pgp_block *b, const struct pgp_pkt **v)
{
	size_t i;

	v[0] = &b->head;
	for (i = 0; i < b->nsigs; i++)
		v[1 + i] = &b->sigs[i];
	return 1 + b->nsigs;
}

void
pgp_key_hash(const struct pgp_key *key, uint8_t md5[16])
{
	size_t n = pgp_key_npackets(key), k = 0, i;
	const struct pgp_pkt **v = xreallocarray(NULL, n, sizeof(*v));

	v[k++] = &key->key;
	for (i = 0; i < key->nsigs; i++)
		v[k++] = &key->sigs[i];
	for (i = 0; i < key->nuids; i++)
		k += collect_block(&key->uids[i], v + k);
	for (i = 0; i < key->nsubkeys; i++)
		k += collect_block(&key->subkeys[i], v + k);
	pgp_hash_pkts(v, k, md5);
	free(v);
}
