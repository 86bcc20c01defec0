/*
 * fixture.h: the temporary folder of a C unit test and the SQLite
 * database in it, made and removed the same way by every test:
 *   if (fixture_init("store") != 0) return 99;
 *   st = fixture_store(1000);   (a new empty database each call)
 *   ...
 *   fixture_done();             (every file in the folder, the folder)
 * The folder is $TMPDIR/pks-<name>-XXXXXX (/tmp when TMPDIR is unset
 * or too long).  Also the keys the pgp tests parse from their data,
 * and the hand-made keys of the store tests.
 */
#ifndef PKS_TESTS_FIXTURE_H
#define PKS_TESTS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "pgp/pgp_key.h"
#include "store/store.h"

/* The folder and the database path in it, set by fixture_init(). */
extern char fixture_dir[64];
extern char fixture_db[128];

/* Make the folder; 0, or -1 with the reason on stderr. */
int fixture_init(const char *name);

/* out = fixture_dir/file. */
void fixture_path(char *out, size_t size, const char *file);

/* Write text to path (replacing it); 1 on success, 0 on failure. */
int fixture_write(const char *path, const char *text);

/* Remove the database with its -wal and -shm files. */
void fixture_db_remove(void);

/* A new empty database at fixture_db (any old one removed), opened
 * with STORE_CREATE and a busy timeout of busy_ms; NULL on failure. */
struct store *fixture_store(int busy_ms);

/* Run one SQL statement on fixture_db through a connection of its own
 * (to look behind the store, or to damage it); the first column of the
 * first row, if any, into out ("" when none or NULL).  1 on success. */
int fixture_sql(const char *sql, char *out, size_t outsz);

/* Run a script of several statements the same way.  1 on success. */
int fixture_script(const char *sql);

/* The integer a query's first row starts with, -1 when it fails. */
long long fixture_sql_int(const char *sql);

/* The value of counter (name, label) in st, -1 when it was never
 * bumped, -2 when the counters cannot be read. */
int64_t fixture_counter(struct store *st, const char *name, const char *label);

/* The key in data[0..len), parsed (a failed CHECK and NULL when it
 * does not parse); the caller frees it with pgp_key_free(). */
struct pgp_key *fixture_key(const void *data, size_t len);

/* The same for the key in the source tree's file rel, such as
 * "tests/data/pgp/eddsa.pgp". */
struct pgp_key *fixture_key_file(const char *rel);

/*
 * A hand-made key for the store tests: a pgp_key_info record (no
 * packets that parse) and the store_key_rec that writes it.  The
 * primary fingerprint is byte 'tag' + 7 * i (fixture_fake_fpr with
 * sub 0), subkey n's is 'tag' + 7 * i + 31 * n, the key ID its bytes
 * 12..19; version 4, RSA 2048; data byte i is tag ^ i, hash byte i is
 * tag * 3 + i; the user IDs are borrowed.
 */
#define FIXTURE_FAKE_MAX 4       /* subkeys, user IDs */
#define FIXTURE_FAKE_DATA_MAX 64 /* bytes of data */
struct fixture_fake {
	struct pgp_key_info info;
	struct pgp_subkey_info sub[FIXTURE_FAKE_MAX];
	struct pgp_uid_info uid[FIXTURE_FAKE_MAX];
	uint8_t data[FIXTURE_FAKE_DATA_MAX];
	struct store_key_rec rec;
};

/* What the tests' keys differ in. */
struct fixture_fake_shape {
	size_t nsub;     /* subkeys (at most FIXTURE_FAKE_MAX) */
	int64_t ctime;   /* creation time */
	size_t data_len; /* rec.len (at most FIXTURE_FAKE_DATA_MAX) */
	int recon;       /* rec.recon: offered to recon peers */
};

/* A fake fingerprint (v4, 20 bytes) and its key ID: see above. */
void fixture_fake_fpr(struct pgp_fpr *f, uint8_t tag, uint8_t sub);

/* Fill k (every field) for 'tag', shaped so, with at most
 * FIXTURE_FAKE_MAX of the NULL-terminated uids (NULL: none). */
void fixture_fake_key(struct fixture_fake *k, uint8_t tag,
    const struct fixture_fake_shape *shape, const char *const *uids);

/* Remove every file in the folder, then the folder. */
void fixture_done(void);

#endif
