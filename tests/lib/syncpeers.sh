# syncpeers.sh: a pksync server (A) with peers in every state, for the
# tests of the pages and views that show them (stats.sh, web.sh).
# Source after tap.sh and pksync.sh; needs $T (the test's temp dir).
#
#   sp_setup A B            A: HTTP on a fixed free port (so the
#                           configured port is the served one), recon,
#                           membership B, gossips only once a day; a real
#                           SMTP sink (tests/tools/smtp_sink.py) as its
#                           relay, refusing rejected@peer.test for good;
#                           sync list delivered@peer.test and
#                           rejected@peer.test.  B: recon, membership A,
#                           gossips every second.  Sets SP_RA, SP_RB.
#   sp_mail_states A K1 K2  import K1 (queued for both peers), queue-run
#                           (one delivered, one failed), import K2
#                           (queued for both): every mail state at once.
#   sp_recon_session A B    start B, wait until A has recorded a session
#                           with it (op=stats&options=mr of A, which must
#                           be serving), then stop B, so that A's state
#                           holds still.
#   sp_stop                 stop the sink (call from the test's trap).

sp_setup() {
	local a=$1 b=$2 i
	SP_RA=$(free_port)
	SP_RB=$(free_port)
	pks_setup "$a" "$SP_RA" "$SP_RB" || return 1
	pks_setup "$b" "$SP_RB" "$SP_RA" || return 1
	sed -i "s/^http_listen = .*/http_listen = 127.0.0.1:$(free_port)/" \
		"$a/pksync.conf"
	sed -i 's/^gossip_interval = .*/gossip_interval = 86400/' "$a/pksync.conf"
	echo 'fetch_delay = 0' >>"$a/pksync.conf"
	sed -i 's/^gossip_interval = .*/gossip_interval = 1/' "$b/pksync.conf"
	echo 'fetch_delay = 0' >>"$b/pksync.conf"
	spawn "$T" "$T/sp_sink.pid" "$T/sp_sink.out" "$PY" \
		"$PKS_SRCDIR/tests/tools/smtp_sink.py" --listen 127.0.0.1:0 \
		--port-file "$T/sp_sink.port" --log "$T/sp_sink.log" \
		--maildir "$T/sp_sink/mail" \
		--respond 'rejected@*=550 5.7.1 not wanted here' || return 1
	for ((i = 0; i < 100; i++)); do
		[ -s "$T/sp_sink.port" ] && break
		sleep 0.1
	done
	wait_port "$(cat "$T/sp_sink.port")" 10 || return 1
	cat >>"$a/pksync.conf" <<EOC
[mail]
this_site = pgp-public-keys@pksync.test
maintainer = admin@pksync.test
relay = 127.0.0.1:$(cat "$T/sp_sink.port")
peers_file = $a/mailsync
EOC
	pks "$a" peer add delivered@peer.test >/dev/null &&
		pks "$a" peer add rejected@peer.test >/dev/null
}

sp_mail_states() {
	local a=$1
	pks "$a" import -q "$2" && pks "$a" queue-run >/dev/null 2>&1 &&
		pks "$a" import -q "$3"
}

# A's op=stats JSON names a recon session (a non-zero lastRecon).
sp_has_session() {
	curl -s "http://127.0.0.1:$1/pks/lookup?op=stats&options=mr" |
		grep -q '"lastRecon":[1-9]'
}

sp_recon_session() {
	local a=$1 b=$2 port i
	port=$(pks_port "$a")
	pks_start "$b" || return 1
	for ((i = 0; i < 600; i++)); do
		sp_has_session "$port" && break
		sleep 0.1
	done
	pks_stop "$b" || return 1
	sp_has_session "$port"
}

sp_stop() {
	[ -s "$T/sp_sink.pid" ] && stop_pid "$T/sp_sink.pid" 10
}
