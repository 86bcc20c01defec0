# mail_filter.sh: the real "pksync mail-filter" with messages on a pipe,
# as the MTA runs it (cat msg | pksync -c conf mail-filter): exit codes
# (0 handled or ignored, 65 oversize, empty or not a message, 75 database
# locked), keys merged into the database, replies queued in the outbox
# or printed with --dry-run, no reply to bounces and robots.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"

M=$PKS_SRCDIR/tests/data/mail
T=$(mktemp -d /tmp/pkm.XXXXXX)
TAP_TMP=$T
trap 'rm -rf "$T"' EXIT

pks_setup "$T/a" || { echo "Bail out! pks_setup failed"; exit 1; }
sed -i 's/^\[server\]$/[server]\nbusy_timeout_ms = 300/' "$T/a/pksync.conf"
cat >>"$T/a/pksync.conf" <<CONF
[mail]
maintainer = admin@keys.test
this_site = pgp-public-keys@keys.test
peers_file = $T/a/mailsync
help_dir = $PKS_SRCDIR/mail/help
max_mail_size = 65536
CONF
echo "pgp-public-keys@peer.test" >"$T/a/mailsync"
DB=$T/a/data/pksync.db

# One SQL value (python3: sqlite3 is not always installed).
sql() {
	python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$DB" "$1"
}
# Run the filter on a file, as the MTA does; prints the exit code.
filter() {
	local f=$1
	shift
	cat "$f" | SENDER=${SENDER-alice@example.org} pks "$T/a" mail-filter "$@" \
		>"$T/out" 2>>"$T/log"
	echo $?
}

# The database locked by another writer beyond busy_timeout_ms: 75, and
# nothing changes; the retry after the lock is gone works.
python3 - "$DB" "$T/locked" <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(3)
db.execute("ROLLBACK")
PY
LOCKER=$!
for i in $(seq 50); do [ -e "$T/locked" ] && break; sleep 0.1; done
is "database locked: exit 75" "$(filter "$M/add-plain.eml")" 75
wait "$LOCKER"
is "database locked: no key stored" "$(sql 'SELECT count(*) FROM keys')" 0
is "database locked: no reply queued" "$(sql "SELECT count(*) FROM outbox WHERE kind='reply'")" 0

is "ADD (armored body), the MTA's retry: exit 0" "$(filter "$M/add-plain.eml")" 0
is "ADD: the key is stored" "$(sql 'SELECT count(*) FROM keys')" 1
is "ADD: one reply queued to alice" \
	"$(sql "SELECT count(*) FROM outbox WHERE kind='reply' AND recipient='alice@example.org' AND state='queued'")" 1
ok "ADD: the queued reply reports the new key" \
	sh -c "python3 -c 'import sqlite3,sys; b=sqlite3.connect(sys.argv[1]).execute(\"SELECT b.body FROM outbox o JOIN outbox_body b ON b.id = o.id WHERE o.kind=\x27reply\x27\").fetchone()[0]; b=b.decode() if isinstance(b, bytes) else b; sys.exit(0 if \"New keys: 1\" in b and \"Subject: Your command, ADD\" in b else 1)' '$DB'"
is "ADD (base64 attachment): exit 0" "$(filter "$M/add-base64.eml")" 0
is "ADD (multipart attachment): exit 0" "$(filter "$M/add-multipart.eml")" 0
is "three keys stored" "$(sql 'SELECT count(*) FROM keys')" 3

is "GET --dry-run: exit 0" "$(filter "$M/get.eml" --dry-run)" 0
ok "GET --dry-run printed a reply" grep -q '^Subject: Your command, GET 0x381A7594$' "$T/out"
is "dry run queues nothing" "$(sql "SELECT count(*) FROM outbox WHERE kind='reply'")" 3

is "bounce (multipart/report, null sender): exit 0" \
	"$(SENDER= filter "$M/bounce-report.eml" --dry-run)" 0
is "bounce: no reply" "$(wc -c <"$T/out")" 0
is "Auto-Submitted: exit 0" "$(filter "$M/auto-submitted.eml")" 0
is "Precedence: bulk: exit 0" "$(filter "$M/precedence-bulk.eml")" 0
is "null \$SENDER with a command: exit 0" "$(SENDER= filter "$M/help.eml")" 0
is "no reply queued for bounces and robots" "$(sql "SELECT count(*) FROM outbox WHERE kind='reply'")" 3
ok "the log says why" grep -q 'ignored: no reply (Auto-Submitted)' "$T/log"

is "incremental from a stranger: exit 0" "$(filter "$M/incr-stranger.eml")" 0
is "incremental from a peer: exit 0" "$(filter "$M/incr-peer.eml")" 0
is "incrementals are never answered" "$(sql "SELECT count(*) FROM outbox WHERE kind='reply'")" 3
ok "the stranger was logged" grep -q 'stranger.test is not in the sync list' "$T/log"

# Oversize: more than max_mail_size bytes.
{ cat "$M/add-plain.eml"; head -c 70000 /dev/zero | tr '\0' 'x'; } >"$T/big.eml"
is "oversize: exit 65" "$(filter "$T/big.eml")" 65
ok "oversize: logged" grep -q 'larger than max_mail_size' "$T/log"
printf '\n\n\n' >"$T/empty.eml"
is "not a message: exit 65" "$(filter "$T/empty.eml")" 65
# Nothing at all on stdin: 65 and one line saying so, nothing from GLib.
pks "$T/a" mail-filter </dev/null >/dev/null 2>"$T/none.err"
is "an empty mail: exit 65" "$?" 65
ok "an empty mail: the log says so" grep -q 'message refused: empty message' "$T/none.err"
ok "an empty mail: no GLib CRITICAL" sh -c "! grep -q CRITICAL '$T/none.err'"
is "an empty mail: one warning line" "$(grep -vc 'exit 65' "$T/none.err")" 1
cat "$T/none.err" >>"$T/log"

# A database that does not exist: 75 (the MTA keeps the mail).
mv "$DB" "$DB.away"
is "no database: exit 75" "$(filter "$M/help.eml")" 75
mv "$DB.away" "$DB"

ok "no sanitizer reports" pks_sanitizer_scan "$T/log"
tap_done
