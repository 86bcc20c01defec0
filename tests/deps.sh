#!/bin/bash
# deps.sh: install every Debian package pksync needs to build, test and
# benchmark (Debian 12, as root).  Safe to run again.
#   bash tests/deps.sh          build + test dependencies
#   bash tests/deps.sh --demo   only what the Quick start needs
set -eu
build="build-essential autoconf automake libtool pkg-config
libsqlite3-dev libmicrohttpd-dev libgcrypt20-dev nettle-dev libgmp-dev
libsodium-dev libgmime-3.0-dev libesmtp-dev debian-keyring curl"
test="gnupg dirmngr clang libclang-rt-14-dev sks python3-aiosmtpd
wrk nginx-light onak time postfix pmccabe clang-format-14 mandoc
debhelper lintian systemd adduser chromium chromium-driver python3-selenium
tidy openssl prometheus haproxy"
want=$build
[ "${1:-}" = "--demo" ] || want="$build $test"

missing=
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: missing packages:$missing (run as root)" >&2
		exit 1
	fi
	echo "deps.sh: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	# Postfix "Local only" on loopback: the tests run private instances
	# (tests/lib/postfix.sh); the system one is not started here.
	debconf-set-selections <<'EOF'
postfix postfix/main_mailer_type select Local only
postfix postfix/mailname string localhost
postfix postfix/destinations string localhost
postfix postfix/mynetworks string 127.0.0.0/8
postfix postfix/protocols select ipv4
EOF
	apt-get update -q >/dev/null
	# policy-rc.d keeps package scripts from starting daemons we start ourselves
	apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 \
		$missing >/dev/null
fi
echo "deps.sh: all packages present"
