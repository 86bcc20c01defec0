# import_threads.sh: "pksync import" stores the same database whatever
# [import] threads and keys_in_flight are.  One input (Debian's keyring,
# then its first keys again, so stored keys are merged in the same run,
# then a key cut off in the middle) is imported with threads = 1 and
# with several threads and a small ring of keys in flight (so the ring
# wraps many times and workers run ahead of the writer); the dumps (in
# row order), the rows of every key (fingerprint, hash, index facts,
# user IDs, check record), their key IDs, e-mails and listings, the
# prefix tree and the summary line must be the same byte for byte.  A
# key written out of order, lost or verified differently changes them.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"

need_keyring
need_cmd sqlite3

test_dir pkth
chmod 755 "$T"
size=$(wc -c <"$KEYRING")
{
	cat "$KEYRING"
	head -c 400000 "$KEYRING"
} >"$T/ring.pgp"
# the 400,000-byte piece ends inside a key: its last key is cut off
chmod 644 "$T/ring.pgp"

# run NAME THREADS IN-FLIGHT: import into a fresh database
run() {
	pks_setup "$T/$1" || return 1
	printf '[import]\nthreads = %s\nkeys_in_flight = %s\nbatch_keys = 100\nread_size = 65536\n' \
		"$2" "$3" >>"$T/$1/pksync.conf"
	pks "$T/$1" import -q --no-mail "$T/ring.pgp" >"$T/$1.out" 2>"$T/$1.err"
}

# facts NAME: what the database holds, in row order, without times
facts() {
	sqlite3 "$T/$1/data/pksync.db" "
SELECT id, hex(fpr), version, hex(hash), recon, algo, bits, ctime,
  expires, revoked, uids, hex(checks), length(data), hex(data)
  FROM keys ORDER BY id;
SELECT * FROM keyids ORDER BY 1, 2, 3;
SELECT * FROM emails ORDER BY 1, 2;
SELECT id, hex(listing) FROM key_listings ORDER BY id;
SELECT hex(prefix), size, leaf, hex(samples), hex(elems)
  FROM ptree_nodes ORDER BY prefix;
SELECT hex(hash), hex(fpr), reason, count FROM refused ORDER BY 1;
SELECT * FROM counters ORDER BY 1, 2;"
}

# dump NAME: the dump files' bytes
dump() {
	rm -rf "$T/$1.dump"
	mkdir -p "$T/$1.dump" && pks_user_dir "$T/$1.dump"
	pks "$T/$1" dump "$T/$1.dump" >/dev/null 2>&1 && cat "$T/$1.dump"/*.pgp
}

# summary NAME: the summary line without times and rates
summary() {
	sed -e 's/ in [0-9.]* s;/;/' -e 's/ ([0-9]*\/s)//' "$T/$1.out"
}

run one 1 256 || bail "import with one thread"
ok "one thread: the import succeeds" test -s "$T/one.out"
ok "one thread: keys merged in the same run" \
	grep -q ' [1-9][0-9]* unchanged' "$T/one.out"
ok "one thread: the cut key is reported" \
	grep -q 'the rest of the file is skipped' "$T/one.err"
facts one >"$T/one.facts" && dump one >"$T/one.pgp"
ok "one thread: the database holds keys" test "$(wc -l <"$T/one.facts")" -gt 900
ok "one thread: a dump of half the keyring's bytes or more" \
	test "$(wc -c <"$T/one.pgp")" -ge "$((size / 2))"

# The prefix tree built again from the stored keys, in one transaction
# (pksync check --rebuild-ptree), is the tree the import built key by key.
ptree() {
	sqlite3 "$T/$1/data/pksync.db" "SELECT hex(prefix), size, leaf,
  hex(samples), hex(elems) FROM ptree_nodes ORDER BY prefix"
}
ptree one >"$T/one.ptree"
cp -R "$T/one" "$T/re"
sed -i "s|$T/one/|$T/re/|" "$T/re/pksync.conf"
pks_user_dir "$T/re"
ok "check --rebuild-ptree" pks "$T/re" check --rebuild-ptree
ptree re >"$T/re.ptree"
ok "the rebuilt prefix tree is the imported one" \
	cmp "$T/one.ptree" "$T/re.ptree"
ok "... and not empty" test "$(wc -l <"$T/re.ptree")" -gt 1

for cfg in "4 3" "2 256" "3 1"; do
	set -- $cfg
	name=t$1f$2
	run "$name" "$1" "$2"
	is "threads = $1, keys_in_flight = $2: same summary line" \
		"$(summary "$name")" "$(summary one)"
	is "threads = $1, keys_in_flight = $2: same warnings" \
		"$(sed 's/^[^ ]* //' "$T/$name.err")" \
		"$(sed 's/^[^ ]* //' "$T/one.err")"
	facts "$name" >"$T/$name.facts"
	ok "threads = $1, keys_in_flight = $2: same rows, byte for byte" \
		cmp "$T/one.facts" "$T/$name.facts"
	dump "$name" >"$T/$name.pgp"
	ok "threads = $1, keys_in_flight = $2: same dump, byte for byte" \
		cmp "$T/one.pgp" "$T/$name.pgp"
	ok "threads = $1, keys_in_flight = $2: pksync check agrees" \
		pks "$T/$name" check
done
tap_done
