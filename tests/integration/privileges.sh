# privileges.sh: pksync started as root.  Without [server] user the
# commands that write the database refuse with a message naming the key
# (mail-filter with 75, so the MTA keeps the message); with it they
# become that user (serve after binding its port), the files they create
# are that user's and not world-readable (umask 027).
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root"
id nobody >/dev/null 2>&1 || skip_all "needs the user nobody"

T=$(mktemp -d /tmp/ppv.XXXXXX)
TAP_TMP=$T
cleanup() {
	pks_stop "$T/a" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

# Refusals: no user set.
mkdir -p "$T/r"
printf '[server]\ndatadir = %s/r/data\nhttp_listen = 127.0.0.1:0\n' "$T" >"$T/r/pksync.conf"
for c in init import serve queue-run; do
	args=$c
	[ "$c" = import ] && args="import /dev/null"
	"$PKSYNC" -c "$T/r/pksync.conf" $args >"$T/r/$c.out" 2>&1
	is "$c as root without [server] user: exit 77" "$?" 77
	ok "... with a message naming [server] user" \
		grep -q "refusing to run $c as root: set \[server\] user" "$T/r/$c.out"
done
echo | "$PKSYNC" -c "$T/r/pksync.conf" mail-filter >"$T/r/mf.out" 2>&1
is "mail-filter as root without user: exit 75 (the MTA keeps the mail)" "$?" 75
ok "... and says why" grep -q "refusing to run mail-filter as root" "$T/r/mf.out"
ok "nothing was created" test ! -e "$T/r/data"
printf 'user = no-such-user-pks\n' >>"$T/r/pksync.conf"
"$PKSYNC" -c "$T/r/pksync.conf" init >"$T/r/nouser.out" 2>&1
is "an unknown user: exit 67" "$?" 67
ok "... named in the message" grep -q "no-such-user-pks: no such user" "$T/r/nouser.out"

# With user = nobody (pks_setup sets it when root).
rm -rf "$T/a"
mkdir -p "$T/a"
printf '[server]\ndatadir = %s/a/data\nhttp_listen = 127.0.0.1:0\nuser = nobody\n' \
	"$T" >"$T/a/pksync.conf"
chmod 755 "$T" "$T/a"
ok "init as root with user = nobody" pks "$T/a" init
is "the data folder it created is nobody's, mode 750" \
	"$(stat -c '%U %a' "$T/a/data")" "nobody 750"
is "the database is nobody's, not world-readable (640)" \
	"$(stat -c '%U %a' "$T/a/data/pksync.db")" "nobody 640"
cp "$PKS_SRCDIR/tests/data/pgp/eddsa.pgp" "$T/key.pgp"
chmod 644 "$T/key.pgp"
ok "import as root" pks "$T/a" import -q --no-mail "$T/key.pgp"
pks_start "$T/a" || { echo "Bail out! serve did not start"; exit 1; }
pid=$(cat "$T/a/serve.pid")
is "serve runs as nobody" "$(ps -o user= -p "$pid" | tr -d ' ')" nobody
is "... with no root ID left (real, effective, saved)" \
	"$(awk '/^Uid:/ { print ($2 != 0 && $3 != 0 && $4 != 0) }' "/proc/$pid/status")" 1
ok "serve logged the change" grep -q "running as user nobody" "$T/a/serve.log"
ok "serve answers" curl -sf -o /dev/null "http://127.0.0.1:$PKS_PORT/pks/lookup?op=stats"
ok "serve stops cleanly" pks_stop "$T/a"
ok "queue-run as root" pks "$T/a" queue-run
is "no file under the data folder is root's or world-readable" \
	"$(find "$T/a/data" \( -user root -o -perm -o=r \) | wc -l)" 0
# Editing the lists as root keeps their owner and mode, so the user
# serve runs as can still read them.
printf '[recon]\nmembership_file = %s/a/membership\n[mail]\npeers_file = %s/a/mailsync\n' \
	"$T" "$T" >>"$T/a/pksync.conf"
: >"$T/a/membership"
: >"$T/a/mailsync"
chown nobody:nogroup "$T/a/membership" "$T/a/mailsync"
chmod 640 "$T/a/membership" "$T/a/mailsync"
ok "recon-peer add as root" pks "$T/a" recon-peer add 127.0.0.1 11370
is "... keeps the membership file nobody's, 640" \
	"$(stat -c '%U %a' "$T/a/membership")" "nobody 640"
ok "peer add as root" pks "$T/a" peer add peer@example.org
is "... keeps the sync list nobody's, 640" \
	"$(stat -c '%U %a' "$T/a/mailsync")" "nobody 640"
tap_done
