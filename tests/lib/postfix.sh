# postfix.sh: a private Postfix instance on 127.0.0.1 for tests and
# benchmarks (test-rig.md §1.5): its own main.cf, master.cf, aliases,
# queue and log in one folder, started with "postfix -c DIR/etc"; the
# system instance is never touched.  Needs root (Postfix's master
# refuses to run otherwise) and the postfix package.
# Source it from bash:  . "$PKS_SRCDIR/tests/lib/postfix.sh"
#
#   pf_available            rc 0 when we are root and postfix is installed
#   pf_setup DIR [RELAYPORT] write DIR/etc (SMTP on a free port, in PF_PORT
#                           and DIR/port; local domain "localhost"; every
#                           other domain relayed to 127.0.0.1:RELAYPORT,
#                           e.g. the smtp_sink.py sink)
#   pf_alias DIR NAME CMD   deliver NAME@localhost to the pipe "|CMD"; the
#                           command runs as nobody (the alias file is root's)
#   pf_pipe_transport DIR ADDR CONF USER
#                           route ADDR to the pipe(8) transport "pksync" as
#                           shipped in mail/postfix/{master,main}.cf, with
#                           $PKSYNC, the config file CONF, the user USER and
#                           DIR's transport map put in (rc 1 if the shipped
#                           lines no longer hold what is replaced)
#   pf_start DIR            start and wait for the port ($PKS_START_SECS)
#   pf_stop DIR             stop (rc 0 also when it was not running)
#   pf_flush DIR            postqueue -f: retry deferred mail now
#   pf_queue_count DIR      messages in the queue
#   pf_wait_empty DIR SECS  wait until the queue is empty (rc 1: timeout)
#   pf_send PORT FROM TO FILE   submit FILE by SMTP (smtplib)

. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

pf_available() {
	[ "$(id -u)" = 0 ] && [ -x /usr/sbin/postfix ] && [ -f /etc/postfix/master.cf ]
}

pf_setup() {
	local dir=$1 relay=${2:-} e
	mkdir -p "$dir/etc" "$dir/data" "$dir/spool" || return 1
	e=$dir/etc
	PF_PORT=$(free_port)
	echo "$PF_PORT" >"$dir/port"
	{
		echo "compatibility_level = 3.6"
		echo "queue_directory = $dir/spool"
		echo "data_directory = $dir/data"
		echo "maillog_file = $dir/maillog"
		echo "maillog_file_prefixes = $dir"
		echo "myhostname = localhost"
		echo "mydomain = localdomain"
		echo "myorigin = localhost"
		echo "mydestination = localhost"
		echo "inet_interfaces = 127.0.0.1"
		echo "inet_protocols = ipv4"
		echo "mynetworks = 127.0.0.0/8"
		echo "alias_maps = hash:$e/aliases"
		echo "alias_database = hash:$e/aliases"
		echo "biff = no"
		echo "smtp_host_lookup = native"
		echo "smtp_dns_support_level = disabled"
		echo "disable_dns_lookups = yes"
		echo "notify_classes ="
		if [ -n "$relay" ]; then
			echo "relayhost = [127.0.0.1]:$relay"
			echo "default_transport = smtp"
			echo "relay_transport = smtp"
		else
			echo "default_transport = error"
			echo "relay_transport = error"
		fi
	} >"$e/main.cf"
	# The stock services, chroot off, smtpd on our port only.
	sed -e '/^smtp[[:space:]]*inet/d' /etc/postfix/master.cf >"$e/master.cf"
	echo "127.0.0.1:$PF_PORT inet n - n - - smtpd" >>"$e/master.cf"
	postconf -c "$e" -F '*/*/chroot = n' >/dev/null 2>&1
	echo "postmaster: root" >"$e/aliases"
	chown postfix "$dir/data"
	touch -d '-10 seconds' "$e/main.cf" "$e/master.cf"
	postalias -c "$e" "$e/aliases"
}

pf_alias() {
	local dir=$1 name=$2 cmd=$3
	printf '%s: "|%s"\n' "$name" "$cmd" >>"$dir/etc/aliases"
	postalias -c "$dir/etc" "$dir/etc/aliases"
}

pf_pipe_transport() {
	local dir=$1 addr=$2 conf=$3 user=$4 e=$1/etc
	local src=$PKS_SRCDIR/mail/postfix
	grep -q 'user=pksync:pksync' "$src/master.cf" &&
		grep -q 'argv=.*/usr/local/bin/pksync -c /etc/pksync/pksync.conf mail-filter' \
			"$src/master.cf" &&
		grep -q '^transport_maps = hash:/etc/postfix/pksync-transport$' "$src/main.cf" ||
		return 1
	grep -v '^#' "$src/master.cf" | sed -e "s|/usr/local/bin/pksync|$PKSYNC|" \
		-e "s|/etc/pksync/pksync.conf|$conf|" \
		-e "s|user=pksync:pksync|user=$user|" >>"$e/master.cf"
	grep -v '^#' "$src/main.cf" |
		sed -e "s|/etc/postfix/pksync-transport|$e/pksync-transport|" >>"$e/main.cf"
	echo "$addr pksync:" >>"$e/pksync-transport"
	touch -d '-10 seconds' "$e/main.cf" "$e/master.cf"
	postmap -c "$e" "$e/pksync-transport"
}

pf_start() {
	local dir=$1
	postfix -c "$dir/etc" start >>"$dir/start.log" 2>&1 || return 1
	wait_port "$(cat "$dir/port")" "$PKS_START_SECS" && return 0
	echo "postfix did not open its port in ${PKS_START_SECS}s:" >&2
	tail -n 20 "$dir/maillog" >&2 2>/dev/null
	return 1
}

pf_stop() {
	local dir=$1
	postfix -c "$dir/etc" status >/dev/null 2>&1 || return 0
	postfix -c "$dir/etc" stop >>"$dir/start.log" 2>&1
}

pf_flush() {
	postqueue -c "$1/etc" -f
}

pf_queue_count() {
	postqueue -c "$1/etc" -j 2>/dev/null | grep -c queue_id
}

pf_wait_empty() {
	local dir=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		[ "$(pf_queue_count "$dir")" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

pf_send() {
	"$PY" - "$@" <<'PYEOF'
import smtplib, sys
port, sender, rcpt, path = sys.argv[1:5]
with open(path, "rb") as f:
    msg = f.read()
with smtplib.SMTP("127.0.0.1", int(port)) as s:
    s.sendmail(sender, [rcpt], msg)
PYEOF
}
