# recon_hostile.sh: a listed recon peer that completes the config
# exchange and then sends 20 Elements messages of 16 MB nobody asked
# for, once as the side pksync connects to (gossip) and once as the side
# that connects to pksync.  pksync must end each session (logged with
# the peer's name), keep its memory under 200 MiB and keep answering
# HKP; afterwards a well-behaved pksync peer converges with it.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"

PY=/usr/bin/python3
TOOLS=$PKS_SRCDIR/tests/tools
DATA=$PKS_SRCDIR/tests/data/pgp
LIMIT_KIB=$((200 * 1024))
pks_small_quarantine

test_dir rho
at_exit 'pks_stop "$T/b"'
at_exit 'pks_stop "$T/a"'
at_exit '[ -n "${HPID:-}" ] && kill "$HPID"'

RA=$(free_port); RB=$(free_port); RH=$(free_port)
pks_setup "$T/a" "$RA" "$RH" || bail pks_setup
pks_setup "$T/b" "$RB" "$RA" || bail pks_setup
for d in a b; do
	echo 'fetch_delay = 0' >>"$T/$d/pksync.conf"
	sed -i 's/^gossip_interval = .*/gossip_interval = 1/' "$T/$d/pksync.conf"
done
# import reads its files as [server] user, who may not enter the source
# folder (a fresh Debian's /root is 0700): give it copies.
for f in eddsa rsa-small rsa-2uid; do install -m 644 "$DATA/$f.pgp" "$T/$f.pgp"; done
ok "import A" pks "$T/a" import -q "$T/eddsa.pgp" "$T/rsa-small.pgp"
ok "import B" pks "$T/b" import -q "$T/rsa-2uid.pgp"
cat "$DATA"/*.pgp >"$T/all.pgp"
"$PY" "$TOOLS/pgpkeys.py" hash -c "$T/all.pgp" | sort >"$T/all.hashes"

# The hostile peer listens first; A gossips to it every second.
"$PY" "$TOOLS/reconpeer.py" flood-listen 127.0.0.1 "$RH" 20 &
HPID=$!
pks_start "$T/a" || bail "start A"
PA=$PKS_PORT
APID=$(cat "$T/a/serve.pid")
FPR=$(gpg --with-colons --show-keys "$DATA/eddsa.pgp" 2>/dev/null |
	awk -F: '/^fpr/ { print $10; exit }')
ok "A ended the session it began with the flooding peer" wait "$HPID"
HPID=
ok "A logged it with the peer's name" grep -q \
	"session with 127.0.0.1 $RH as initiator failed: peer sent Elements we did not ask for" \
	"$T/a/serve.log"
ok "HKP answers after it" curl -sf -o /dev/null \
	"http://127.0.0.1:$PA/pks/lookup?op=get&options=mr&search=0x$FPR"

ok "the session the flooding peer began ends (what came unasked is not read)" \
	"$PY" "$TOOLS/reconpeer.py" flood 127.0.0.1 "$RA" 20
ok "A logged that one too" grep -Eq \
	"session with 127.0.0.1 $RH as responder (done|failed)" \
	"$T/a/serve.log"
ok "HKP answers during and after" curl -sf -o /dev/null \
	"http://127.0.0.1:$PA/pks/lookup?op=get&options=mr&search=0x$FPR"
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$APID/status")
diag "A's peak resident memory: $hwm KiB"
ok "A's memory stayed under 200 MiB" test "$hwm" -lt "$LIMIT_KIB"
ok "no log line prints (null)" sh -c "! grep -q '(null)' '$T/a/serve.log'"

# Now a well-behaved peer: A's membership names B instead.
echo "127.0.0.1 $RB" >"$T/a/membership"
pks_start "$T/b" || bail "start B"
PB=$PKS_PORT
converged() {
	local i
	for ((i = 0; i < 60; i++)); do
		if "$PY" "$TOOLS/pgpkeys.py" hashquery 127.0.0.1 "$PA" \
			"$T/all.hashes" 100 >/dev/null 2>&1 &&
		   "$PY" "$TOOLS/pgpkeys.py" hashquery 127.0.0.1 "$PB" \
			"$T/all.hashes" 100 >/dev/null 2>&1; then
			return 0
		fi
		sleep 1
	done
	return 1
}
ok "A and B converge afterwards" converged
ok "A stops cleanly" pks_stop "$T/a"
ok "B stops cleanly" pks_stop "$T/b"
tap_done
