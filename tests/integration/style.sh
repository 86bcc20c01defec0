# style.sh: the source rules a reviewer would otherwise check by hand
# (docs c-style.md): banned string functions, a role comment at the top
# of every file, SQL only in src/store, GMime only in mail_parse,
# libesmtp only in mail_send, and dependencies pointing one way.
. "$PKS_SRCDIR/tests/lib/tap.sh"
cd "$PKS_SRCDIR" || exit 1

banned=$(grep -rnE '\b(sprintf|vsprintf|strcpy|strcat|gets|atoi|atol|strtok)[[:space:]]*\(' \
	src tests/unit tests/fuzz --include='*.c' --include='*.h' | grep -v 'snprintf\|vsnprintf')
is "no banned string functions" "$banned" ""

nohead=
for f in $(find src -name '*.c' -o -name '*.h'); do
	head -n 1 "$f" | grep -q '^/\*' || nohead="$nohead $f"
done
is "every source file starts with a comment" "$nohead" ""

only_in() { # header, allowed path pattern
	grep -rln "#include <$1" src | grep -vE "$2" | tr '\n' ' '
}
is "sqlite3.h only in src/store" "$(only_in sqlite3.h '^src/store/')" ""
is "gmime only in src/mail/mail_parse.c" "$(only_in gmime/ '^src/mail/mail_parse\.c$')" ""
is "libesmtp only in src/mail/mail_send.c" "$(only_in libesmtp.h '^src/mail/mail_send\.c$')" ""
is "microhttpd only in src/hkp" "$(only_in microhttpd.h '^src/hkp/')" ""

# Allowed directions: cmd -> {hkp, mail, recon} -> ingest -> store ->
# {pgp, ptree} -> util.  Each module may include only the modules named.
allowed() {
	case $1 in
	util) echo "util" ;;
	pgp) echo "util pgp" ;;
	ptree) echo "util ptree" ;;
	store) echo "util pgp ptree store" ;;
	ingest) echo "util pgp ptree store ingest" ;;
	hkp) echo "util pgp ptree store ingest hkp" ;;
	mail) echo "util pgp ptree store ingest mail" ;;
	recon) echo "util pgp ptree store ingest recon" ;;
	cmd) echo "util pgp ptree store ingest hkp mail recon cmd" ;;
	esac
}
bad=
for dir in src/*/; do
	m=$(basename "$dir")
	ok_mods=$(allowed "$m")
	[ -n "$ok_mods" ] || continue
	for inc in $(grep -ho '#include "[a-z]*/' "$dir"*.[ch] 2>/dev/null | sed 's/#include "//; s/\///' | sort -u); do
		case " $ok_mods " in
		*" $inc "*) ;;
		*) bad="$bad $m->$inc" ;;
		esac
	done
done
is "module dependencies point one way" "$bad" ""
# Function size and complexity (c-style.md 20): no function over 100
# lines; pmccabe complexity over 15 only for reviewed functions.
if command -v pmccabe >/dev/null; then
	long=$(pmccabe src/*/*.c 2>/dev/null | awk '$5 > 100 { print $7 }' | tr '\n' ' ')
	is "no function over 100 lines" "$long" ""
	allow=tests/data/style/complexity-allow.txt
	complex=$(pmccabe src/*/*.c 2>/dev/null | awk '$1 > 15 { print $7 }' |
		grep -vxF -f <(grep -v '^#' "$allow") | tr '\n' ' ')
	is "complexity over 15 only where reviewed" "$complex" ""
else
	echo "ok $((TAP_N += 1)) - function size and complexity # SKIP pmccabe not installed"
fi
# Formatting (c-style.md 26): the sources are what clang-format 14 makes
# of them with .clang-format.
if command -v clang-format-14 >/dev/null; then
	unformatted=
	for f in src/*/*.c src/*/*.h; do
		clang-format-14 --style=file "$f" | cmp -s - "$f" ||
			unformatted="$unformatted $f"
	done
	is "sources are clang-format clean" "$unformatted" ""
else
	echo "ok $((TAP_N += 1)) - formatting # SKIP clang-format-14 not installed"
fi
tap_done
