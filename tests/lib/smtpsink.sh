# smtpsink.sh: the smtp_sink.py SMTP sink (tests/tools/smtp_sink.py) as
# tests start it: in its own session on a free port of 127.0.0.1, its
# pid, port and log in one folder.  Needs python3-aiosmtpd.
# Source it from bash:  . "$PKS_SRCDIR/tests/lib/smtpsink.sh"
#
#   sink_available          rc 0 when python3-aiosmtpd can be imported
#   need_sink               skip_all (tap.sh) unless it can
#   sink_start DIR [ARGS...]
#                           start the sink with --log DIR/sink.log and
#                           --maildir DIR/mail (the messages it accepts:
#                           DIR/mail/new/<n>.<recipient>) and ARGS
#                           (e.g. --respond 'bad@x=550 no'); waits until
#                           it accepts connections and sets SINK_PORT
#                           (also in DIR/sink.port); rc 1 (and its
#                           output's tail) if it exits first or does
#                           not start within $PKS_START_SECS (proc.sh)
#   sink_stop DIR           TERM it by pid and wait (rc 0 also when it
#                           was not started)

. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

SINK_PY=${PY:-/usr/bin/python3}

sink_available() {
	"$SINK_PY" -c 'import aiosmtpd' 2>/dev/null
}

need_sink() {
	sink_available || skip_all "needs python3-aiosmtpd"
}

sink_start() {
	local dir=$1 end
	shift
	mkdir -p "$dir" || return 1
	rm -f "$dir/sink.port"
	spawn "$dir" "$dir/sink.pid" "$dir/sink.out" "$SINK_PY" \
		"$PKS_SRCDIR/tests/tools/smtp_sink.py" --listen 127.0.0.1:0 \
		--port-file "$dir/sink.port" --log "$dir/sink.log" \
		--maildir "$dir/mail" "$@" || return 1
	end=$((SECONDS + PKS_START_SECS))
	while [ ! -s "$dir/sink.port" ]; do
		if ! pid_alive "$(cat "$dir/sink.pid")" ||
			[ "$SECONDS" -ge "$end" ]; then
			echo "the SMTP sink wrote no port; $dir/sink.out:" >&2
			tail -n 20 "$dir/sink.out" >&2
			return 1
		fi
		sleep 0.1
	done
	SINK_PORT=$(cat "$dir/sink.port")
	wait_up "$dir/sink.pid" "$SINK_PORT" "$dir/sink.out" "the SMTP sink"
}

sink_stop() {
	[ -f "$1/sink.pid" ] || return 0
	stop_pid "$1/sink.pid" 10
}
