# gpg.sh: GnuPG as a real HKP client, in a throw-away home
# (docs/test-rig.md §5).  Source it from bash.
#
#   gpg_setup PORT       new home in GPGT_HOME (short path: the agent's
#                        sockets live there), dirmngr pointed at
#                        hkp://127.0.0.1:PORT; exports GPGT_HOME
#   gpgt ARGS...         gpg --homedir $GPGT_HOME --batch --no-tty ARGS...
#   gpg_restart_dirmngr  forget dirmngr's dead-host marks between steps
#   gpg_cleanup          kill dirmngr and gpg-agent of the home, remove it
#
# Why: 127.0.0.1 (not localhost) and standard-resolver keep dirmngr off
# DNS; no-use-tor stops the Tor probes; a server that was down once is
# marked dead by dirmngr, so restart dirmngr after restarting a server.

gpg_setup() {
	local port=$1
	GPGT_HOME=$(mktemp -d /tmp/gpgt.XXXXXX) || return 1
	chmod 700 "$GPGT_HOME"
	cat >"$GPGT_HOME/dirmngr.conf" <<EOC
keyserver hkp://127.0.0.1:$port
no-use-tor
standard-resolver
resolver-timeout 2
connect-timeout 10
connect-quick-timeout 5
EOC
	export GPGT_HOME
}

gpgt() {
	gpg --homedir "$GPGT_HOME" --batch --no-tty "$@"
}

gpg_restart_dirmngr() {
	gpgconf --homedir "$GPGT_HOME" --kill dirmngr
}

gpg_cleanup() {
	[ -n "${GPGT_HOME:-}" ] && [ -d "$GPGT_HOME" ] || return 0
	gpgconf --homedir "$GPGT_HOME" --kill all
	rm -rf "$GPGT_HOME"
	GPGT_HOME=
}
