# sks_parity.sh: the same keyring imported into pksync and into a real SKS
# (Debian's sks 1.1.6 on 127.0.0.1) must give the same SKS key hash for
# every key: all 905 keys of debian-keyring.gpg.
#  - SKS's own dump, hashed by an independent implementation
#    (tests/tools/pgpkeys.py), and pksync's dump hashed the same way,
#    hold the same set of hashes;
#  - pksync serves every one of SKS's hashes by POST /pks/hashquery
#    (so its own hash index agrees), and SKS serves every one of
#    pksync's;
#  - SKS accepts pksync's stored bytes: the keys pksync returns for the
#    hashquery, re-hashed as stored, give back the same hashes.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/sks.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"

need_keyring
[ -x /usr/sbin/sks ] || skip_all "sks not installed"
PY=/usr/bin/python3
TOOL=$PKS_SRCDIR/tests/tools/pgpkeys.py

test_dir pkp
at_exit 'pks_stop "$T/p"'
at_exit 'sks_stop "$T/s"'

ok "sks build + cleandb + pbuild of debian-keyring" \
	sks_setup "$T/s" "$KEYRING" "$(free_port)" "$(free_port)"
sks_hashes() { sks_all_hashes "$T/s" >"$T/sks.hashes"; }
ok "sks dump, hashed independently" sks_hashes
is "SKS holds 905 keys" "$(wc -l <"$T/sks.hashes")" 905

pks_setup "$T/p" || bail "pks_setup failed"
ok "pksync import of debian-keyring" pks "$T/p" import -q "$KEYRING"
ok "pksync dump" pks "$T/p" dump "$T/pdump"
"$PY" "$TOOL" hash "$T"/pdump/*.pgp | sort >"$T/pks.hashes"
is "pksync holds 905 keys" "$(wc -l <"$T/pks.hashes")" 905
ok "the same 905 hashes on both sides" cmp "$T/sks.hashes" "$T/pks.hashes"
ok "the stored hash index agrees (pksync check)" pks "$T/p" check

pks_start "$T/p" || bail "pksync serve did not start"
ok "pksync serves every SKS hash by /pks/hashquery" \
	"$PY" "$TOOL" hashquery 127.0.0.1 "$PKS_PORT" "$T/sks.hashes" 100
sks_start "$T/s" || bail "sks did not start"
ok "SKS serves every pksync hash by /pks/hashquery" \
	"$PY" "$TOOL" hashquery 127.0.0.1 "$(sks_hkp_port "$T/s")" "$T/pks.hashes" 100
ok "op=hget of a known hash on pksync" \
	test "$(curl -s -o /dev/null -w '%{http_code}' \
	"http://127.0.0.1:$PKS_PORT/pks/lookup?op=hget&search=62DE72FD503A3D71992C9E58E235E285")" = 200
ok "sks stops" sks_stop "$T/s"
ok "pksync serve stops cleanly, no sanitizer report" pks_stop "$T/p"
tap_done
