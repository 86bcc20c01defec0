# network.sh: "pksync network" and /pks/trace on real servers, all on
# 127.0.0.1.  Three pksync instances (recon off, so keys move only when
# the test moves them; the membership and mail sync files are what the
# stats pages list): A lists B, C and a port nothing listens on as recon
# peers and C's address as its mail sync peer (mapped to C's URL by
# [network] mail_hkp); B lists A and a real SKS 1.1.6, which lists B.
# HKP ports are recon port + 1, as the stats pages' convention wants.
#  1. the map: servers, software, versions, key counts, links, the dead
#     peer unreachable (JSON, DOT, text);
#  2. --trace: a key on A only, then on B, an older version on C and
#     the current one on SKS;
#  3. /pks/trace: 200, tidy-clean, an SVG, no other argument taken;
#  4. safety: allow_private = no keeps the crawl off listed 127.0.0.1
#     peers (the peer sees nothing); a stats page listing 10,000 peers
#     and a 50 MB page stay within max_servers, max_page and the
#     deadline; so does a page that trickles in byte by byte.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/sks.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"
. "$PKS_SRCDIR/tests/lib/gpg.sh"

need_keyring
need_sks
need_cmd tidy
PY=/usr/bin/python3
TOOLS=$PKS_SRCDIR/tests/tools

test_dir pnw
at_exit gpg_cleanup
at_exit 'for f in "$T"/*.srv.pid; do [ -f "$f" ] && stop_pid "$f" 5; done'
at_exit 'for d in "$T"/a "$T"/b "$T"/c "$T"/q; do pks_stop "$d"; done'
at_exit 'sks_stop "$T/s"'
chmod 755 "$T"

# pair_port: a free port P whose P+1 is free too (recon, HKP)
pair_port() {
	"$PY" -c 'import socket
while True:
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", p + 1))
    except OSError:
        continue
    print(p); break'
}

# node: a pksync with HKP on RECON+1, recon off, the given membership
# ports ("127.0.0.1 PORT" lines) and [network] lines
node() {
	local dir=$1 recon=$2 peers=$3 p
	pks_setup "$dir" || return 1
	sed -i "s/^http_listen = .*/http_listen = 127.0.0.1:$((recon + 1))/" \
		"$dir/pksync.conf"
	: >"$dir/membership"
	for p in $peers; do echo "127.0.0.1 $p" >>"$dir/membership"; done
	printf '[recon]\nmembership_file = %s/membership\n' "$dir" >>"$dir/pksync.conf"
	printf '[network]\nallow_private = yes\ndeadline = 60\ntimeout = 10\n' \
		>>"$dir/pksync.conf"
	pks_user_dir "$dir"
}

RA=$(pair_port); RB=$(pair_port); RC=$(pair_port); RS=$(pair_port)
DEAD=$(pair_port)
while [ "$RB" = "$RA" ] || [ "$RC" = "$RA" ] || [ "$RC" = "$RB" ] ||
	[ "$RS" = "$RA" ] || [ "$RS" = "$RB" ] || [ "$RS" = "$RC" ]; do
	RB=$(pair_port); RC=$(pair_port); RS=$(pair_port)
done
MAILC=pgp-public-keys@c.test
ok "pksync A set up" node "$T/a" "$RA" "$RB $RC $DEAD"
echo "$MAILC" >"$T/a/mailsync"
echo "mail_hkp = $MAILC=http://127.0.0.1:$((RC + 1))" >>"$T/a/pksync.conf"
ok "pksync B set up" node "$T/b" "$RB" "$RA $RS"
ok "pksync C set up" node "$T/c" "$RC" ""
"$PY" "$TOOLS/pgpkeys.py" first "$KEYRING" "$T/one.pgp"
ok "SKS set up (one key)" sks_setup "$T/s" "$T/one.pgp" "$((RS + 1))" "$RS" "$RB"
for d in a b c; do ok "pksync $d serves" pks_start "$T/$d"; done
ok "SKS serves" sks_start "$T/s"
# A holds one key of the keyring, B and C none
ok "import into A" pks "$T/a" import -q "$T/one.pgp"
SKSKEYS=$(curl -s "http://127.0.0.1:$((RS + 1))/pks/lookup?op=stats" |
	sed -n 's/.*Total number of keys: *\([0-9]*\).*/\1/p')

U() { echo "http://127.0.0.1:$(($1 + 1))"; }
A=$(U "$RA"); B=$(U "$RB"); C=$(U "$RC"); S=$(U "$RS"); D=$(U "$DEAD")

# ---- 1. the map ----
pks "$T/a" network --json >"$T/map.json" 2>"$T/map.err"
is "network --json exits 0" "$?" 0
# q PYTHON-EXPR: evaluate over the JSON map (m), servers by URL (s)
q() {
	"$PY" -c 'import json,sys
m = json.load(open(sys.argv[1]))
s = {x["url"]: x for x in m["servers"]}
l = sorted("%s %s %s" % (x["from"], x["to"], x["kind"]) for x in m["links"])
print(eval(sys.argv[2]))' "$1" "$2"
}
is "five servers on the map" "$(q "$T/map.json" 'len(m["servers"])')" 5
is "A: pksync, its key count, reachable" \
	"$(q "$T/map.json" "s['$A']['software'], s['$A']['keys'], s['$A']['reachable']")" \
	"('pksync', 1, True)"
is "B: pksync, no keys" "$(q "$T/map.json" "s['$B']['software'], s['$B']['keys']")" \
	"('pksync', 0)"
is "C (found by recon and by the mapped mail address): 0 keys" \
	"$(q "$T/map.json" "s['$C']['software'], s['$C']['keys'], s['$C']['reachable']")" \
	"('pksync', 0, True)"
is "SKS: software SKS, version 1.1.6+, its key count" \
	"$(q "$T/map.json" "s['$S']['software'], s['$S']['version'], s['$S']['keys']")" \
	"('SKS', '1.1.6+', $SKSKEYS)"
is "the listed peer nobody runs is unreachable" \
	"$(q "$T/map.json" "s['$D']['reachable'], s['$D']['keys']")" "(False, None)"
cat >"$T/links.want" <<EOL
$A $B recon
$A $C mail
$A $C recon
$A $D recon
$B $A recon
$B $S recon
$S $B recon
EOL
is "links with kind and direction" \
	"$(q "$T/map.json" '"\n".join(l)')" "$(sort "$T/links.want")"
# max_depth 1: B is visited, the SKS it lists (two hops) is not
{ cat "$T/a/pksync.conf"; echo "max_depth = 1"; } >"$T/a/depth.conf"
"$PKSYNC" -c "$T/a/depth.conf" network --json >"$T/depth.json"
is "max_depth = 1: a server two hops away is listed, not visited" \
	"$(q "$T/depth.json" "s['$B']['reachable'], s['$S']['reachable'], s['$S']['note']")" \
	"(True, False, 'not visited: depth limit')"
pks "$T/a" network --dot >"$T/map.dot"
ok "--dot is a digraph with every server" sh -c \
	"grep -q '^digraph' '$T/map.dot' && [ \$(grep -c 'label=\"http' '$T/map.dot') = 5 ]"
pks "$T/a" network "$B" >"$T/map.txt"
ok "text output from a given URL starts there" sh -c \
	"head -n 1 '$T/map.txt' | grep -q '^$B pksync'"
echo "mail_hkp = nonsense" >>"$T/c/pksync.conf"
pks "$T/c" network >/dev/null 2>&1
is "a bad mail_hkp is a configuration error (EX_CONFIG)" "$?" 78
sed -i '$d' "$T/c/pksync.conf"

# ---- 2. --trace ----
gpg_setup "$((RA + 1))"
gpgt --passphrase '' --quick-gen-key 'Trace Test <trace@example.org>' \
	ed25519 sign never >/dev/null 2>&1
FPR=$(gpgt --with-colons --list-keys trace@example.org 2>/dev/null |
	awk -F: '/^fpr:/ {print $10; exit}')
is "gpg made a key" "${#FPR}" 40
gpgt --armor --export "$FPR" >"$T/old.asc"
gpgt --passphrase '' --quick-add-uid "$FPR" 'Trace Second <trace2@example.org>' \
	>/dev/null 2>&1
gpgt --armor --export "$FPR" >"$T/new.asc"
add() { # BASE-URL FILE: HTTP status of /pks/add
	curl -s -o /dev/null -w '%{http_code}' --data-urlencode "keytext@$2" "$1/pks/add"
}
is "the key goes to A" "$(add "$A" "$T/new.asc")" 200
pks "$T/a" network --json --trace "0x$FPR" >"$T/t1.json"
is "--trace exits 0" "$?" 0
is "on A only: current, missing elsewhere, the dead peer unreachable" \
	"$(q "$T/t1.json" "[s[u]['state'] for u in ('$A', '$B', '$C', '$S', '$D')]")" \
	"['current', 'missing', 'missing', 'missing', 'unreachable']"
is "to B the same version" "$(add "$B" "$T/new.asc")" 200
is "to C the older version (one user ID less)" "$(add "$C" "$T/old.asc")" 200
is "to SKS by its /pks/add" "$(add "$S" "$T/new.asc")" 200
pks "$T/a" network --json --trace "$FPR" >"$T/t2.json"
is "current on A, B and SKS, older on C" \
	"$(q "$T/t2.json" "[s[u]['state'] for u in ('$A', '$B', '$C', '$S', '$D')]")" \
	"['current', 'current', 'older', 'current', 'unreachable']"
pks "$T/c" network --trace 0x0123456789ABCDEF0123456789ABCDEF01234567 \
	>/dev/null 2>"$T/lack.err"
is "--trace of a key this server lacks: refused (EX_DATAERR)" "$?" 65
ok "... saying so" grep -q 'not on this server' "$T/lack.err"

# ---- 3. /pks/trace ----
code() { curl -s -o "$T/page.html" -w '%{http_code}' "$@"; }
is "/pks/trace answers 200" "$(code "$A/pks/trace?search=0x$FPR")" 200
is "tidy: the trace page is clean" "$(tidy -e -q "$T/page.html" 2>&1)" ""
ok "it holds an SVG with every server" sh -c \
	"grep -q '<svg' '$T/page.html' && grep -q '$S' '$T/page.html' &&
	 grep -q '$D' '$T/page.html'"
ok "it shows the states" sh -c \
	"grep -q 'class=\"server older\"' '$T/page.html' &&
	 grep -q 'class=\"server current\"' '$T/page.html'"
ok "it refreshes itself" grep -q 'http-equiv="refresh"' "$T/page.html"
ok "it gives the time A was first seen current" \
	grep -q "<tr class=\"current\"><td>$A</td><td>current</td><td>20[0-9-]* [0-9:]*</td>" \
	"$T/page.html"
is "a second viewer gets it from the cache" \
	"$(code "$A/pks/trace?search=0x$FPR")" 200
is "no other argument (no URL) is taken" \
	"$(code "$A/pks/trace?search=0x$FPR&url=http://127.0.0.1:1/")" 400
is "a key not here: 404" \
	"$(code "$A/pks/trace?search=0x0123456789ABCDEF0123456789ABCDEF01234567")" 404
is "no fingerprint: 400" "$(code "$A/pks/trace?search=alice")" 400
ok "the index links each key to its trace" sh -c \
	"curl -s '$A/pks/lookup?op=index&search=0x$FPR' | grep -q '/pks/trace?search=0x$FPR'"

# ---- 4. safety ----
# srv NAME MODE [ARG]: a stats_server.py on a free port (its port printed)
srv() {
	spawn "$T" "$T/$1.srv.pid" "$T/$1.srv.out" "$PY" "$TOOLS/stats_server.py" \
		"$T/$1.port" "$T/$1.log" "$2" ${3:-} || return 1
	for ((i = 0; i < 100; i++)); do
		[ -s "$T/$1.port" ] && { cat "$T/$1.port"; return 0; }
		sleep 0.1
	done
	return 1
}
WP=$(srv watched plain)
# Q: a pksync listing the watched server (HKP = its port) as recon peer
RQ=$(pair_port)
ok "pksync Q set up" node "$T/q" "$RQ" "$((WP - 1))"
sed -i 's/^allow_private = yes/allow_private = no/' "$T/q/pksync.conf"
ok "pksync Q serves" pks_start "$T/q"
Q=$(U "$RQ"); W=http://127.0.0.1:$WP
pks "$T/q" network --json >"$T/priv.json"
is "allow_private = no: the listed 127.0.0.1 peer is refused" \
	"$(q "$T/priv.json" "s['$W']['reachable'], s['$W']['note'][:16]")" \
	"(False, 'refused: private')"
is "... and saw no request" "$(cat "$T/watched.log" 2>/dev/null)" ""
sed -i 's/^allow_private = no/allow_private = yes/' "$T/q/pksync.conf"
pks "$T/q" network --json >"$T/pub.json"
is "with allow_private = yes the same peer is visited" \
	"$(q "$T/pub.json" "s['$W']['software']")" "hostile"
is "... once, asking for its stats page with our User-Agent" \
	"$(grep -c '^GET /pks/lookup?op=stats&options=mr UA=pksync/.* (+network map)$' \
		"$T/watched.log")" 1

FP=$(srv flood peers 10000)
HP=$(srv huge huge 50)
cat >"$T/h.conf" <<EOC
[server]
datadir = $T/q/data
$([ "$(id -u)" = 0 ] && echo "user = $PKS_USER")
[network]
allow_private = yes
max_servers = 20
max_page = 1048576
deadline = 30
timeout = 10
EOC
timeout 300 "$PKSYNC" -c "$T/h.conf" network --json \
	"http://127.0.0.1:$FP" "http://127.0.0.1:$HP" >"$T/hostile.json"
is "the hostile crawl ends" "$?" 0
is "10,000 listed peers: the map stops at max_servers (20)" \
	"$(q "$T/hostile.json" 'len(m["servers"]), m["dropped"] > 0')" "(20, True)"
is "the 50 MB page: refused as too large" \
	"$(q "$T/hostile.json" "s['http://127.0.0.1:$HP']['reachable'], s['http://127.0.0.1:$HP']['note']")" \
	"(False, 'answer too large')"
ok "the crawler stopped reading it early" "$PY" -c "import sys
sent = [int(l.split()[1]) for l in open('$T/huge.log') if l.startswith('sent')]
sys.exit(0 if sent and sent[0] < 50 * 1024 * 1024 else 1)"
# A page that trickles one byte a second is cut off by the deadline
# (each read is within the timeout; only the deadline ends it).
SP=$(srv slow slow)
sed -i 's/^deadline = .*/deadline = 4/; s/^timeout = .*/timeout = 3/' "$T/h.conf"
timeout 300 "$PKSYNC" -c "$T/h.conf" network --json "http://127.0.0.1:$SP" \
	>"$T/slow.json"
is "the trickling page: the crawl ends" "$?" 0
is "... and marks it unreachable" \
	"$(q "$T/slow.json" "s['http://127.0.0.1:$SP']['reachable'], s['http://127.0.0.1:$SP']['note']")" \
	"(False, 'no answer')"
for d in a b c q; do
	ok "pksync $d stops cleanly (no sanitizer report)" pks_stop "$T/$d"
done
tap_done
