# import_bulk.sh: "pksync import" into an empty database builds some
# indexes and the prefix tree after the keys ([import] bulk), and a
# database whose bulk import was killed is refused until an import
# finishes it.
#   1. Debian's keyring imported into an empty database with bulk = yes
#      (in batches of bulk_batch_keys) and with bulk = no (batch_keys):
#      the same rows, key IDs, e-mails, listings,
#      words, word table (filled at the end in bulk), prefix tree and
#      schema (every index there again), and pksync check agrees.
#   2. The keyring fed through a pipe that stays open: once a batch is
#      committed, the import holds its lock, and every other opener
#      refuses the database saying an import runs (stats, check, serve
#      do not start, mail-filter exits 75, a second import stops).
#      Then kill -9: every other command (stats, check, serve,
#      mail-filter) refuses the database with the reason; importing
#      again finishes it: the same database as (1), served again.
#   3. A database that holds a key already takes the row-by-row path
#      (its word table written at each batch's end): the same database.
#   4. A mark whose lock nobody holds, though a live process has the id
#      the import once had (a reused pid): refused, also by a serve
#      that reads a lock file root made; without the mark, opened.
#   5. A serve started on the empty database before the import, that
#      has answered nothing yet (and read its configuration again): the
#      import writes key by key (every index kept up) and says why, the
#      serve answers during the import and after it, and no mark is
#      left.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"

need_keyring
need_cmd sqlite3 curl

test_dir pkbu
chmod 755 "$T"
cp "$KEYRING" "$T/ring.pgp" && chmod 644 "$T/ring.pgp"
head -c 200000 "$T/ring.pgp" >"$T/head.pgp" && chmod 644 "$T/head.pgp"

# setup NAME BULK [BULK_BATCH]: a fresh database, small batches
setup() {
	pks_setup "$T/$1" >/dev/null || return 1
	printf '[import]\nbulk = %s\nbatch_keys = 100\nbulk_batch_keys = %s\nread_size = 65536\n' \
		"$2" "${3:-100}" >>"$T/$1/pksync.conf"
	printf '[keys]\nmax_bytes = 1048576\n' >>"$T/$1/pksync.conf"
}

# facts NAME: what the database holds, without times
facts() {
	pks_db_facts "$T/$1/data/pksync.db" "
SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name;
SELECT name, value FROM meta WHERE name NOT IN ('ptree_rebuild')
  ORDER BY name;
INSERT INTO key_words(key_words) VALUES ('integrity-check');
CREATE VIRTUAL TABLE temp.kw USING fts5vocab(main, key_words, instance);
SELECT term, doc, offset FROM temp.kw ORDER BY 1, 2, 3;
SELECT word, key, typeof(listing), length(listing) FROM key_word_listings
  ORDER BY 1, 2;"
}

# count DB QUERY: the first column of QUERY's first row in DB
count() { SQL_DB=$1 sql "$2"; }

# refused DIR TAG WHY MTA: stats, check, serve and mail-filter (exit 75:
# MTA) refuse DIR's database, each saying WHY
refused() {
	local dir=$1 tag=$2 why=$3 rc
	pks "$dir" stats >/dev/null 2>"$T/$tag.stats"
	ok "$tag: stats refuses the database" test "$?" -ne 0
	ok "$tag: ... saying why" grep -q "$why" "$T/$tag.stats"
	pks "$dir" check >/dev/null 2>"$T/$tag.check"
	ok "$tag: check refuses it" test "$?" -ne 0
	ok "$tag: ... saying why" grep -q "$why" "$T/$tag.check"
	timeout 30 "$PKSYNC" -c "$dir/pksync.conf" serve >"$T/$tag.serve" 2>&1
	rc=$?
	ok "$tag: serve refuses to start" test "$rc" -ne 0 -a "$rc" -ne 124
	ok "$tag: ... saying why" grep -q "$why" "$T/$tag.serve"
	printf 'From: alice@example.org\nSubject: INDEX alice\n\nINDEX alice\n' |
		SENDER=alice@example.org pks "$dir" mail-filter \
			>/dev/null 2>"$T/$tag.mail"
	is "$tag: mail-filter exits 75 ($4)" "$?" 75
	ok "$tag: ... saying why" grep -q "$why" "$T/$tag.mail"
}

# 1. bulk = yes and bulk = no
setup bulk yes 300 || bail "setup bulk"
pks "$T/bulk" import --no-mail "$T/ring.pgp" >"$T/bulk.out" 2>"$T/bulk.err"
is "bulk: the import succeeds" "$?" 0
ok "bulk: the empty database is loaded in bulk" \
	grep -q 'built after the keys' "$T/bulk.err"
ok "bulk: indexes and tree built at the end" \
	grep -q 'indexes and prefix tree built' "$T/bulk.err"
ok "bulk: batches of bulk_batch_keys" grep -q 'batch 1: 300 keys' "$T/bulk.err"
setup row no || bail "setup row"
pks "$T/row" import --no-mail "$T/ring.pgp" >"$T/row.out" 2>"$T/row.err"
is "bulk = no: the import succeeds" "$?" 0
is "bulk = no: key by key" "$(grep -c 'built after the keys' "$T/row.err")" 0
ok "bulk = no: batches of batch_keys" grep -q 'batch 1: 100 keys' "$T/row.err"
facts bulk >"$T/bulk.facts" && facts row >"$T/row.facts" ||
	bail "reading the databases"
ok "bulk = no: the database holds keys" \
	test "$(grep -c . "$T/row.facts")" -gt 2000
ok "bulk and key by key: the same database" cmp "$T/bulk.facts" "$T/row.facts"
is "bulk: no mark left" "$(count "$T/bulk/data/pksync.db" \
	"SELECT count(*) FROM meta WHERE name LIKE 'bulk%'")" 0
ok "bulk: pksync check agrees" pks "$T/bulk" check

# 2. kill -9 in the middle: the input pipe stays open, so the import
# cannot end before it is killed.
setup kill yes || bail "setup kill"
mkfifo "$T/fifo" || bail "mkfifo"
"$PKSYNC" -c "$T/kill/pksync.conf" import --no-mail - <"$T/fifo" \
	>"$T/kill.out" 2>"$T/kill.err" &
IMP=$!
exec 3>"$T/fifo"
head -c 8000000 "$T/ring.pgp" >&3 &
FEED=$!
for ((i = 0; i < 600; i++)); do
	grep -q 'batch 1:' "$T/kill.err" && break
	sleep 0.1
done
ok "kill: a batch was committed" grep -q 'batch 1:' "$T/kill.err"
# While it runs: everyone else stays out, saying why.
refused "$T/kill" running 'import into this empty database is running' \
	'the MTA retries'
pks "$T/kill" import --no-mail "$T/head.pgp" >/dev/null 2>"$T/run.import"
is "running: a second import stops (75)" "$?" 75
ok "running: ... saying why" grep -q 'is running' "$T/run.import"
kill -9 "$IMP"
wait "$IMP" 2>/dev/null
exec 3>&-
wait "$FEED" 2>/dev/null
ok "kill: keys were stored" test "$(count "$T/kill/data/pksync.db" \
	"SELECT count(*) FROM keys")" -ge 100
refused "$T/kill" kill 'import into this empty database did not finish' \
	'the MTA keeps the mail'
pks "$T/kill" import --no-mail "$T/ring.pgp" >"$T/again.out" 2>"$T/again.err"
is "kill: importing again finishes it" "$?" 0
ok "kill: ... saying so" grep -q 'finishing an import' "$T/again.err"
facts kill >"$T/kill.facts"
ok "kill: then the same database as an import never killed" \
	cmp "$T/bulk.facts" "$T/kill.facts"
ok "kill: pksync check agrees" pks "$T/kill" check
pks_start "$T/kill" || bail "serve after the import"
fpr=$(count "$T/kill/data/pksync.db" "SELECT hex(fpr) FROM keys WHERE id = 1")
ok "kill: served again" curl -fsS -o "$T/get.asc" \
	"http://127.0.0.1:$(pks_port "$T/kill")/pks/lookup?op=get&search=0x$fpr"
pks_stop "$T/kill" || bail "stop serve"

# 3. A database that holds a key already: row by row.
setup one yes || bail "setup one"
pks "$T/one" import -q --no-mail "$T/head.pgp" >/dev/null 2>&1
pks "$T/one" import --no-mail "$T/ring.pgp" >"$T/one.out" 2>"$T/one.err"
is "not empty: import" "$?" 0
is "not empty: key by key" "$(grep -c 'built after the keys' "$T/one.err")" 0
facts one >"$T/one.facts" || bail "reading the database"
ok "not empty: the same database as bulk = no" cmp "$T/row.facts" "$T/one.facts"
ok "not empty: pksync check agrees" pks "$T/one" check

# 4. The mark of an import that died, and a live process with the id it
# had: the lock decides, not the id.  The lock file as root left it.
sleep 120 &
LIVE=$!
sqlite3 "$T/bulk/data/pksync.db" \
	"INSERT INTO meta(name, value) VALUES ('bulk_import', '$LIVE')" &&
	pks_user_dir "$T/bulk" || bail "setting the mark"
touch "$T/bulk/data/pksync.db-bulk" && chmod 644 "$T/bulk/data/pksync.db-bulk"
[ "$(id -u)" = 0 ] && chown root:root "$T/bulk/data/pksync.db-bulk"
timeout 30 "$PKSYNC" -c "$T/bulk/pksync.conf" serve >"$T/rootlock.serve" 2>&1
rc=$?
ok "root's lock file: serve (as its user) refuses to start" \
	test "$rc" -ne 0 -a "$rc" -ne 124
ok "root's lock file: ... saying why" \
	grep -q 'did not finish' "$T/rootlock.serve"
refused "$T/bulk" pid-reused 'did not finish' 'the MTA keeps the mail'
kill "$LIVE"
wait "$LIVE" 2>/dev/null
sqlite3 "$T/bulk/data/pksync.db" \
	"DELETE FROM meta WHERE name = 'bulk_import'" &&
	pks_user_dir "$T/bulk" || bail "clearing the mark"
ok "no mark: stats opens the database" pks "$T/bulk" stats

# 5. A serve already running, that has answered nothing (its threads
# open the database at their first request): it holds the database
# open from its start, so no bulk load happens under its feet.
setup served yes || bail "setup served"
sed -i 's/^batch_keys = 100$/batch_keys = 5/' "$T/served/pksync.conf"
pks_start "$T/served" || bail "serve on the empty database"
# Read its configuration again first: it still holds the database.
kill -HUP "$(cat "$T/served/serve.pid")"
for ((i = 0; i < 300; i++)); do
	grep -q 'configuration read again' "$T/served/serve.log" && break
	sleep 0.1
done
ok "serve running: reloaded" grep -q 'configuration read again' \
	"$T/served/serve.log"
# Port 0 again: the restarted HKP server's port is the last one logged.
P=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
	"$T/served/serve.log" | tail -n 1)
# The input through a pipe kept open: the import is still running while
# the serve is asked.
mkfifo "$T/fifo5" || bail "mkfifo"
"$PKSYNC" -c "$T/served/pksync.conf" import --no-mail - <"$T/fifo5" \
	>"$T/served.out" 2>"$T/served.err" &
IMP=$!
exec 3>"$T/fifo5"
head -c 3000000 "$T/ring.pgp" >&3
for ((i = 0; i < 600; i++)); do
	grep -q 'batch 1:' "$T/served.err" && break
	sleep 0.1
done
ok "serve running: a batch was committed" grep -q 'batch 1:' "$T/served.err"
ok "serve running: the import goes key by key, saying why" \
	grep -q 'open elsewhere' "$T/served.err"
DB5=$T/served/data/pksync.db
fpr=$(count "$DB5" "SELECT hex(fpr) FROM keys WHERE id = 1")
ok "serve running: during the import op=get answers" curl -fsS \
	-o "$T/during.asc" "http://127.0.0.1:$P/pks/lookup?op=get&search=0x$fpr"
ok "... with the key" grep -q 'BEGIN PGP PUBLIC KEY BLOCK' "$T/during.asc"
curl -fsS -o "$T/during.idx" \
	"http://127.0.0.1:$P/pks/lookup?op=index&options=mr&search=0x${fpr:24}"
ok "... and op=index by key ID finds it" grep -qi "^pub:$fpr:" "$T/during.idx"
exec 3>&-
wait "$IMP"
is "serve running: the import succeeds" "$?" 0
is "serve running: ... not in bulk" \
	"$(grep -c 'built after the keys' "$T/served.err")" 0
is "serve running: no mark, no index missing" "$(count "$DB5" \
	"SELECT count(*) FROM meta WHERE name LIKE 'bulk%'")/$(count "$DB5" \
	"SELECT count(*) FROM sqlite_master WHERE name IN ('keys_updated',
	'keyids_keyid32', 'emails_email')")" 0/3
n=$(count "$DB5" "SELECT count(*) FROM keys")
ok "serve running: every key stored" test "$n" -gt 5
fpr=$(count "$DB5" "SELECT hex(fpr) FROM keys WHERE id = $n")
mail=$(count "$DB5" "SELECT e.email FROM emails e WHERE e.key_id = $n
	ORDER BY e.email LIMIT 1")
ok "serve running: after the import op=get answers the last key" \
	curl -fsS -o /dev/null \
	"http://127.0.0.1:$P/pks/lookup?op=get&search=0x$fpr"
curl -fsS -o "$T/after.idx" \
	"http://127.0.0.1:$P/pks/lookup?op=index&options=mr&search=$mail"
ok "... and op=index by its e-mail finds it" grep -qi "^pub:$fpr:" "$T/after.idx"
ok "serve running: pksync check agrees" pks "$T/served" check
pks_stop "$T/served" || bail "stop serve"
tap_done
