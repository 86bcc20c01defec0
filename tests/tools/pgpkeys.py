#!/usr/bin/python3
"""pgpkeys.py: small OpenPGP keyring tool for the pksync test rig and bench.

  pgpkeys.py count FILE...            number of keys (a key starts at each tag 6)
  pgpkeys.py hash [-c] FILE...        one SKS key hash (32 upper-case hex) per key;
                                      -c first canonicalises like SKS (yminsky.dedup
                                      and .merge); without -c the packets are hashed
                                      as stored (right for SKS dumps, hashquery replies)
  pgpkeys.py first FILE OUT           write the first key of FILE to OUT (binary)
  pgpkeys.py hashquery HOST PORT HASHFILE [BATCH]
                                      POST /pks/hashquery (SKS framing, <= BATCH=100
                                      hashes a request) for every hash in HASHFILE,
                                      hash every returned key; prints
                                      "returned N of M", "missing HASH" lines and
                                      "unexpected HASH" for keys nobody asked for.
                                      Exit 0 only when every hash came back.
  pgpkeys.py index FILE               "FPR HASH" per key (fingerprint of v4 keys)

Uses only the Python standard library (Debian's /usr/bin/python3).
"""
import hashlib
import socket
import struct
import sys


def packets(data):
    """Yield (tag, body) for each packet of a binary keyring."""
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        i += 1
        if not b & 0x80:
            raise ValueError("not an OpenPGP packet at offset %d" % (i - 1))
        if b & 0x40:
            tag = b & 0x3F
            body = bytearray()
            while True:
                c = data[i]
                if c < 192:
                    ln, i = c, i + 1
                elif c < 224:
                    ln, i = ((c - 192) << 8) + data[i + 1] + 192, i + 2
                elif c == 255:
                    ln, i = struct.unpack(">I", data[i + 1:i + 5])[0], i + 5
                else:
                    ln, i = 1 << (c & 0x1F), i + 1
                    body += data[i:i + ln]
                    i += ln
                    continue
                body += data[i:i + ln]
                i += ln
                break
            yield tag, bytes(body)
        else:
            tag = (b >> 2) & 0x0F
            lt = b & 3
            if lt == 3:
                ln = n - i
            else:
                w = (1, 2, 4)[lt]
                ln = int.from_bytes(data[i:i + w], "big")
                i += w
            yield tag, bytes(data[i:i + ln])
            i += ln


def keys(data):
    """Split a keyring into keys (lists of packets); a key starts at tag 6."""
    cur = None
    for tag, body in packets(data):
        if tag == 6:
            if cur:
                yield cur
            cur = [(tag, body)]
        elif cur is not None:
            cur.append((tag, body))
    if cur:
        yield cur


def sks_hash(key):
    """MD5 over the packets sorted by (tag, body), each framed tag32 len32 body."""
    m = hashlib.md5()
    for tag, body in sorted(key):
        m.update(struct.pack(">II", tag, len(body)))
        m.update(body)
    return m.hexdigest().upper()


def fingerprint(key):
    body = key[0][1]
    if body[:1] != b"\x04":
        return "-"
    return hashlib.sha1(b"\x99" + struct.pack(">H", len(body)) + body
                        ).hexdigest().upper()


def parse_blocks(key):
    """pubkey sig* ((uid|uattr) sig*)* (subkey sig*)*  ->  (pub, direct, uids, subs)."""
    pub, direct, uids, subs = key[0], [], [], []
    cur = direct
    for tag, body in key[1:]:
        if tag == 2:
            cur.append((tag, body))
        elif tag in (13, 17):
            if subs:
                raise ValueError("uid after subkey")
            uids.append(((tag, body), []))
            cur = uids[-1][1]
        elif tag == 14:
            subs.append(((tag, body), []))
            cur = subs[-1][1]
        else:
            raise ValueError("unexpected packet tag %d" % tag)
    return pub, direct, uids, subs


def dedup(items):
    out, seen = [], set()
    for x in items:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def merge_blocks(blocks):
    """Group blocks by head packet: repeated heads get a deduplicated union."""
    order, groups = [], {}
    for head, sigs in blocks:
        if head not in groups:
            order.append(head)
            groups[head] = []
        groups[head].append(sigs)
    out = []
    for head in order:
        g = groups[head]
        if len(g) == 1:
            out.append((head, g[0]))
        else:
            out.append((head, dedup(s for sigs in g for s in sigs)))
    return out


def canonical_keys(data):
    """SKS-style canonical keys of a keyring, merged by primary key packet."""
    merged, order = {}, []
    for key in keys(data):
        try:
            pub, direct, uids, subs = parse_blocks(key)
        except ValueError as e:
            print("skipped key %s: %s" % (fingerprint(key), e), file=sys.stderr)
            continue
        if pub in merged:
            m = merged[pub]
            m[0] += direct
            m[1] += uids
            m[2] += subs
            m[3] = True
        else:
            order.append(pub)
            merged[pub] = [direct, uids, subs, False]
    for pub in order:
        direct, uids, subs, _ = merged[pub]
        out = [pub] + sorted(set(direct))
        for head, sigs in merge_blocks(uids) + merge_blocks(subs):
            out.append(head)
            out += sigs
        yield out


def read_all(paths):
    for p in paths:
        with (sys.stdin.buffer if p == "-" else open(p, "rb")) as f:
            yield f.read()


def http_post(host, port, path, body):
    s = socket.create_connection((host, port), timeout=120)
    s.sendall(("POST %s HTTP/1.0\r\ncontent-length: %d\r\n\r\n" % (path, len(body))
               ).encode() + body)
    chunks = []
    while True:
        c = s.recv(65536)
        if not c:
            break
        chunks.append(c)
    s.close()
    resp = b"".join(chunks)
    head, _, rest = resp.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].decode("latin-1")
    return status, rest


def hashquery(host, port, hashes, batch):
    got, unexpected = set(), []
    for i in range(0, len(hashes), batch):
        part = hashes[i:i + batch]
        body = struct.pack(">I", len(part)) + b"".join(
            struct.pack(">I", 16) + bytes.fromhex(h) for h in part)
        status, rest = http_post(host, port, "/pks/hashquery", body)
        if " 200" not in status:
            print("batch %d: %s" % (i // batch, status))
            continue
        cnt = struct.unpack(">I", rest[:4])[0]
        off = 4
        for _ in range(cnt):
            ln = struct.unpack(">I", rest[off:off + 4])[0]
            kb = rest[off + 4:off + 4 + ln]
            off += 4 + ln
            for key in keys(kb):
                h = sks_hash(key)
                if h in part:
                    got.add(h)
                else:
                    unexpected.append(h)
    return got, unexpected


def main(argv):
    if len(argv) < 2:
        print(__doc__ or "see the header of pgpkeys.py", file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "count":
        print(sum(1 for d in read_all(args) for _ in keys(d)))
    elif cmd == "hash":
        canon = args[:1] == ["-c"]
        files = args[1:] if canon else args
        for d in read_all(files):
            for key in (canonical_keys(d) if canon else keys(d)):
                print(sks_hash(key))
    elif cmd == "index":
        for d in read_all(args):
            for key in keys(d):
                print(fingerprint(key), sks_hash(key))
    elif cmd == "first":
        with open(args[0], "rb") as f:
            data = f.read()
        key = next(keys(data))
        with open(args[1], "wb") as f:
            for tag, body in key:
                f.write(bytes([0xC0 | tag, 0xFF]) + struct.pack(">I", len(body)) + body)
    elif cmd == "hashquery":
        host, port, path = args[0], int(args[1]), args[2]
        batch = int(args[3]) if len(args) > 3 else 100
        with open(path) as f:
            want = [w.strip().upper() for w in f if w.strip()]
        want = dedup(want)
        got, unexpected = hashquery(host, port, want, batch)
        print("returned %d of %d" % (len(got), len(want)))
        for h in want:
            if h not in got:
                print("missing " + h)
        for h in unexpected:
            print("unexpected " + h)
        return 0 if len(got) == len(want) and not unexpected else 1
    else:
        print("unknown command " + cmd, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
