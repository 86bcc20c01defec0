/*
 * limits.h: every size cap in pksync, in one place.
 *
 * Inputs are refused (PKS_ERR_TOOBIG) when they pass these; nothing is
 * read into memory beyond them.  Values follow gpg's own limits where a
 * key must stay importable by gpg (g10/packet.h, kbx/keybox-file.c).
 */
#ifndef PKS_UTIL_LIMITS_H
#define PKS_UTIL_LIMITS_H

/* One OpenPGP packet inside a key (gpg: key packets <= 256 KiB). */
#define PKS_MAX_PACKET (256u * 1024)
/* One user ID packet (gpg refuses larger ones). */
#define PKS_MAX_UID (2u * 1024)
/*
 * One transferable public key as stored, all packets, and its packets.
 * Large enough for every key of the SKS network, flooded ones included
 * (150,000 certifications); what is served is bounded on output
 * ([keys] served_certs_per_uid).  The configured [keys] max_bytes and
 * max_packets apply to the merged result and may only be lower.
 */
#define PKS_MAX_KEY (64u * 1024 * 1024)
#define PKS_MAX_KEY_PACKETS 250000u
/* Armored text accepted in one go (several keys). */
#define PKS_MAX_ARMOR (96u * 1024 * 1024)
/* Default third-party certifications per user ID in a served key. */
#define PKS_SERVED_CERTS_DEFAULT 100u
/* Default certifications verified against stored issuers per key merge
 * ([keys] issuer_verifications). */
#define PKS_ISSUER_VERIFY_DEFAULT 1000u
/* Default certifications per key waiting for their issuer, and keys
 * marked again when one arrives ([keys] issuer_waits_per_key,
 * issuer_remarks_per_key). */
#define PKS_ISSUER_WAITS_DEFAULT 1000u
#define PKS_ISSUER_REMARKS_DEFAULT 100u
/* Default bytes of listing copies kept with one key's words in the word
 * table ([keys] word_listing_bytes, store_wordkeys.c). */
#define PKS_WORD_LISTING_BYTES_DEFAULT 65536u
/* Default bytes of word table rows gathered and sorted before they are
 * written ([import] word_sort_bytes, store_wordkeys.c). */
#define PKS_WORD_SORT_BYTES_DEFAULT (64u * 1024 * 1024)

/*
 * The key limits in force ([keys] of the config file; these defaults
 * until a config is loaded): bytes and packets of a stored key, and
 * third-party certifications per user ID in what is served, and which
 * of them win (those by issuers stored here first, or the newest), and
 * how many of those issuers' certifications one merge verifies.  Set once
 * at start-up, before threads start.
 */
struct pks_key_limits {
	size_t max_bytes;
	size_t max_packets;
	size_t served_certs;
	int served_known; /* served_certs_prefer = known (1) or newest */
	size_t issuer_verifications; /* per key merge */
	size_t issuer_waits;         /* waiting certifications per key */
	size_t issuer_remarks;       /* keys marked again per new key */
	size_t word_listing_bytes;   /* listing copies in the word table */
	size_t word_sort_bytes;      /* [import]: word rows sorted at once */
};
const struct pks_key_limits *pks_key_limits(void);
void pks_key_limits_set(const struct pks_key_limits *l);
/* Default cap of a POST body (config: [server] max_post). */
#define PKS_MAX_POST_DEFAULT (8u * 1024 * 1024)
/* Query string values (search=...). */
#define PKS_MAX_QUERY 1024u
/* Words in one text search. */
#define PKS_MAX_WORDS 16u
/* Default maximum matches for a search (config: [server] max_matches). */
#define PKS_MAX_MATCHES_DEFAULT 500u
/* Hashes in one /pks/hashquery request. */
#define PKS_MAX_HASHQUERY 10000u
/* One line of the config file. */
#define PKS_MAX_CONF_LINE 4096u
/* One recon frame (Hockeypuck and SKS compatible). */
#define PKS_MAX_RECON_MSG (16u * 1024 * 1024)
/* One incoming mail message. */
#define PKS_MAX_MAIL (10u * 1024 * 1024)
/* Networks in one access list ([server] metrics_allow). */
#define PKS_MAX_CIDRS 64u

#endif
