# revoked_uid.sh: a user ID whose owner revoked it, shipped with only
# the owner's certification revocation (0x30) and no self-certification
# (as Debian's keyring ships such user IDs), is kept, as gpg 2.2 keeps
# it on import:
#  - a key made by gpg (a second user ID revoked with --quick-revoke-uid,
#    its self-certification stripped by forge.py nocert) is imported;
#  - op=index mr gives the revoked user ID's uid line with the r flag,
#    op=vindex marks it [revoked], a word and the e-mail only it holds
#    find the key;
#  - gpg --recv-keys into an empty home shows it "uid:r";
#  - the same key with only a forged 0x30 on that user ID: not listed;
#  - a database from before migration 014 (the key's listing facts,
#    word-index text, e-mail rows and word table as the old rules made
#    them: without that user ID) comes right when pksync init upgrades
#    it, and pksync check then finds nothing wrong.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"
. "$PKS_SRCDIR/tests/lib/gpg.sh"

need_cmd gpg curl
PY=/usr/bin/python3
FORGE=$PKS_SRCDIR/tests/tools/forge.py
REVOKED='Quentin Zanzibarx <quentin@oldjob.example>'

test_dir pkr
at_exit gpg_cleanup
at_exit 'pks_stop "$T/srv"; pks_stop "$T/fg"; pks_stop "$T/old"'

# The key: made, its second user ID revoked, that self-cert stripped.
gpg_setup 1
gpgt --passphrase '' --quick-gen-key 'Kept Owner <kept@example.org>' \
	ed25519 sign never >/dev/null 2>&1
FPR=$(gpgt --with-colons --list-keys kept@example.org | awk -F: '/^fpr:/ {print $10; exit}')
is "gpg made a key" "${#FPR}" 40
gpgt --passphrase '' --quick-add-uid "$FPR" "$REVOKED" >/dev/null 2>&1
gpgt --passphrase '' --quick-revoke-uid "$FPR" "$REVOKED" >/dev/null 2>&1
gpgt --export "$FPR" >"$T/full.pgp"
gpg_cleanup
ok "strip the revoked user ID's self-certification" \
	"$PY" "$FORGE" nocert Zanzibarx "$T/full.pgp" "$T/nocert.pgp"
# The same key without that user ID at all (what the old rules listed),
# and with a forged 0x30 in place of the real one.
"$PY" - "$FORGE" "$T" <<'EOF' || bail "variants"
import sys
sys.path.insert(0, sys.argv[1].rsplit("/", 1)[0])
import forge
t = sys.argv[2]
pk = forge.load_key(t + "/nocert.pgp")
gone, forged, skip = [], [], False
for tag, body in pk:
    if tag in (13, 14, 17):
        skip = tag == 13 and b"Zanzibarx" in body
    if not skip:
        gone.append((tag, body))
    if tag == 2 and skip:
        body = bytearray(body)
        body[-3] ^= 1
        body = bytes(body)
    forged.append((tag, body))
forge.write(t + "/gone.pgp", gone)
forge.write(t + "/forged.pgp", forged)
EOF

# Import and serve.
pks_setup "$T/srv" || bail "pks_setup failed"
ok "import the key" pks "$T/srv" import -q "$T/nocert.pgp"
pks_start "$T/srv" || bail "pksync serve did not start"
url="http://127.0.0.1:$PKS_PORT/pks"

# listed DIR: op=index mr, op=vindex, and searches by the revoked user
# ID's word and e-mail all show it (the checks named after DIR)
listed() {
	local u="http://127.0.0.1:$PKS_PORT/pks/lookup" q
	curl -s "$u?op=index&options=mr&search=0x$FPR" >"$T/$1.mr"
	ok "$1: mr index: its uid line, revoked" \
		grep -qx 'uid:Quentin Zanzibarx <quentin@oldjob.example>:::r' "$T/$1.mr"
	ok "$1: mr index: the other uid, not revoked" \
		grep -q '^uid:Kept Owner <kept@example.org>:[0-9]*::$' "$T/$1.mr"
	curl -s "$u?op=vindex&search=0x$FPR" >"$T/$1.vindex"
	ok "$1: vindex marks it [revoked]" \
		grep -q 'Zanzibarx.*quentin@oldjob.example.*\[revoked\]' "$T/$1.vindex"
	for q in zanzibarx quentin@oldjob.example; do
		curl -s "$u?op=index&options=mr&search=$q" >"$T/$1.find"
		ok "$1: a search for $q finds the key" \
			grep -q "^pub:$FPR:" "$T/$1.find"
	done
}
listed new

# gpg fetches it into an empty home and sees the revocation.
gpg_setup "$PKS_PORT"
ok "gpg --recv-keys" gpgt --recv-keys "$FPR"
gpgt --with-colons --list-keys "$FPR" >"$T/colons"
ok "gpg: the revoked user ID is there, revoked" \
	grep -q '^uid:r:.*Quentin Zanzibarx <quentin@oldjob.example>' "$T/colons"
ok "gpg: the other one is not revoked" grep -q '^uid:[-u]:.*Kept Owner' "$T/colons"
gpg_cleanup

# Only a forged 0x30 on it: nothing of that user ID is listed.
pks_setup "$T/fg" || bail "pks_setup failed"
ok "forged: import" pks "$T/fg" import -q "$T/forged.pgp"
pks_start "$T/fg" || bail "pksync serve did not start"
curl -s "http://127.0.0.1:$PKS_PORT/pks/lookup?op=index&options=mr&search=0x$FPR" >"$T/fg.mr"
ok "forged: the key is listed" grep -q "^pub:$FPR:" "$T/fg.mr"
ok "forged: without that user ID" sh -c "! grep -q Zanzibarx '$T/fg.mr'"
is "forged: no key found by its word" "$(curl -s -o /dev/null -w '%{http_code}' \
	"http://127.0.0.1:$PKS_PORT/pks/lookup?op=index&search=zanzibarx")" 404
pks_stop "$T/fg"

# A database from before migration 014: the nocert key stored, with
# what derives from its listing copied from a database that stored it
# without the revoked user ID (exactly what the old rules made).
pks_setup "$T/gone" || bail "pks_setup failed"
ok "old: import the key without that user ID" pks "$T/gone" import -q "$T/gone.pgp"
pks_setup "$T/old" || bail "pks_setup failed"
ok "old: import the key" pks "$T/old" import -q "$T/nocert.pgp"
ok "old: set back to the old listing" "$PY" - "$T/gone/data/pksync.db" \
	"$T/old/data/pksync.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[2])
db.execute("ATTACH ? AS g", (sys.argv[1],))
(gid, old), = db.execute("SELECT id, uids FROM g.keys").fetchall()
(oid,), = db.execute("SELECT id FROM keys").fetchall()
assert "Zanzibarx" in db.execute("SELECT uids FROM keys").fetchone()[0]
db.execute("UPDATE keys SET uids = ? WHERE id = ?", (old, oid))
db.execute("UPDATE key_listings SET listing = "
           "(SELECT listing FROM g.key_listings WHERE id = ?) WHERE id = ?",
           (gid, oid))
db.execute("DELETE FROM emails")
db.execute("INSERT INTO emails SELECT ?, email FROM g.emails", (oid,))
db.execute("DELETE FROM key_word_listings")
db.execute("INSERT INTO key_word_listings SELECT word, ?, listing "
           "FROM g.key_word_listings", (oid,))
db.execute("UPDATE meta SET value = '13' WHERE name = 'schema_version'")
db.commit()
assert db.execute("SELECT count(*) FROM key_words WHERE key_words MATCH "
                  "'zanzibarx'").fetchone()[0] == 0
EOF
pks "$T/old" init >"$T/old.init" 2>&1
ok "old: pksync init upgrades it" grep -q "applying migration 014" "$T/old.init"
ok "old: one key's listing changed" grep -q "listing facts: 1 keys changed" "$T/old.init"
SQL_DB=$T/old/data/pksync.db
is "old: schema version 14" \
	"$(sql "SELECT value FROM meta WHERE name = 'schema_version'")" 14
pks "$T/old" check >"$T/old.check" 2>&1
ok "old: pksync check finds nothing wrong" test $? = 0
pks_start "$T/old" || bail "pksync serve did not start"
listed old
tap_done
