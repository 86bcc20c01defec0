# mail_reply.sh: replies to people through the real path.  A private
# Postfix on 127.0.0.1 (tests/lib/postfix.sh) delivers
# pgp-public-keys-r@localhost through the pipe(8) transport exactly as
# shipped in mail/postfix/master.cf and main.cf (transport_maps,
# user=nobody, the shipped flags) into "pksync mail-filter"; user
# commands are sent to it by SMTP; "pksync queue-run" sends the replies
# back through Postfix, which relays them (a non-local domain) to the
# smtp_sink.py sink, where they are checked: recipient (Reply-To over
# From), null envelope sender, "Subject: Your command, ...",
# In-Reply-To, multipart/mixed with an intro part and a text/plain
# listing or an application/pgp-keys part that gpg reads back as the
# key.  A bounce (null sender, multipart/report), an Auto-Submitted mail
# and a Precedence: bulk command get no reply.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"
. "$PKS_SRCDIR/tests/lib/postfix.sh"
. "$PKS_SRCDIR/tests/lib/smtpsink.sh"

pf_available || skip_all "needs root and the postfix package"
pks_check_pksync || skip_all "PKSYNC is not set"
need_sink
need_cmd gpg

test_dir pkmr
chmod 755 "$T"
at_exit '[ -n "${GNUPGHOME:-}" ] && gpgconf --homedir "$GNUPGHOME" --kill all'
at_exit 'sink_stop "$T/sink"'
at_exit 'pf_stop "$T/pf"'
# Postfix runs the filter as nobody, who cannot enter a build under a 0700
# folder (a fresh Debian's /root): run a public copy of the binary.
pks_public_copy "$T/pub" || bail "cannot copy pksync to $T/pub"

as_ks() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
ks() { as_ks "$PKSYNC" -c "$T/r/pksync.conf" "$@"; }
sql() {
	as_ks "$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' \
		"$T/r/data/pksync.db" "$1"
}

sink_start "$T/sink" || bail sink

# The instance; its data only nobody may write.
mkdir -p "$T/r/data"
cat >"$T/r/pksync.conf" <<EOF
[server]
datadir = $T/r/data
http_listen = 127.0.0.1:0
hostname = keys-r.test
[mail]
this_site = pgp-public-keys-r@localhost
maintainer = admin-r@keys-r.test
peers_file = $T/r/mailsync
max_replies_per_hour = 100
help_dir = $PKS_HELP_DIR
EOF
: >"$T/r/mailsync"

pf_setup "$T/pf" "$SINK_PORT" || bail "postfix setup"
echo "relay = 127.0.0.1:$PF_PORT" >>"$T/r/pksync.conf"
chown -R nobody:nogroup "$T/r"
chmod 700 "$T/r/data"
ok "the shipped pipe(8) transport, installed" \
	pf_pipe_transport "$T/pf" pgp-public-keys-r@localhost "$T/r/pksync.conf" nobody:nogroup
ok "postfix check accepts it" postfix -c "$T/pf/etc" check
pf_start "$T/pf" || { cat "$T/pf/start.log"; bail "postfix start"; }
ok "init" ks init

export GNUPGHOME=$T/gpg
mkdir -m 700 "$GNUPGHOME"
for n in 1 2; do
	gpg --batch --no-tty --passphrase '' --pinentry-mode loopback \
		--quick-gen-key "Reply Test $n <reply$n@example.org>" ed25519 sign never 2>/dev/null
	gpg --batch --armor --export "reply$n@example.org" >"$T/k$n.asc"
done
chmod 644 "$T"/k*
FPR1=$(gpg --with-colons --fingerprint reply1@example.org 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
KID1=${FPR1:24}
ok "import key 1" ks import -q --no-mail "$T/k1.asc"

# msg NAME FROM SUBJECT [EXTRA HEADER LINES] [BODY FILE]: write $T/NAME.eml
msg() {
	local name=$1 from=$2 subj=$3 extra=${4:-} body=${5:-}
	{
		echo "From: $from"
		echo "To: pgp-public-keys-r@localhost"
		echo "Subject: $subj"
		echo "Message-Id: <$name.1@people.test>"
		echo "Date: Sun, 29 Nov 2026 10:00:00 +0000"
		[ -n "$extra" ] && printf '%b\n' "$extra"
		echo
		if [ -n "$body" ]; then cat "$body"; else echo "(request)"; fi
	} >"$T/$name.eml"
}
send() { # NAME ENVELOPE-SENDER
	pf_send "$PF_PORT" "$2" pgp-public-keys-r@localhost "$T/$1.eml"
}

msg help 'Hal <help@people.test>' 'HELP'
msg get 'Gil <get@people.test>' "GET 0x$KID1" 'Reply-To: Gil Elsewhere <get-replies@people.test>'
msg index 'Ida <index@people.test>' 'INDEX reply1@example.org'
msg vindex 'Vic <vindex@people.test>' 'VERBOSE INDEX reply1@example.org'
msg last 'Lea <last@people.test>' 'LAST 1'
msg add 'Ada <add@people.test>' 'ADD' '' "$T/k2.asc"
msg mget 'Max <mget@people.test>' 'MGET reply.*'
msg bogus 'Bo <bogus@people.test>' 'FROBNICATE everything'
for m in help get index vindex last add mget bogus; do
	ok "SMTP: $m" send "$m" "${m}@people.test"
done
# No reply to these three.
msg bounce 'Mail Delivery System <MAILER-DAEMON@people.test>' \
	'Undelivered Mail Returned to Sender' \
	'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="b1"'
msg auto 'Robot <auto@people.test>' 'HELP' 'Auto-Submitted: auto-replied'
msg bulk 'Lister <bulk@people.test>' "GET 0x$KID1" 'Precedence: bulk'
ok "SMTP: a bounce (null sender)" send bounce ''
ok "SMTP: an Auto-Submitted mail" send auto auto@people.test
ok "SMTP: a Precedence: bulk command" send bulk bulk@people.test

ok "Postfix delivered everything" pf_wait_empty "$T/pf" 30
ok "... through the pksync pipe(8) service" \
	grep -q 'to=<pgp-public-keys-r@localhost>.*relay=pksync.*status=sent (delivered via pksync service' \
	"$T/pf/maillog"
is "deliveries by the pipe transport" \
	"$(grep -c 'to=<pgp-public-keys-r@localhost>.*relay=pksync.*status=sent' "$T/pf/maillog")" 11
ok "the bounce was seen by its null sender (SENDER=\${sender}, null_sender=)" \
	grep -q 'mail: ignored: null envelope sender (\$SENDER)' "$T/pf/maillog"
is "eight replies queued" "$(sql "SELECT count(*) FROM outbox WHERE kind='reply'")" 8
is "ADD merged the key" "$(sql 'SELECT count(*) FROM keys')" 2
ok "queue-run" ks queue-run
ok "Postfix relayed the replies" pf_wait_empty "$T/pf" 30
is "the outbox is empty" "$(sql 'SELECT count(*) FROM outbox')" 0

# One summary per reply: envelope, headers, the MIME tree; the second
# part's decoded payload goes to FILE.part.
summary() {
	"$PY" - "$1" <<'PYEOF'
import email, email.policy, sys
path = sys.argv[1]
m = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
print("return-path=%s" % m["Return-Path"])
print("to=%s" % m["To"])
print("subject=%s" % m["Subject"])
print("in-reply-to=%s" % m["In-Reply-To"])
print("type=%s" % m.get_content_type())
parts = [p for p in m.iter_parts()] if m.is_multipart() else []
print("parts=%s" % ",".join(p.get_content_type() for p in parts))
if parts:
    print("intro=%s" % parts[0].get_content().splitlines()[0])
if len(parts) > 1:
    with open(path + ".part", "wb") as f:
        f.write(parts[1].get_payload(decode=True))
PYEOF
}
reply_of() { ls "$T/sink/mail/new/"*".$1" 2>/dev/null | head -n 1; }
field() { sed -n "s/^$2=//p" "$1.sum"; }
check_reply() { # RCPT NAME SUBJECT PARTS
	local f
	f=$(reply_of "$1")
	ok "$2: a reply to $1" test -n "$f"
	[ -n "$f" ] || return
	summary "$f" >"$f.sum"
	is "$2: null envelope sender" "$(field "$f" return-path)" "<>"
	is "$2: To" "$(field "$f" to)" "$1"
	is "$2: Subject" "$(field "$f" subject)" "$3"
	is "$2: In-Reply-To" "$(field "$f" in-reply-to)" "<$2.1@people.test>"
	is "$2: multipart/mixed" "$(field "$f" type)" multipart/mixed
	is "$2: parts" "$(field "$f" parts)" "$4"
	is "$2: intro part" "$(field "$f" intro)" "This is the OpenPGP key server at keys-r.test."
}
check_reply help@people.test help "Your command, HELP" text/plain,text/plain
check_reply get-replies@people.test get "Your command, GET 0x$KID1" text/plain,application/pgp-keys
check_reply index@people.test index "Your command, INDEX reply1@example.org" text/plain,text/plain
check_reply vindex@people.test vindex "Your command, VERBOSE INDEX reply1@example.org" \
	text/plain,text/plain
check_reply last@people.test last "Your command, LAST 1" text/plain,application/pgp-keys
check_reply add@people.test add "Your command, ADD" text/plain
check_reply mget@people.test mget "Your command, MGET reply.*, is not supported" text/plain
check_reply bogus@people.test bogus "Your command, FROBNICATE everything, was invalid" \
	text/plain,text/plain
is "GET: no reply to From when Reply-To is set" "$(reply_of get@people.test)" ""

# The key parts decode to the keys; the listings list them.
G2=$T/gpg2
mkdir -m 700 "$G2"
keys_in() { gpg --homedir "$G2" --batch --with-colons --show-keys "$1" 2>/dev/null |
	awk -F: '$1 == "fpr" { print $10; exit }'; }
is "GET: the application/pgp-keys part is key 1" "$(keys_in "$(reply_of get-replies@people.test).part")" "$FPR1"
is "LAST: the application/pgp-keys part holds key 1" "$(keys_in "$(reply_of last@people.test).part")" "$FPR1"
F=$(reply_of index@people.test).part
ok "INDEX: heading" grep -q '^Type bits/keyID            Date       User ID$' "$F"
ok "INDEX: the pub line" grep -q "^pub  255E/$KID1 [0-9-]* Reply Test 1 <reply1@example.org>$" "$F"
F=$(reply_of vindex@people.test).part
ok "VERBOSE INDEX: fingerprint" grep -q '^     Key fingerprint = ' "$F"
ok "VERBOSE INDEX: uid line" grep -q '^uid  Reply Test 1 <reply1@example.org>$' "$F"
ok "VERBOSE INDEX: sig line of the self-signature" \
	grep -Eq "^sig3      $KID1  [0-9]{4}-[0-9]{2}-[0-9]{2}  \[selfsig\]$" "$F"
ok "HELP: the help text" grep -q 'pgp-public-keys' "$(reply_of help@people.test).part"
ok "ADD: the statistics" sh -c "sed -n '/^Content-Type: text\/plain/,\$p' '$(reply_of add@people.test)' |
	grep -q 'New keys: 1'"

# No reply, and no mail at all beyond the eight replies.
is "no reply to the bounce" "$(ls "$T/sink/mail/new/" | grep -ci 'mailer-daemon')" 0
is "no reply to the Auto-Submitted mail" "$(reply_of auto@people.test)" ""
is "no reply to the Precedence: bulk command" "$(reply_of bulk@people.test)" ""
is "the sink got exactly the eight replies" "$(ls "$T/sink/mail/new/" | grep -vc '\.\(sum\|part\)$')" 8
ok "no sanitizer report from the filters" pks_sanitizer_scan "$T/pf/maillog"
tap_done
