# flood_served.sh: which third-party certifications a flooded key is
# served with ([keys] served_certs_per_uid, served_certs_prefer), with
# real gpg as the judge.  A victim key carries 5 real certifications
# made by gpg (a year back) by 5 keys stored on the server, one forged
# one as old that names one of them by key ID only, 150 forged ones
# (valid issuer fingerprint subpacket, random signature bytes) naming
# stored certifiers, then 300 newer junk certifications by unknown keys
# (tests/tools/forge.py flood); the bound is 100.
#  - served_certs_prefer = known (the default): op=get serves the 5
#    real ones (verified against the stored certifiers), none of the
#    151 forged ones (refuted by them) and 95 junk ones (gpg
#    --check-sigs after importing it and the certifiers), and so do
#    op=hget, the mail GET reply (mail-filter --dry-run) and the
#    outgoing incremental queued for a sync peer;
#  - served_certs_prefer = newest: the old behaviour, 100 junk ones;
#  - a key uploaded before its certifiers counts them as soon as they
#    are stored (issuer_waits, migration 012), without being stored
#    again, and still when it is stored again; a key whose waits are
#    off ([keys] issuer_waits_per_key = 0) counts them once it is
#    stored again;
#  - a database from before migration 012, whose record marks the
#    forged ones as known (matched, not verified), serves the 5 real
#    ones once "pksync init" upgrades it;
#  - /pks/hashquery still gives the full stored key (SKS parity).
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"

need_cmd gpg
pks_check_pksync || skip_all "PKSYNC is not set"
PY=/usr/bin/python3
FORGE=$PKS_SRCDIR/tests/tools/forge.py
PGPKEYS=$PKS_SRCDIR/tests/tools/pgpkeys.py

test_dir pkfs
at_exit 'pks_stop "$T/k"'
at_exit 'pks_stop "$T/n"'
at_exit 'pks_stop "$T/l"'
at_exit 'pks_stop "$T/w"'
at_exit 'for h in "$T"/g*; do
	[ -d "$h" ] && gpgconf --homedir "$h" --kill all
done'

# The keys, made by gpg with its clock a year back: the certifications
# are older than every junk one.
mkdir -m 700 "$T/gk"
gk() {
	gpg --homedir "$T/gk" --batch --no-tty --passphrase '' \
		--pinentry-mode loopback --faked-system-time '20250101T000000!' \
		"$@" 2>/dev/null
}
gk --quick-gen-key 'Flo Flooded <flo@example.org>' ed25519 cert,sign never
FPR=$(gpg --homedir "$T/gk" --with-colons --list-keys flo@example.org |
	awk -F: '/^fpr:/ {print $10; exit}')
is "gpg made the victim key" "${#FPR}" 40
: >"$T/certifiers.kid"
for i in 1 2 3 4 5; do
	gk --quick-gen-key "Cert $i <c$i@example.org>" ed25519 cert,sign never
	gk -u "c$i@example.org" --yes --quick-sign-key "$FPR"
	gpg --homedir "$T/gk" --with-colons --list-keys "c$i@example.org" |
		awk -F: '/^pub:/ {print $5; exit}' >>"$T/certifiers.kid"
	gpg --homedir "$T/gk" --with-colons --list-keys "c$i@example.org" |
		awk -F: '/^fpr:/ {print $10; exit}' >>"$T/certifiers.fpr"
	gpg --homedir "$T/gk" --export "c$i@example.org" >>"$T/certifiers.pgp"
done
is "5 certifier keys" "$(sort -u "$T/certifiers.kid" | wc -l)" 5
gpg --homedir "$T/gk" --export "$FPR" >"$T/flo.pgp"
"$PY" "$FORGE" flood 300 "$T/flo.pgp" "$T/flood.pgp"
# One more old certification that names its issuer (Cert 1) by key ID
# only, as gpg 1.x and PGP write them, and 150 (half a year later) that
# name the certifiers by issuer fingerprint: all forged (random
# signature bytes).  Matched by issuer they would win; verified, never.
"$PY" - "$(dirname "$FORGE")" "$(head -n 1 "$T/certifiers.kid")" "$T/flood.pgp" "$T/certifiers.fpr" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import forge
pk = forge.load_key(sys.argv[3])
sigs = [(2, forge.fake_sig(0x10, 1735689600, bytes.fromhex(sys.argv[2])))]
fprs = open(sys.argv[4]).read().split()
for i in range(150):
    f = bytes.fromhex(fprs[i % len(fprs)])
    sigs.append((2, forge.fake_sig(0x10, 1751328000 + i, f[12:],
                                   forge.sub(33, b"\x04" + f))))
forge.write(sys.argv[3], forge.insert_after(pk, forge.first_of(13), sigs))
EOF

# count FILE: "GOOD BAD JUNK", the third-party certifications gpg
# lists after importing the certifiers and FILE (any armored or binary
# text) into a new home: good and bad signatures by certifiers (gpg
# --check-sigs), and the rest (issuer unknown to gpg).
count() {
	local h
	h=$(mktemp -d "$T/gc.XXXXXX") && chmod 700 "$h"
	gpg --homedir "$h" --batch --no-tty --import "$T/certifiers.pgp" "$1" \
		>/dev/null 2>&1
	gpg --homedir "$h" --batch --no-tty --with-colons --check-sigs "$FPR" \
		2>/dev/null >"$h/sigs"
	gpgconf --homedir "$h" --kill all 2>/dev/null
	awk -F: -v self="${FPR:24}" -v kids="$T/certifiers.kid" '
		BEGIN { while ((getline k <kids) > 0) real[k] = 1 }
		$1 == "sig" && $5 != self {
			if (!($5 in real)) j++
			else if ($2 == "!") g++
			else b++
		}
		END { printf "%d %d %d\n", g, b, j }' "$h/sigs"
}

# setup DIR PREFER: an instance with one mail sync peer.
setup() {
	pks_setup "$T/$1" || return 1
	cat >>"$T/$1/pksync.conf" <<EOF
[mail]
this_site = pgp-public-keys@keys-$1.test
peers_file = $T/$1/mailsync
[keys]
served_certs_per_uid = 100
served_certs_prefer = $2
EOF
	echo "pgp-public-keys@peer.test" >"$T/$1/mailsync"
	pks_user_dir "$T/$1"
}
# post DIR FILE: POST a binary keyring, armored; prints the HTTP status
post() {
	"$PY" "$FORGE" armor "$2" "$T/post.asc" &&
		curl -s -o "$T/post.out" -w '%{http_code}' \
			--data-urlencode "keytext@$T/post.asc" \
			"http://127.0.0.1:$(pks_port "$T/$1")/pks/add"
}
# get DIR OP SEARCH OUT
get() {
	curl -s -o "$4" \
		"http://127.0.0.1:$(pks_port "$T/$1")/pks/lookup?op=$2&options=mr&search=$3"
}
# incremental DIR OUT: the packets queued for the sync peer, binary
incremental() {
	"$PY" -c 'import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(
    "SELECT b.body FROM outbox o JOIN outbox_body b ON b.id = o.id"
    " WHERE o.kind = ? ORDER BY o.id", ("incremental",))
with open(sys.argv[2], "wb") as f:
    for (b,) in rows:
        f.write(b)' "$T/$1/data/pksync.db" "$2"
}

ok "setup (prefer known)" setup k known
ok "setup (prefer newest)" setup n newest
for d in k n; do
	ok "$d: import the certifier keys" pks "$T/$d" import -q --no-mail "$T/certifiers.pgp"
	pks_start "$T/$d" || bail "pksync serve did not start"
	is "$d: the flooded key is taken" "$(post "$d" "$T/flood.pgp")" 200
	get "$d" get "0x$FPR" "$T/$d.get.asc"
done

is "the uploaded key: 5 real, 151 forged, 300 junk" "$(count "$T/flood.pgp")" "5 151 300"
is "known: op=get serves the 5 real, no forged, 95 junk" "$(count "$T/k.get.asc")" "5 0 95"
"$PY" "$PGPKEYS" hash -c "$T/flood.pgp" >"$T/flood.hash"
get k hget "$(tr -d '\n' <"$T/flood.hash")" "$T/k.hget.asc"
is "known: op=hget the same" "$(count "$T/k.hget.asc")" "5 0 95"
printf 'From: Gil <gil@people.test>\nTo: pgp-public-keys@keys-k.test\nSubject: GET 0x%s\nMessage-Id: <get-flood@people.test>\nDate: Sun, 29 Nov 2026 10:00:00 +0000\n\nGET\n' \
	"$FPR" >"$T/get.eml"
SENDER=gil@people.test pks "$T/k" mail-filter --dry-run <"$T/get.eml" >"$T/k.mail" 2>"$T/k.mail.err"
ok "known: mail GET replies with the key" grep -q 'BEGIN PGP PUBLIC KEY BLOCK' "$T/k.mail"
is "known: the mail GET reply carries the 5 and 95 junk" "$(count "$T/k.mail")" "5 0 95"
incremental k "$T/k.incr"
is "known: the outgoing incremental carries the same" "$(count "$T/k.incr")" "5 0 95"

is "newest: op=get serves 100 junk ones, as before" "$(count "$T/n.get.asc")" "0 0 100"
incremental n "$T/n.incr"
is "newest: the outgoing incremental the same" "$(count "$T/n.incr")" "0 0 100"

ok "/pks/hashquery gives the full stored key, with SKS's hash" \
	"$PY" "$PGPKEYS" hashquery 127.0.0.1 "$(pks_port "$T/k")" "$T/flood.hash"

# A database of schema 11, its record as matching wrote it: format 1,
# every certification by a stored issuer marked, forged ones too.
ok "k: pksync serve stops" pks_stop "$T/k"
"$PY" - "$T/k/data/pksync.db" "$FPR" <<'EOF'
import sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
(rec,) = db.execute("SELECT checks FROM keys WHERE fpr = ?",
                    (bytes.fromhex(sys.argv[2]),)).fetchone()
ents = [struct.unpack(">I", rec[i:i + 4])[0] for i in range(1, len(rec), 4)]
# The victim's self-signatures all verify: a bad entry is a verdict.
ents = [e & ~3 if e & 3 == 2 else e for e in ents]
old = b"\x01" + b"".join(struct.pack(">I", e) for e in ents)
db.execute("UPDATE keys SET checks = ? WHERE fpr = ?",
           (old, bytes.fromhex(sys.argv[2])))
db.execute("DROP TABLE issuer_waits")
db.execute("UPDATE meta SET value = '11' WHERE name = 'schema_version'")
db.commit()
EOF
ok "k: pksync init upgrades it" pks "$T/k" init
pks_start "$T/k" || bail "pksync serve did not start"
get k get "0x$FPR" "$T/k.get3.asc"
is "k: upgraded, the 5 real ones, no forged" "$(count "$T/k.get3.asc")" "5 0 95"

# Certifiers stored after the key: counted as soon as they are stored,
# by a serve that has the old answer in its armor cache (a new mark
# leaves the SKS hash; the cache entry's stamp moves on).
ok "setup (certifiers later)" setup l known
pks_start "$T/l" || bail "pksync serve did not start"
is "l: the flooded key is taken first" "$(post l "$T/flood.pgp")" 200
get l get "0x$FPR" "$T/l.get.asc"
is "l: certifiers unknown yet: 100 junk" "$(count "$T/l.get.asc")" "0 0 100"
ok "l: import the certifier keys" pks "$T/l" import -q --no-mail "$T/certifiers.pgp"
get l get "0x$FPR" "$T/l.get1.asc"
is "l: not stored again, the 5 real ones win" "$(count "$T/l.get1.asc")" "5 0 95"
gk --quick-add-uid "$FPR" 'Flo Again <flo2@example.org>'
gpg --homedir "$T/gk" --export "$FPR" >"$T/flo2.pgp"
is "l: the owner adds a user ID" "$(post l "$T/flo2.pgp")" 200
get l get "0x$FPR" "$T/l.get2.asc"
is "l: stored again, still the 5 real ones" "$(count "$T/l.get2.asc")" "5 0 95"

# Without waits: counted once the key is stored again.
ok "setup (no waits)" setup w known
printf 'issuer_waits_per_key = 0\n' >>"$T/w/pksync.conf"
pks_start "$T/w" || bail "pksync serve did not start"
is "w: the flooded key is taken first" "$(post w "$T/flood.pgp")" 200
ok "w: import the certifier keys" pks "$T/w" import -q --no-mail "$T/certifiers.pgp"
get w get "0x$FPR" "$T/w.get1.asc"
is "w: not stored again: 100 junk" "$(count "$T/w.get1.asc")" "0 0 100"
is "w: the owner adds a user ID" "$(post w "$T/flo2.pgp")" 200
get w get "0x$FPR" "$T/w.get2.asc"
is "w: stored again, the 5 real ones win" "$(count "$T/w.get2.asc")" "5 0 95"

for d in k n l w; do
	ok "$d: pksync serve stops cleanly, no sanitizer report" pks_stop "$T/$d"
done
tap_done
