#!/bin/bash
# demo.sh: the Quick start.  Installs what is missing, builds pksync,
# loads the 905 keys of Debian's keyring into a fresh SQLite database
# under ./demo-data and serves them on http://127.0.0.1:11371 until
# Ctrl-C.  Try, in another terminal:
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
"$bin" -c etc/demo.conf init
"$bin" -c etc/demo.conf import /usr/share/keyrings/debian-keyring.gpg
"$bin" -c etc/demo.conf stats
echo "serving on http://127.0.0.1:11371/ (Ctrl-C stops)"
exec "$bin" -c etc/demo.conf serve
