#!/bin/bash
# validate.sh: check bench/keygen's keys with gpg and SKS, and the SKS test
# rig of tests/lib/sks.sh (build, empty DB, hashquery, dump, recon).  TAP.
set -u

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
. "$ROOT/tests/lib/tap.sh"
. "$ROOT/tests/lib/sks.sh"
. "$ROOT/tests/lib/gpg.sh"

T=$(mktemp -d /tmp/pkv.XXXXXX) || exit 1
TAP_TMP=$T
cleanup() {
	sks_stop "$T/a" >/dev/null 2>&1
	sks_stop "$T/b" >/dev/null 2>&1
	sks_stop "$T/e" >/dev/null 2>&1
	gpg_cleanup >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

PGPKEYS=$ROOT/tests/tools/pgpkeys.py

ok "keygen builds" make -s -C "$BENCH" keygen
ok "keygen makes keys 0..99" "$BENCH/keygen" -n 100 -o "$T/a.gpg" -i "$T/a.idx"
ok "keygen makes keys 60..159" "$BENCH/keygen" -s 60 -n 100 -o "$T/b.gpg"
"$BENCH/keygen" -n 100 -j 3 -o "$T/a3.gpg"
ok "output does not depend on -j" cmp "$T/a.gpg" "$T/a3.gpg"
is "100 keys in the keyring" "$("$PY" "$PGPKEYS" count "$T/a.gpg")" 100

# gpg checks every self-signature on import and all signatures with --check-sigs
gpg_setup 1
gpgt --import "$T/a.gpg" >"$T/gpg.import" 2>&1
is "gpg imports all 100" \
	"$(sed -n 's/.*imported: *\([0-9]*\).*/\1/p' "$T/gpg.import")" 100
gpgt --check-sigs >"$T/gpg.check" 2>&1
is "gpg --check-sigs: no bad signatures" \
	"$(grep -cE 'sig-|bad signature|sig%' "$T/gpg.check")" 0
is "gpg --check-sigs: every signature by a known key is good" \
	"$(sed -n 's/^gpg: \([0-9]*\) good signatures/\1/p' "$T/gpg.check")" \
	"$(grep -c '^sig!' "$T/gpg.check")"
gpg_cleanup

"$PY" "$PGPKEYS" hash -c "$T/a.gpg" | sort >"$T/a.hashes"
"$PY" "$PGPKEYS" hash -c "$T/a.gpg" "$T/b.gpg" | sort -u >"$T/ab.hashes"
is "the two sets overlap in 40 keys, 160 in all" "$(wc -l <"$T/ab.hashes")" 160

A_HKP=$(free_port) A_RECON=$(free_port) B_HKP=$(free_port) B_RECON=$(free_port)
ok "SKS builds keys 0..99" sks_setup "$T/a" "$T/a.gpg" "$A_HKP" "$A_RECON" "$B_RECON"
ok "SKS builds keys 60..159" sks_setup "$T/b" "$T/b.gpg" "$B_HKP" "$B_RECON" "$A_RECON"
ok "SKS A starts" sks_start "$T/a"
FPR=$(head -n 1 "$T/a.idx" | cut -d' ' -f1)
curl -s "http://127.0.0.1:$A_HKP/pks/lookup?op=get&options=mr&search=0x$FPR" \
	>"$T/get.asc"
ok "SKS serves a generated key by fingerprint" \
	grep -q 'BEGIN PGP PUBLIC KEY BLOCK' "$T/get.asc"
WORD=$(head -n 1 "$T/a.idx" | cut -d' ' -f3)
is "SKS finds keys by a vocabulary word" \
	"$(curl -s "http://127.0.0.1:$A_HKP/pks/lookup?op=index&options=mr&search=$WORD" |
		grep -c '^pub:')" "$(grep -cw "$WORD" "$T/a.idx")"
ok "every hash of 0..99 comes back by hashquery" sks_hashes_ok "$T/a" "$T/a.hashes"
sks_all_hashes "$T/a" >"$T/a.dumped"
ok "sks_all_hashes lists exactly the generated hashes" \
	diff "$T/a.hashes" "$T/a.dumped"
is "hget of a known hash" "$(sks_hget "$T/a" "$(head -n 1 "$T/a.hashes")")" 200

E_HKP=$(free_port)
ok "empty SKS builds (seed key dropped)" sks_setup "$T/e" "" "$E_HKP" "$(free_port)"
ok "empty SKS starts" sks_start "$T/e"
curl -s "http://127.0.0.1:$E_HKP/pks/lookup?op=stats" >"$T/e.stats"
ok "empty SKS has 0 keys" grep -q 'Total number of keys: 0<' "$T/e.stats"
ok "empty SKS advertises both filters" \
	grep -q 'Applied filters: yminsky.dedup, yminsky.merge' \
	"$T/e/var/log/sks/db.log"
sks_stop "$T/e"

ok "SKS B starts" sks_start "$T/b"
diag "waiting for recon (gossip every 15 s, fetch after 10 s)"
for ((i = 0; i < 90; i++)); do
	sks_hashes_ok "$T/a" "$T/ab.hashes" >"$T/a.q" 2>&1 &&
		sks_hashes_ok "$T/b" "$T/ab.hashes" >"$T/b.q" 2>&1 && break
	sleep 2
done
ok "recon: A holds all 160" sks_hashes_ok "$T/a" "$T/ab.hashes"
ok "recon: B holds all 160" sks_hashes_ok "$T/b" "$T/ab.hashes"
ok "SKS A stops" sks_stop "$T/a"
ok "SKS B stops" sks_stop "$T/b"
tap_done
