# index_cache.sh: the mr op=index answer cache ([server] index_cache)
# never serves an answer the database no longer gives.  A repeated
# search is a cache hit (/metrics); a key stored by another process
# (pksync import), one uploaded to the same server over /pks/add (one
# worker thread: the write goes through the connection that reads), and
# a key that expires while its answer is cached all show at once; the
# answers equal those of a server with the cache turned off.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"

need_cmd curl gpg
test_dir pkic
at_exit 'pks_stop "$T/p"'
at_exit 'pks_stop "$T/q"'
at_exit '[ -n "${GNUPGHOME:-}" ] && gpgconf --homedir "$GNUPGHOME" --kill all'

export GNUPGHOME=$T/gpg
mkdir -m 700 "$GNUPGHOME"
# key NAME [EXPIRE]: a new key "NAME Cachetest", exported to $T/NAME.pgp
key() {
	gpg --batch --passphrase '' --quick-gen-key "$1 Cachetest <$1@example.org>" \
		ed25519 cert "${2:-never}" 2>/dev/null &&
		gpg --batch --export "$1@example.org" >"$T/$1.pgp" &&
		chmod 644 "$T/$1.pgp"
}
ok "keys made" sh -c "$(declare -f key); T=$T; key alice && key bob && key carol"

pks_setup "$T/p" || bail pks_setup
printf 'http_threads = 1\n' >>"$T/p/pksync.conf"
pks_setup "$T/q" || bail pks_setup
sed -i "s|^datadir = .*|$(grep '^datadir' "$T/p/pksync.conf")|" "$T/q/pksync.conf"
printf 'index_cache = 0\n' >>"$T/q/pksync.conf"
ok "import alice" pks "$T/p" import -q --no-mail "$T/alice.pgp"
pks_start "$T/p" || bail "pksync start"
P=$PKS_PORT
pks_start "$T/q" || bail "pksync start"
Q=$PKS_PORT

index() { curl -s "http://127.0.0.1:$1/pks/lookup?op=index&options=mr&search=$2"; }
count() { index "$P" "$1" | sed -n 's/^info:1://p'; }
hits() {
	curl -s "http://127.0.0.1:$P/metrics" |
		sed -n 's/^pksync_index_cache_requests_total{result="hit"} //p'
}

is "one key" "$(count cachetest)" 1
h0=$(hits)
is "the same again" "$(count cachetest)" 1
is "the second is a hit" "$(hits)" "$((h0 + 1))"
is "as without the cache" "$(index "$P" cachetest)" "$(index "$Q" cachetest)"

ok "import bob (another process)" pks "$T/p" import -q --no-mail "$T/bob.pgp"
is "bob shows at once" "$(count cachetest)" 2

code=$(curl -s -o /dev/null -w '%{http_code}' --data-urlencode \
	"keytext@$T/carol.pgp" "http://127.0.0.1:$P/pks/add")
is "carol uploaded to the same server" "$code" 200
is "carol shows at once" "$(count cachetest)" 3
is "as without the cache" "$(index "$P" cachetest)" "$(index "$Q" cachetest)"

# A key that expires while its answer is cached.
ok "dave made" sh -c "$(declare -f key); T=$T; key dave seconds=8"
ok "import dave" pks "$T/p" import -q --no-mail "$T/dave.pgp"
line() { index "$P" dave | grep '^pub:'; }
first=$(line)
exp=$(echo "$first" | cut -d: -f6)
now=$(date +%s)
if [ "$now" -lt "$exp" ]; then
	is "dave is listed unexpired before it expires" "$(echo "$first" | cut -d: -f7)" ""
	is "and cached" "$(line)" "$first"
fi
while [ "$(date +%s)" -le "$exp" ]; do sleep 1; done
is "dave is listed expired once it has" "$(line | cut -d: -f7)" e
is "as without the cache" "$(index "$P" dave)" "$(index "$Q" dave)"
tap_done
