#!/bin/bash
# demo.sh: the Quick start.  Installs what is missing, builds pksync,
# loads the 905 keys of Debian's keyring into a fresh SQLite database
# under ./demo-data (as root: /var/tmp/pksync-demo/data) and serves them
# on http://127.0.0.1:11371 until Ctrl-C.  Try, in another terminal:
#   curl 'http://127.0.0.1:11371/pks/lookup?op=index&options=mr&search=villemot'
#   gpg --keyserver hkp://127.0.0.1:11371 --search-keys villemot
set -eu
cd "$(dirname "$0")/.."
bash tests/deps.sh --demo
[ -x configure ] || autoreconf -fi
# Build out of the tree, in _build/demo, so the source folder stays
# unconfigured and tests/run-all.sh can make its own builds next to it;
# a folder already configured in place (README, "Building") is used as is.
if [ -f config.status ]; then
	bin=./pksync
	make -j"$(nproc)" pksync
else
	bin=_build/demo/pksync
	mkdir -p _build/demo
	(cd _build/demo && { [ -f Makefile ] || ../../configure -q; } &&
		make -j"$(nproc)" pksync)
fi
# pksync does not run as root: started as root it becomes [server] user
# (nobody, for the demo), who cannot enter a clone under a 0700 /root,
# so the demo's data then lives in /var/tmp/pksync-demo.
conf=etc/demo.conf
if [ "$(id -u)" = 0 ]; then
	d=/var/tmp/pksync-demo
	install -d -m 755 "$d"
	install -d -m 750 -o nobody -g nogroup "$d/data"
	sed -e "s|^datadir = .*|datadir = $d/data|" \
		-e 's|^\[server\]$|[server]\nuser = nobody|' etc/demo.conf >"$d/pksync.conf"
	conf=$d/pksync.conf
fi
"$bin" -c "$conf" init
"$bin" -c "$conf" import /usr/share/keyrings/debian-keyring.gpg
"$bin" -c "$conf" stats
echo "serving on http://127.0.0.1:11371/ (Ctrl-C stops)"
exec "$bin" -c "$conf" serve
