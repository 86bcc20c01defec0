# web.sh: the pages in a real browser.  "pksync serve" on a free port
# with debian-keyring imported; headless Chromium driven by Selenium
# (tests/tools/web_check.py) opens the front page, searches by name and
# by e-mail with its form, opens a key from the result, submits a key
# made by gpg here through the submit form and finds it again; load
# times of the front page and of a result page are printed as TAP
# diagnostics.  The server has peers in every state (tests/lib/
# syncpeers.sh: a mail sync peer delivered to and one refused by a real
# SMTP sink, mail queued for both, a recon session with a second
# pksync), and the browser opens the sync page from the front page and
# from the stats page and finds each peer with its state.  Screenshots
# of every page are kept in $PKS_BUILDDIR/tests/integration/web-shots/.
# tidy checks that the front page, the result pages, the answer to a
# submission and the sync page are valid HTML5, and curl the content
# types and caching headers.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"
. "$PKS_SRCDIR/tests/lib/syncpeers.sh"

KEYRING=/usr/share/keyrings/debian-keyring.gpg
[ -r "$KEYRING" ] || skip_all "debian-keyring not installed"
for t in gpg curl tidy chromium chromedriver; do
	command -v "$t" >/dev/null || skip_all "$t not installed"
done
"$PY" -c 'import selenium' 2>/dev/null || skip_all "python3-selenium not installed"

SHOTS=${PKS_BUILDDIR:-$PWD}/tests/integration/web-shots
T=$(mktemp -d /tmp/pkw.XXXXXX)
TAP_TMP=$T
cleanup() {
	[ -s "$T/web.pid" ] && kill -TERM -- "-$(cat "$T/web.pid")" 2>/dev/null
	pks_stop "$T/srv" >/dev/null 2>&1
	pks_stop "$T/b" >/dev/null 2>&1
	sp_stop
	[ -d "$T/gpg" ] && gpgconf --homedir "$T/gpg" --kill all
	rm -rf "$T"
}
trap cleanup EXIT

sp_setup "$T/srv" "$T/b" || { echo "Bail out! sp_setup failed"; exit 1; }
ok "import debian-keyring" pks "$T/srv" import -q --no-mail "$KEYRING"
# Two keys made here (the test keys in tests/data are in the keyring),
# for the mail sync peers' states.
mkdir -m 700 "$T/gpg"
for i in 1 2; do
	gpg --homedir "$T/gpg" --batch --no-tty --passphrase '' \
		--quick-gen-key "Sync Peer Key $i <sync$i@example.org>" ed25519 sign never \
		>/dev/null 2>&1
	gpg --homedir "$T/gpg" --export "sync$i@example.org" >"$T/sync$i.pgp"
done
ok "mail sync peers: delivered, refused, queued" sp_mail_states "$T/srv" \
	"$T/sync1.pgp" "$T/sync2.pgp"
pks_start "$T/srv" || { echo "Bail out! pksync serve did not start"; exit 1; }
url="http://127.0.0.1:$PKS_PORT"
ok "a recon session with a second pksync is recorded" sp_recon_session "$T/srv" "$T/b"

# Headers: content types, caching, no scripts.
hdr() { curl -s -o /dev/null -D - "$1" | tr -d '\r' | sed -n "s/^$2: //Ip"; }
is "/ is text/html" "$(hdr "$url/" Content-Type)" "text/html; charset=utf-8"
is "/ may be cached briefly" "$(hdr "$url/" Cache-Control)" "public, max-age=300"
ok "/ allows no scripts (CSP)" sh -c "curl -sI '$url/' | grep -i '^Content-Security-Policy:' | grep -q \"default-src 'none'\""
css=$(curl -s "$url/" | sed -n 's/.*<link rel="stylesheet" href="\([^"]*\)".*/\1/p')
ok "the front page links a versioned stylesheet" sh -c "echo '$css' | grep -q '^/pks/style.css?v='"
is "the stylesheet is text/css" "$(hdr "$url$css" Content-Type)" "text/css; charset=utf-8"
is "the stylesheet is cached for long" "$(hdr "$url$css" Cache-Control)" \
	"public, max-age=31536000, immutable"
is "a result page is not cached" \
	"$(hdr "$url/pks/lookup?op=index&search=Villemot" Cache-Control)" "no-cache"
is "HEAD / answers 200" "$(curl -s -o /dev/null -I -w '%{http_code}' "$url/")" 200
is "POST / is 405" "$(curl -s -o /dev/null -w '%{http_code}' -d x=1 "$url/")" 405
is "... allowing GET" "$(curl -s -o /dev/null -D - -d x=1 "$url/" | tr -d '\r' | sed -n 's/^Allow: //Ip')" "GET, HEAD"

# tidy -e -q: errors and warnings only; nothing printed is clean.
tidy_clean() { # name, curl arguments...
	local name=$1 out
	shift
	curl -s "$@" >"$T/page.html"
	out=$(tidy -e -q "$T/page.html" 2>&1)
	is "tidy: $name is clean" "$out" ""
}
tidy_clean "the front page" "$url/"
tidy_clean "an index result page" "$url/pks/lookup?op=index&search=Villemot"
tidy_clean "a verbose index result page" \
	"$url/pks/lookup?op=vindex&fingerprint=on&search=sebastien@debian.org"
tidy_clean "an op=get page" \
	"$url/pks/lookup?op=get&search=0x20691DFCC2C98C47952984EE00018C22381A7594"
tidy_clean "a refused submission" --data-urlencode "keytext=not a key" "$url/pks/add"
tidy_clean "the sync page" "$url/pks/sync"
is "/pks/sync is text/html" "$(hdr "$url/pks/sync" Content-Type)" "text/html; charset=utf-8"
is "/pks/sync is not cached" "$(hdr "$url/pks/sync" Cache-Control)" "no-cache"

# The key the browser submits: made here by gpg, never sent before.
gpg --homedir "$T/gpg" --batch --no-tty --passphrase '' \
	--quick-gen-key 'Web Form Tester <web-form@example.org>' ed25519 sign never \
	>/dev/null 2>&1
FPR=$(gpg --homedir "$T/gpg" --with-colons --list-keys web-form@example.org 2>/dev/null |
	awk -F: '/^fpr:/ {print $10; exit}')
is "gpg made a key" "${#FPR}" 40
gpg --homedir "$T/gpg" --armor --export "$FPR" >"$T/new.asc"
is "the new key is not on the server yet" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$url/pks/lookup?op=get&options=mr&search=0x$FPR")" 404

rm -rf "$SHOTS"
mkdir -p "$SHOTS" "$T/profile"
spawn "$T" "$T/web.pid" "$T/web.out" "$PY" "$PKS_SRCDIR/tests/tools/web_check.py" \
	--url "$url" --shots "$SHOTS" --profile "$T/profile" \
	--name "Villemot" --email "sebastien@debian.org" --expect 00018C22381A7594 \
	--keyfile "$T/new.asc" --new-fpr "$FPR" --new-email web-form@example.org \
	--sync-peers "delivered@peer.test=waiting,rejected@peer.test=failing,127.0.0.1 $SP_RB=ok" ||
	{ echo "Bail out! web_check.py did not start"; exit 1; }
for ((i = 0; i < 3000; i++)); do
	pid_alive "$(cat "$T/web.pid")" || break
	sleep 0.1
done
if pid_alive "$(cat "$T/web.pid")"; then
	diag "web_check.py still running after 300 s; stopped"
	kill -TERM -- "-$(cat "$T/web.pid")"
fi
rm -f "$T/web.pid"
while IFS= read -r line; do
	case $line in
	"PASS "*) ok "browser: ${line#PASS }" true ;;
	"FAIL "*)
		ok "browser: ${line#FAIL }" false
		;;
	"DIAG "*) diag "${line#DIAG }" ;;
	esac
done <"$T/web.out"
ok "web_check.py ran to the end" grep -qx 'DONE ' "$T/web.out"
grep -vE '^(PASS|FAIL|DIAG|DONE) ' "$T/web.out" | tail -n 20 | sed 's/^/# /'
n=$(find "$SHOTS" -name '*.png' | wc -l)
ok "screenshots kept in $SHOTS ($n)" test "$n" -ge 9
is "the key sent through the form is stored" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$url/pks/lookup?op=get&options=mr&search=0x$FPR")" 200

ok "pksync serve stops cleanly, no sanitizer report" pks_stop "$T/srv"
tap_done
