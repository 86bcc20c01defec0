#!/bin/bash
# mail-bench.sh: the e-mail sync path of pksync, measured on 127.0.0.1.
#
#   sudo bash bench/mail-bench.sh [N]        (default N = 300)
#
# Mails: N PKS incrementals, one key each (the first N keys of Debian's
# keyring, armored), from a sync peer.  Measured:
#   0. Postfix alone: the same N mails through the same Postfix into a
#      pipe to "dd of=/dev/null" (what Postfix, local(8) and a process
#      per mail cost without pksync: the ceiling of 1 on this machine;
#      dd, not cat(1): local(8) reads a command's output only up to a
#      limit, so cat's echo of the mail failed and bounced it);
#   1. Postfix -> pipe -> pksync mail-filter into one instance: all N
#      submitted over one SMTP connection, until the database holds N keys
#      (local(8) runs LOCAL_CONC, default 4, filters at a time);
#   2. the same mails straight into "pksync mail-filter" (no MTA), one
#      process per mail as an MTA runs it; then the cost of one filter
#      process: M (default 100) runs on the smallest of the mails, whose
#      key is then stored already, so nothing changes (time / M, next to
#      setpriv running /bin/true M times, which every run includes);
#   3. onak's mail path on the same mails: "onak -u add" per mail (what
#      onak-mail.pl runs for each message; its Perl wrapper reads only
#      /etc/onak.ini, so it is left out), into a fresh onak database,
#      and its cost per process on the smallest mail as in 2;
#   4. "pksync queue-run" into the smtp_sink.py sink: N keys queued for
#      one peer, one message per key (max_incremental_size = 4096), and
#      again with the default batching (keys share a message up to 1 MiB);
#      then into Postfix: Q (default 2000) messages for one peer, one key
#      a message, beside Postfix's own ceiling on this machine: Postfix's
#      smtp-source sending Q messages of the same mean size, 100 a
#      session, one session and then 4 at once; queue-run likewise
#      with one session (smtp_sessions = 1) and with the default.
# The private Postfix, the same for every measured run (the anchors
# and pksync alike), set so that its own ceiling is as high as this
# machine allows: its queue directory on a tmpfs (PF_TMPFS=0: on disk
# beside the rest; a queue file is fsynced for each message accepted,
# which otherwise bounds every row), in_flow_delay = 0 (smtpd does not
# pause a client while the queue manager is behind), and
# local_destination_concurrency_limit = LOCAL_CONC (default 4: two
# cores; 8 and 16 measured no faster).  pksync's own database stays on
# disk, with its fsyncs.
# Needs root (Postfix), postfix, onak, python3-aiosmtpd, debian-keyring.
# PKSYNC is the binary (default: _build/gcc/pksync, then _build-*/pksync).
# With PKSYNC_BEFORE (an older build, e.g. of the branch point) 1 and 2
# also run it, into an instance of its own, and the cost of one filter
# process is measured for both, side by side, as CPU time (perf stat,
# when perf is installed) and wall time.  The load average is printed
# with the figures.
# Prints one line per figure; results also go to bench/out/mail-DATE.txt.
set -u
N=${1:-300}
M=${M:-100}
Q=${Q:-2000}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib/postfix.sh"
PKS_SRCDIR=$top
. "$top/tests/lib/pksync.sh"
PKSYNC=${PKSYNC:-}
PKSYNC_BEFORE=${PKSYNC_BEFORE:-}
LOCAL_CONC=${LOCAL_CONC:-4}
PF_TMPFS=${PF_TMPFS:-1}
QUEUE_ON=disk
[ "$PF_TMPFS" = 1 ] && QUEUE_ON=tmpfs
if [ -z "$PKSYNC" ]; then
	for p in "$top/_build/gcc/pksync" "$top"/_build-*/pksync; do
		[ -x "$p" ] && { PKSYNC=$p; break; }
	done
fi
[ -x "$PKSYNC" ] || { echo "mail-bench: set PKSYNC" >&2; exit 1; }
pf_available || { echo "mail-bench: needs root and postfix" >&2; exit 1; }
T=$(mktemp -d /tmp/pkmb.XXXXXX)
chmod 755 "$T"
# Postfix runs the filter as nobody, who may not enter the build folder.
pks_public_copy "$T/pub" || exit 1
# Binaries nobody can run wherever they were built.
cp "$PKSYNC" "$T/pksync" && PKSYNC=$T/pksync
if [ -n "$PKSYNC_BEFORE" ]; then
	cp "$PKSYNC_BEFORE" "$T/pksync.before" && PKSYNC_BEFORE=$T/pksync.before
fi
mkdir -p "$top/bench/out"
OUT=$top/bench/out/mail-$(date +%Y%m%d-%H%M%S).txt
cleanup() {
	pf_stop "$T/pf"
	[ "$PF_TMPFS" = 1 ] && umount "$T/pf/spool" 2>/dev/null
	stop_pid "$T/sink.pid" 10
	rm -rf "$T"
}
trap cleanup EXIT
as_ks() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
now() { date +%s.%N; }
report() { echo "$*" | tee -a "$OUT"; }
nkeys() {
	as_ks "$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM keys").fetchone()[0])' "$1"
}

# The mails.
"$PY" - "$N" "$T/mails" <<'PY'
import base64, os, sys
n, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out)
data = open("/usr/share/keyrings/debian-keyring.gpg", "rb").read()
def crc24(b):
    crc = 0xB704CE
    for x in b:
        crc ^= x << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF
def packets(d):
    i = 0
    while i < len(d):
        c = d[i]; start = i
        if c & 0x40:
            tag = c & 0x3f; l = d[i+1]
            if l < 192: hl, ln = 2, l
            elif l < 224: hl, ln = 3, ((l - 192) << 8) + d[i+2] + 192
            else: hl, ln = 6, int.from_bytes(d[i+2:i+6], "big")
        else:
            tag = (c >> 2) & 0xf; lt = c & 3
            hl = 1 + [1, 2, 4][lt]; ln = int.from_bytes(d[i+1:i+hl], "big")
        yield tag, start, i + hl + ln
        i += hl + ln
keys, cur = [], None
for tag, s, e in packets(data):
    if tag == 6:
        if cur: keys.append(cur)
        cur = [s, e]
    elif cur: cur[1] = e
keys.append(cur)
for k, (s, e) in enumerate(keys[:n]):
    b = data[s:e]
    a = base64.b64encode(b).decode()
    body = "\n".join(a[i:i+64] for i in range(0, len(a), 64))
    c = base64.b64encode(crc24(b).to_bytes(3, "big")).decode()
    msg = ("From: admin@peer.test\nTo: pgp-public-keys-a@localhost\n"
           "Subject: incremental\nX-KeyServer-Sent: pgp-public-keys@peer.test\n"
           "Precedence: list\nMIME-Version: 1.0\nContent-type: application/pgp-keys\n\n"
           "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n%s\n=%s\n"
           "-----END PGP PUBLIC KEY BLOCK-----\n" % (body, c))
    open(os.path.join(out, "m%05d.eml" % k), "w").write(msg)
    open(os.path.join(out, "keys.pgp"), "ab").write(b)
PY
chmod -R a+rX "$T/mails"

setup() { # NAME RELAYPORT [extra [mail] lines]
	local i=$1 relay=$2
	mkdir -p "$T/$i/data"
	{
		echo "[server]"; echo "datadir = $T/$i/data"; echo "log_level = warning"
		echo "[mail]"; echo "this_site = pgp-public-keys-$i@localhost"
		echo "maintainer = admin-$i@sink.test"; echo "relay = 127.0.0.1:$relay"
		echo "peers_file = $T/$i/mailsync"; echo "help_dir = $PKS_HELP_DIR"
		shift 2
		for l in "$@"; do echo "$l"; done
	} >"$T/$i/pksync.conf"
	echo "pgp-public-keys@peer.test" >"$T/$i/mailsync"
	chown -R nobody:nogroup "$T/$i"
	# The before build's instances (f, g) are made by that build: a
	# newer schema is one it refuses to open.
	local bin=$PKSYNC
	case $i in f | g) bin=$PKSYNC_BEFORE ;; esac
	as_ks "$bin" -c "$T/$i/pksync.conf" init >/dev/null
}

spawn "$T" "$T/sink.pid" "$T/sink.out" "$PY" "$top/tests/tools/smtp_sink.py" \
	--listen 127.0.0.1:0 --port-file "$T/sink.port" --count-file "$T/sink.count"
for ((i = 0; i < 100; i++)); do [ -s "$T/sink.port" ] && break; sleep 0.1; done
SINK=$(cat "$T/sink.port")
pf_setup "$T/pf" "$SINK"
if [ "$PF_TMPFS" = 1 ]; then
	mount -t tmpfs -o size=512m,mode=755 tmpfs "$T/pf/spool" ||
		{ echo "mail-bench: cannot mount a tmpfs (PF_TMPFS=0?)" >&2; exit 1; }
fi
pf_alias "$T/pf" pgp-public-keys-a "$PKSYNC -c $T/a/pksync.conf mail-filter"
[ -n "$PKSYNC_BEFORE" ] && pf_alias "$T/pf" pgp-public-keys-f \
	"$PKSYNC_BEFORE -c $T/f/pksync.conf mail-filter"
pf_alias "$T/pf" null "/bin/dd of=/dev/null status=none"
postconf -c "$T/pf/etc" "local_destination_concurrency_limit = $LOCAL_CONC" \
	"local_destination_recipient_limit = 1" "in_flow_delay = 0s"
pf_start "$T/pf" || { echo "postfix did not start" >&2; exit 1; }
setup a "$PF_PORT"
setup b "$PF_PORT"
if [ -n "$PKSYNC_BEFORE" ]; then
	setup f "$PF_PORT"
	setup g "$PF_PORT"
fi
load() { cut -d' ' -f1-3 /proc/loadavg; }

report "mail-bench $(date -u +%F) N=$N keys (one per mail), $(nproc) cores, pksync $("$PKSYNC" -V)"

# Submit every mail to RCPT@localhost over one SMTP connection.
submit() {
	"$PY" - "$PF_PORT" "$T/mails" "$1" <<'PY'
import os, smtplib, sys
port, d, rcpt = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with smtplib.SMTP("127.0.0.1", port) as s:
    for f in sorted(os.listdir(d)):
        if f.endswith(".eml"):
            s.sendmail("admin@peer.test", [rcpt + "@localhost"],
                       open(os.path.join(d, f), "rb").read())
PY
}

# 0. Postfix alone: every mail delivered to a pipe into dd(1).
t0=$(now)
submit null
pf_wait_empty "$T/pf" 600
t1=$(now)
report "postfix alone (pipe to dd, queue on $QUEUE_ON): $N mails in" \
	"$(printf %.2f "$(echo "$t1 - $t0" | bc)") s:" \
	"$(printf %.1f "$(echo "$N / ($t1 - $t0)" | bc -l)") mails/s (load $(load))"

# 1. Through Postfix.
through_postfix() { # INSTANCE LABEL
	local t0 t1 t2 got
	t0=$(now)
	submit "pgp-public-keys-$1"
	t1=$(now)
	while [ "$(nkeys "$T/$1/data/pksync.db")" -lt "$N" ]; do
		sleep 0.05
		[ "$(echo "$(now) - $t0 > 600" | bc)" = 1 ] && break
	done
	t2=$(now)
	got=$(nkeys "$T/$1/data/pksync.db")
	report "postfix+mail-filter$2: $got/$N keys in $(printf %.2f "$(echo "$t2 - $t0" | bc)") s" \
		"(submit $(printf %.2f "$(echo "$t1 - $t0" | bc)") s):" \
		"$(printf %.1f "$(echo "$got / ($t2 - $t0)" | bc -l)") mails/s (load $(load))"
}
through_postfix a ""
[ -n "$PKSYNC_BEFORE" ] && through_postfix f " (before)"

# 2. Straight into the filter.
straight() { # BINARY INSTANCE LABEL
	local t0 t1 f
	t0=$(now)
	for f in "$T"/mails/*.eml; do
		as_ks "$1" -c "$T/$2/pksync.conf" mail-filter <"$f" || echo "filter exit $?"
	done
	t1=$(now)
	report "mail-filter$3 (no MTA): $(nkeys "$T/$2/data/pksync.db")/$N keys in" \
		"$(printf %.2f "$(echo "$t1 - $t0" | bc)") s:" \
		"$(printf %.1f "$(echo "$N / ($t1 - $t0)" | bc -l)") mails/s (load $(load))"
}
straight "$PKSYNC" b ""
[ -n "$PKSYNC_BEFORE" ] && straight "$PKSYNC_BEFORE" g " (before)"

# Milliseconds one run of a command takes: M runs, one after another.
per_run() {
	local t0 t1 i
	t0=$(now)
	for ((i = 0; i < M; i++)); do "$@"; done
	t1=$(now)
	printf %.1f "$(echo "($t1 - $t0) * 1000 / $M" | bc -l)"
}
# CPU milliseconds of one run (perf stat over M runs), "-" without perf.
cpu_run() {
	command -v perf >/dev/null || { echo -; return; }
	perf stat -x, -e task-clock -r "$M" -- "$@" 2>&1 >/dev/null |
		awk -F, '/task-clock/ { printf "%.1f", $1 }'
}
SMALL=$(ls -S "$T"/mails/*.eml | tail -n 1)
export SMALL
base=$(per_run as_ks /bin/true)
# Each build on its own instance (b, or g for the before build), whose
# key from SMALL is stored already.
inst_of() { if [ "$1" = "$PKSYNC" ]; then echo b; else echo g; fi; }
filter_once() { as_ks "$1" -c "$T/$(inst_of "$1")/pksync.conf" mail-filter <"$SMALL"; }
filter_sh() { # BINARY: the command perf stat runs
	echo "setpriv --reuid=nobody --regid=nogroup --clear-groups $1 -c $T/$(inst_of "$1")/pksync.conf mail-filter <\"\$SMALL\""
}
cpu_base=$(cpu_run sh -c "setpriv --reuid=nobody --regid=nogroup --clear-groups /bin/true")
for b in "$PKSYNC" $PKSYNC_BEFORE; do
	[ "$b" = "$PKSYNC" ] && label="" || label=" (before)"
	report "mail-filter$label per process ($(wc -c <"$SMALL") byte mail, nothing new," \
		"$M runs): $(per_run filter_once "$b") ms, CPU $(cpu_run sh -c "$(filter_sh "$b")") ms" \
		"(setpriv + /bin/true: $base ms, CPU $cpu_base ms; load $(load))"
done

# 3. onak's merge step of its mail path.
if command -v onak >/dev/null; then
	mkdir -p "$T/onak/db"
	sed -e "s|^logfile=.*|logfile=$T/onak/onak.log|" \
	    -e "s|^location=/var/lib/onak|location=$T/onak/db|" /etc/onak.ini >"$T/onak/onak.ini"
	t0=$(now)
	for f in "$T"/mails/*.eml; do
		onak -c "$T/onak/onak.ini" -u add <"$f" >/dev/null 2>&1
	done
	t1=$(now)
	on=$(grep -c 'Got 1 new keys' "$T/onak/onak.log")
	report "onak -u add (per mail): ${on:-?}/$N keys in" \
		"$(printf %.2f "$(echo "$t1 - $t0" | bc)") s:" \
		"$(printf %.1f "$(echo "$N / ($t1 - $t0)" | bc -l)") mails/s"
	onak_once() { onak -c "$T/onak/onak.ini" -u add <"$SMALL" >/dev/null 2>&1; }
	report "onak -u add per process (same mail, $M runs):" \
		"$(per_run onak_once) ms, CPU $(cpu_run sh -c "onak -c $T/onak/onak.ini -u add <\"\$SMALL\" >/dev/null 2>&1") ms (load $(load))"
fi

# 4. queue-run into the sink, and into Postfix.
setup c "$SINK" "max_incremental_size = 4096"
setup d "$SINK"
for i in c d; do
	as_ks "$PKSYNC" -c "$T/$i/pksync.conf" import -q "$T/mails/keys.pgp" >/dev/null
done
# e (and e1, the same with one SMTP session at a time): Q messages for
# one peer, one key a message: the keyring's keys (nearly all over 4096
# bytes, so each goes alone), then copies of their rows until Q are
# queued (the same keys sent again, as a peer that missed them would
# get them).  Prints the mean message size.
queue_e() { # NAME [extra [mail] lines]
	local i=$1
	shift
	setup "$i" "$PF_PORT" "max_incremental_size = 4096" "$@"
	echo "peer@sink.test" >"$T/$i/mailsync"
	cp /usr/share/keyrings/debian-keyring.gpg "$T/$i/all.pgp"
	chmod 644 "$T/$i/all.pgp"
	as_ks "$PKSYNC" -c "$T/$i/pksync.conf" import -q "$T/$i/all.pgp" >/dev/null
	as_ks "$PY" - "$T/$i/data/pksync.db" "$Q" <<'PY'
import sqlite3, sys
db, q = sqlite3.connect(sys.argv[1]), int(sys.argv[2])
ids = [r[0] for r in db.execute("SELECT id FROM outbox ORDER BY id")]
for i in range(q - len(ids)):
    c = db.execute("INSERT INTO outbox(kind, recipient, sent, created, "
                   "next_try) SELECT kind, recipient, sent, created, next_try "
                   "FROM outbox WHERE id = ?", (ids[i % len(ids)],))
    db.execute("INSERT INTO outbox_body(id, body) SELECT ?, body "
               "FROM outbox_body WHERE id = ?", (c.lastrowid, ids[i % len(ids)]))
db.commit()
# The mean message: armored keys (4/3, 64-column lines) and the headers.
n, total = db.execute("SELECT count(*), sum(length(body)) FROM outbox_body").fetchone()
print(int(total / n * 4 / 3 * 65 / 64 + 330))
PY
}
ESIZE=$(queue_e e)
queue_e e1 "smtp_sessions = 1" >/dev/null
qrun() { # NAME WHAT
	local t0 t1 line msgs
	t0=$(now)
	line=$(as_ks "$PKSYNC" -c "$T/$1/pksync.conf" queue-run 2>/dev/null)
	t1=$(now)
	msgs=$(echo "$line" | sed -n 's/^queue-run: \([0-9]*\) messages: \([0-9]*\) sent.*/\2/p')
	report "queue-run ($2):" \
		"${msgs:-?} messages in $(printf %.2f "$(echo "$t1 - $t0" | bc)") s:" \
		"$(printf %.1f "$(echo "${msgs:-0} / ($t1 - $t0)" | bc -l)") messages/s" \
		"(load $(cut -d' ' -f1-3 /proc/loadavg))"
}
qrun c "into the sink, $N keys, one key a message"
qrun d "into the sink, $N keys, batched up to 1 MiB"
qrun e1 "into Postfix, one key a message, mean $ESIZE bytes, 1 session at a time"
pf_wait_empty "$T/pf" 300
qrun e "into Postfix, one key a message, mean $ESIZE bytes, smtp_sessions default"
pf_wait_empty "$T/pf" 300
# Postfix's own ceiling: smtp-source, Postfix's load generator, sends
# the same number of messages of the mean size into the same Postfix,
# 100 a session (the default messages_per_session), first one session
# at a time, then 4 at once (the default smtp_sessions).
for s in 1 4; do
	t0=$(now)
	for ((k = 0; k < Q; k += 100 * s)); do
		smtp-source -d -s "$s" -m "$((100 * s))" -l "$ESIZE" -r 1 \
			-f admin-e@sink.test -t peer@sink.test -M localhost \
			"127.0.0.1:$PF_PORT"
	done
	t1=$(now)
	report "smtp-source into Postfix ($s session(s) at once, 100 messages" \
		"each, $ESIZE bytes): $Q messages in" \
		"$(printf %.2f "$(echo "$t1 - $t0" | bc)") s:" \
		"$(printf %.1f "$(echo "$Q / ($t1 - $t0)" | bc -l)") messages/s" \
		"(load $(cut -d' ' -f1-3 /proc/loadavg))"
	pf_wait_empty "$T/pf" 300
done
echo "results in $OUT"
