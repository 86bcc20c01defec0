# hkps.sh: the HKPS recipe of the README, run as written.  A throw-away
# CA and server certificate (openssl), "pksync serve" with
# trusted_proxies = 127.0.0.1, and nginx with etc/nginx/pksync.conf
# (its ports, name and certificate paths replaced) on 127.0.0.1 free
# ports.  gpg 2.2 then sends, fetches and searches keys over hkps://
# with dirmngr trusting the test CA (hkp-cacert), and over plain hkp://
# through nginx's port 11371 stand-in.  dirmngr refuses hkps://localhost
# and turns 127.0.0.1 back into localhost, so the server gets a dotted
# name that resolves to 127.0.0.1 only for the gpg part: it runs in a
# private mount namespace (unshare -m) with its own /etc/hosts bound
# over the real one; nothing outside the test changes.  pksync must log
# the client's address, not nginx's: curl connects to nginx from
# 127.0.0.3 (also with a forged X-Forwarded-For) and the log must name
# 127.0.0.3.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"

KEYRING=/usr/share/keyrings/debian-keyring.gpg
SITE=$PKS_SRCDIR/etc/nginx/pksync.conf
NAME=keys.pksync.test
[ -r "$KEYRING" ] || skip_all "debian-keyring not installed"
for t in gpg gpgconf curl nginx openssl unshare; do
	command -v "$t" >/dev/null || skip_all "$t not installed"
done
[ "$(id -u)" = 0 ] || skip_all "unshare -m and mount --bind need root"
unshare -m true 2>/dev/null || skip_all "no private mount namespaces here"

T=$(mktemp -d /tmp/pkt.XXXXXX)
TAP_TMP=$T
cleanup() {
	[ -d "$T/gpg" ] && gpgconf --homedir "$T/gpg" --kill all
	[ -d "$T/gpg2" ] && gpgconf --homedir "$T/gpg2" --kill all
	stop_pid "$T/nginx/nginx.pid.spawn" 10 >/dev/null 2>&1
	pks_stop "$T/srv" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

# ---- a CA and a certificate for $NAME ----
mkdir -p "$T/tls"
(
	cd "$T/tls" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=pksync test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout privkey.pem -out server.csr -subj "/CN=$NAME" &&
	printf '%s\n' "subjectAltName=DNS:$NAME" "basicConstraints=CA:FALSE" \
		"keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >ext.cnf &&
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
		-CAcreateserial -days 2 -extfile ext.cnf -out fullchain.pem
) >"$T/openssl.log" 2>&1
ok "openssl made a CA and a server certificate" \
	openssl verify -CAfile "$T/tls/ca.pem" "$T/tls/fullchain.pem"

# ---- pksync behind a trusted proxy, debug log (client= on each line) ----
pks_setup "$T/srv" || { echo "Bail out! pks_setup failed"; exit 1; }
sed -i '/^\[server\]$/a trusted_proxies = 127.0.0.1\nlog_level = debug' "$T/srv/pksync.conf"
ok "import debian-keyring" pks "$T/srv" import -q "$KEYRING"
ok "pksync check accepts trusted_proxies" pks "$T/srv" check
pks_start "$T/srv" || { echo "Bail out! pksync serve did not start"; exit 1; }

# ---- nginx with the site from etc/, on free ports ----
TLS=$(free_port)
PLAIN=$(free_port)
mkdir -p "$T/nginx/tmp"
chown -R nobody "$T/nginx/tmp"
sed -e "s|listen 443 ssl http2;|listen 127.0.0.1:$TLS ssl http2;|" \
	-e "s|listen 11371;|listen 127.0.0.1:$PLAIN;|" \
	-e '/listen \[::\]/d' \
	-e "s|server 127.0.0.1:11380;|server 127.0.0.1:$PKS_PORT;|" \
	-e "s|/etc/letsencrypt/live/keys.example.org/|$T/tls/|" \
	-e "s|keys.example.org|$NAME|g" \
	"$SITE" >"$T/nginx/site.conf"
# (whole words: a free port or the temporary folder's name may hold
# the digits 443)
is "every port, name and path of the site was replaced" \
	"$(grep -v '^[[:space:]]*#' "$T/nginx/site.conf" |
		grep -cwE '443|11371|11380|letsencrypt|example\.org|\[::\]')" 0
cat >"$T/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log info;
events {
	worker_connections 256;
}
http {
	access_log $T/nginx/access.log;
	client_body_temp_path $T/nginx/tmp/body;
	proxy_temp_path $T/nginx/tmp/proxy;
	fastcgi_temp_path $T/nginx/tmp/fastcgi;
	uwsgi_temp_path $T/nginx/tmp/uwsgi;
	scgi_temp_path $T/nginx/tmp/scgi;
	include $T/nginx/site.conf;
}
EOF
ok "nginx -t accepts the site" nginx -t -q -e "$T/nginx/error.log" \
	-c "$T/nginx/nginx.conf" -p "$T/nginx"
spawn "$T/nginx" "$T/nginx/nginx.pid.spawn" "$T/nginx/out.log" \
	nginx -e "$T/nginx/error.log" -c "$T/nginx/nginx.conf" -p "$T/nginx" ||
	{ echo "Bail out! nginx did not start"; exit 1; }
wait_port "$TLS" 10 && wait_port "$PLAIN" 10 ||
	{ cat "$T/nginx/error.log" "$T/nginx/out.log" | sed 's/^/# /'; echo "Bail out! nginx does not listen"; exit 1; }

# ---- curl: TLS, the pages, the client address ----
c() { curl -s --cacert "$T/tls/ca.pem" --resolve "$NAME:$TLS:127.0.0.1" "$@"; }
code() { c -o /dev/null -w '%{http_code}' "$@"; }
is "HKPS: the front page" "$(code "https://$NAME:$TLS/")" 200
is "HKPS: op=get of a Debian key" \
	"$(code "https://$NAME:$TLS/pks/lookup?op=get&options=mr&search=0x20691DFCC2C98C47952984EE00018C22381A7594")" 200
is "HKPS: the certificate is checked (no CA: fails)" \
	"$(curl -s -o /dev/null -w '%{http_code}' --resolve "$NAME:$TLS:127.0.0.1" "https://$NAME:$TLS/")" 000
is "HKPS: paths outside the keyserver are not passed on" "$(code "https://$NAME:$TLS/metrics")" 404
is "plain HKP through nginx" "$(code "http://127.0.0.1:$PLAIN/pks/lookup?op=stats")" 200
c --interface 127.0.0.3 -o /dev/null "https://$NAME:$TLS/pks/lookup?op=index&search=Villemot"
c --interface 127.0.0.3 -o /dev/null -H 'X-Forwarded-For: 203.0.113.9' \
	"https://$NAME:$TLS/pks/style.css"
c --interface 127.0.0.3 -o /dev/null -H 'X-Forwarded-For: 203.0.113.9' \
	"http://127.0.0.1:$PLAIN/"
curl -s -o /dev/null --interface 127.0.0.3 -H 'X-Forwarded-For: 203.0.113.10' \
	"http://127.0.0.1:$PKS_PORT/pks/lookup?op=stats"
sleep 0.3
log=$T/srv/serve.log
ok "pksync logs the client of a proxied search (127.0.0.3)" \
	grep -q 'GET /pks/lookup: 200 .*client=127\.0\.0\.3$' "$log"
ok "... and of the proxied stylesheet and front page" \
	sh -c "grep -q 'GET /pks/style.css: 200 .*client=127\.0\.0\.3\$' '$log' &&
		grep -q 'GET /: 200 .*client=127\.0\.0\.3\$' '$log'"
ok "a client's own X-Forwarded-For is not believed, through nginx or not" \
	sh -c "! grep -qE 'client=203\.0\.113\.(9|10)' '$log'"

# ---- gpg over hkps:// and hkp:// in a private mount namespace ----
printf '127.0.0.1 localhost\n127.0.0.1 %s\n' "$NAME" >"$T/hosts"
mkdir -m 700 "$T/gpg" "$T/gpg2"
for h in gpg gpg2; do
	cat >"$T/$h/dirmngr.conf" <<EOF
keyserver hkps://$NAME:$TLS
hkp-cacert $T/tls/ca.pem
no-use-tor
standard-resolver
resolver-timeout 2
connect-timeout 10
connect-quick-timeout 5
EOF
done
# The gpg steps run inside the namespace; each prints "step rc".
cat >"$T/gpg.sh" <<'EOF'
set -u
mount --bind "$T/hosts" /etc/hosts || { echo "mount 1"; exit 1; }
g() { gpg --homedir "$T/$1" --batch --no-tty "${@:2}"; }
step() { local n=$1; shift; "$@" >>"$T/gpg.log" 2>&1; echo "$n $?"; }
echo "resolve $(getent hosts "$NAME" | awk '{print $1}')"
g gpg --passphrase '' --quick-gen-key 'Tls Tester <tls@example.org>' \
	ed25519 sign never >>"$T/gpg.log" 2>&1
FPR=$(g gpg --with-colons --list-keys tls@example.org 2>/dev/null |
	awk -F: '/^fpr:/ {print $10; exit}')
echo "fpr $FPR"
step send g gpg --send-keys "$FPR"
step recv g gpg2 --recv-keys "$FPR"
step have g gpg2 --list-keys "$FPR"
step recv_debian g gpg2 --recv-keys 20691DFCC2C98C47952984EE00018C22381A7594
step search sh -c "gpg --homedir '$T/gpg2' --batch --no-tty --with-colons \
	--search-keys 'tls@example.org' | grep -q '^pub:$FPR:'"
step search_name sh -c "gpg --homedir '$T/gpg2' --batch --no-tty --with-colons \
	--search-keys Villemot | grep -q '^pub:20691DFCC2C98C47952984EE00018C22381A7594:'"
g gpg2 --yes --delete-keys "$FPR" >>"$T/gpg.log" 2>&1
step recv_plain g gpg2 --keyserver "hkp://$NAME:$PLAIN" --recv-keys "$FPR"
gpgconf --homedir "$T/gpg" --kill all
gpgconf --homedir "$T/gpg2" --kill all
EOF
T=$T NAME=$NAME TLS=$TLS PLAIN=$PLAIN unshare -m bash "$T/gpg.sh" >"$T/gpg.out" 2>&1
res() { sed -n "s/^$1 //p" "$T/gpg.out"; }
is "inside the namespace $NAME is 127.0.0.1" "$(res resolve)" 127.0.0.1
is "outside it, $NAME is unknown" "$(getent hosts "$NAME")" ""
FPR=$(res fpr)
is "gpg made a key" "${#FPR}" 40
is "gpg --send-keys over hkps://" "$(res send)" 0
is "gpg --recv-keys over hkps:// (the sent key)" "$(res recv)" 0
is "... and it is in the keyring" "$(res have)" 0
is "gpg --recv-keys over hkps:// (a Debian key)" "$(res recv_debian)" 0
is "gpg --search-keys over hkps:// by e-mail" "$(res search)" 0
is "gpg --search-keys over hkps:// by name" "$(res search_name)" 0
is "gpg --recv-keys over hkp:// through nginx" "$(res recv_plain)" 0
grep -vE '^(resolve|fpr|send|recv|have|recv_debian|search|search_name|recv_plain) ' \
	"$T/gpg.out" | sed 's/^/# /'
[ "$TAP_FAIL" -gt 0 ] && tail -n 20 "$T/gpg.log" | sed 's/^/# gpg: /'
ok "the key gpg sent is stored" \
	sh -c "'$PKSYNC' -c '$T/srv/pksync.conf' stats --json | grep -q '\"keys\":906'"
ok "pksync logs gpg's upload as from 127.0.0.1, through the proxy" \
	grep -q 'POST /pks/add: 200 .*client=127\.0\.0\.1$' "$log"
ok "nginx saw TLS requests from gpg" grep -q '"POST /pks/add HTTP/1\.[01]" 200' "$T/nginx/access.log"

stop_pid "$T/nginx/nginx.pid.spawn" 10
ok "pksync serve stops cleanly, no sanitizer report" pks_stop "$T/srv"
tap_done
