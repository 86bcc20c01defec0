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
PY=${PY:-/usr/bin/python3}

need_keyring
need_cmd sqlite3

test_dir pkth
chmod 755 "$T"
size=$(wc -c <"$KEYRING")
# first_uid FILE: the key of FILE (one) with its first user ID alone
first_uid() {
	PYTHONPATH=$PKS_SRCDIR/tests/tools "$PY" -c '
import sys, pgpkeys
out, uids = bytearray(), 0
for tag, body in next(pgpkeys.keys(open(sys.argv[1], "rb").read())):
    uids += tag in (13, 17)
    if uids > 1 and tag != 14:
        continue
    if tag == 14:
        uids = 0
    out += bytes([0xC0 | tag, 0xFF]) + len(body).to_bytes(4, "big") + body
sys.stdout.buffer.write(out)' "$1"
}

# A key with one user ID first, the same key with two at the end: the
# second copy changes the user IDs of a row inserted earlier in the run
# (in the same transaction when a batch holds the whole input).
TWO=$PKS_SRCDIR/tests/data/pgp/rsa-2uid.pgp
{
	first_uid "$TWO"
	cat "$KEYRING"
	head -c 400000 "$KEYRING"
	cat "$TWO"
} >"$T/ring.pgp"
# the 400,000-byte piece ends inside a key: its last key is cut off
chmod 644 "$T/ring.pgp"

# run NAME THREADS IN-FLIGHT [BATCH]: import into a fresh database
run() {
	pks_setup "$T/$1" || return 1
	printf '[import]\nthreads = %s\nkeys_in_flight = %s\nbatch_keys = %s\nbulk_batch_keys = %s\nread_size = 65536\n' \
		"$2" "$3" "${4:-100}" "${4:-100}" >>"$T/$1/pksync.conf"
	pks "$T/$1" import -q --no-mail "$T/ring.pgp" >"$T/$1.out" 2>"$T/$1.err"
}

# words NAME: every word of the word index (term, row, position), after
# FTS5's own check that the index holds exactly the words of the rows
words() {
	sqlite3 "$T/$1/data/pksync.db" "
INSERT INTO key_words(key_words) VALUES ('integrity-check');
CREATE VIRTUAL TABLE temp.kw USING fts5vocab(main, key_words, instance);
SELECT term, doc, offset FROM temp.kw ORDER BY 1, 2, 3;
SELECT sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name;"
}

# facts NAME: what the database holds, in row order, without times
facts() {
	pks_db_facts "$T/$1/data/pksync.db" "
SELECT hex(hash), hex(fpr), reason, count FROM refused ORDER BY 1;
SELECT * FROM counters ORDER BY 1, 2;"
}

# dump NAME: the dump files' bytes
dump() {
	rm -rf "$T/$1.dump"
	mkdir -p "$T/$1.dump" && pks_user_dir "$T/$1.dump"
	pks "$T/$1" dump "$T/$1.dump" >/dev/null 2>&1 && cat "$T/$1.dump"/*.pgp
}

# log_lines FILE: its lines without the time stamp and the seconds a
# step took, sorted
log_lines() {
	sed -e 's/^[^ ]* //' -e 's/ in [0-9.]* s$//' "$1" | sort
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
words one >"$T/one.words"
ok "one thread: the word index passes FTS5's check" test $? -eq 0
is "one thread: the word index has the second user ID's words" \
	"$(sqlite3 "$T/one/data/pksync.db" "SELECT count(*) FROM key_words
	    WHERE key_words MATCH '\"shachar debian org\"'")" 1
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

# "2 256 1000000": the whole input in one transaction
for cfg in "4 3" "2 256" "3 1" "2 256 1000000"; do
	set -- $cfg
	name=t$1f$2b${3:-}
	run "$name" "$1" "$2" "${3:-}"
	is "threads = $1, keys_in_flight = $2: same summary line" \
		"$(summary "$name")" "$(summary one)"
	# The reader's warnings and the writer's notes come from two
	# threads: the same lines, not always in the same order, and the
	# steps of a bulk load say how long they took.
	is "threads = $1, keys_in_flight = $2: same warnings" \
		"$(log_lines "$T/$name.err")" "$(log_lines "$T/one.err")"
	facts "$name" >"$T/$name.facts"
	ok "threads = $1, keys_in_flight = $2: same rows, byte for byte" \
		cmp "$T/one.facts" "$T/$name.facts"
	words "$name" >"$T/$name.words"
	ok "threads = $1, keys_in_flight = $2: same words, FTS5 check passes" \
		cmp "$T/one.words" "$T/$name.words"
	dump "$name" >"$T/$name.pgp"
	ok "threads = $1, keys_in_flight = $2: same dump, byte for byte" \
		cmp "$T/one.pgp" "$T/$name.pgp"
	ok "threads = $1, keys_in_flight = $2: pksync check agrees" \
		pks "$T/$name" check
done
tap_done
