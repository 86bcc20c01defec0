#!/usr/bin/env python3
"""forge.py: what an attacker posts to a keyserver, and gpg as the judge.

  forge.py ATTACK KEYFILE OUT        write KEYFILE (one binary key) plus
                                     forged packets as a binary keyring:
     revoke     a 0x20 key revocation with random signature bytes whose
                issuer subpackets name the key
     newer      a newer 0x13 on the first user ID: primary flag, key
                expiry of one second
     mallory    a new user ID "Mallory <mallory@evil.example>" with a
                forged 0x13 (primary flag, one-second key expiry)
     uidrev     a 0x30 revocation of the first user ID
     subrev     a 0x28 revocation of the first subkey
  forge.py nocert WORD KEYFILE OUT    drop the self-certifications (0x10..
                                     0x13) of every user ID holding WORD,
                                     keeping its other signatures (a
                                     revoked user ID as Debian's keyring
                                     ships it: only the owner's 0x30)
     junk N     the key followed by N distinct tiny junk signature packets
                (two copies in OUT: 2N packets, as one POST)
     flood N    N third-party certifications (random issuers, well formed
                but unverifiable) on the first user ID
  forge.py armor IN OUT               ASCII-armor a binary keyring
  forge.py mr FILE                    facts from an HKP mr index reply
  forge.py colons FILE                the same facts from gpg --with-colons
  forge.py judge MRDIR COLONS         compare MRDIR/<FPR> mr replies with a
                                      gpg listing of many keys; exit 1 if any
                                      key differs
Facts are printed one per line, sorted, so two outputs can be compared:
  key <flags> <expiry>     flags: r revoked, e expired, - none
  uid <text> <flags>
"""
import base64
import hashlib
import os
import struct
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def packets(data):
    """(tag, body) of every packet of a binary keyring."""
    out, off = [], 0
    while off < len(data):
        b = data[off]
        if b & 0x40:
            tag = b & 0x3F
            l0 = data[off + 1]
            if l0 < 192:
                n, hl = l0, 2
            elif l0 < 224:
                n, hl = ((l0 - 192) << 8) + data[off + 2] + 192, 3
            else:
                n, hl = struct.unpack(">I", data[off + 2:off + 6])[0], 6
        else:
            tag = (b >> 2) & 0xF
            lt = b & 3
            w = [1, 2, 4][lt]
            n = int.from_bytes(data[off + 1:off + 1 + w], "big")
            hl = 1 + w
        out.append((tag, data[off + hl:off + hl + n]))
        off += hl + n
    return out


def frame(tag, body):
    """A new-format packet header with a 5-octet length."""
    return bytes([0xC0 | tag, 0xFF]) + struct.pack(">I", len(body)) + body


def sub(typ, val):
    body = bytes([typ]) + val
    return bytes([len(body)]) + body


def keyid(key_body):
    h = hashlib.sha1(b"\x99" + struct.pack(">H", len(key_body)) + key_body)
    return h.digest()[12:]


def fake_sig(sigtype, ctime, issuer, hashed_extra=b"", algo=22):
    """A well-formed v4 signature whose signature bytes are random."""
    hashed = sub(2, struct.pack(">I", ctime)) + hashed_extra
    unhashed = sub(16, issuer)
    body = bytes([4, sigtype, algo, 8]) + struct.pack(">H", len(hashed))
    body += hashed + struct.pack(">H", len(unhashed)) + unhashed
    body += os.urandom(2)
    if algo == 1:
        body += struct.pack(">H", 2048) + os.urandom(256)
    else:
        body += struct.pack(">H", 256) + os.urandom(32)
        body += struct.pack(">H", 256) + os.urandom(32)
    return body


def load_key(path):
    pk = packets(open(path, "rb").read())
    assert pk[0][0] == 6
    return pk


def write(path, pkts):
    with open(path, "wb") as f:
        for tag, body in pkts:
            f.write(frame(tag, body))


def insert_after(pk, index_pred, new):
    """Insert packets after the block whose head matches index_pred."""
    out, i = [], 0
    while i < len(pk):
        out.append(pk[i])
        if index_pred(i, pk[i]):
            i += 1
            while i < len(pk) and pk[i][0] == 2:
                out.append(pk[i])
                i += 1
            out.extend(new)
            continue
        i += 1
    return out


def first_of(tag):
    seen = []

    def pred(i, p):
        if p[0] == tag and not seen:
            seen.append(i)
            return True
        return False
    return pred


def sig_issuers(body):
    """Issuer key IDs a v4 signature names (subpackets 16 and 33)."""
    out = set()
    if len(body) < 6 or body[0] != 4:
        return out
    at = 4
    for _ in range(2):
        n = struct.unpack(">H", body[at:at + 2])[0]
        area, at = body[at + 2:at + 2 + n], at + 2 + n
        i = 0
        while i < len(area):
            ln = area[i]
            if ln < 192:
                hl = 1
            elif ln < 255:
                ln, hl = ((ln - 192) << 8) + area[i + 1] + 192, 2
            else:
                ln, hl = struct.unpack(">I", area[i + 1:i + 5])[0], 5
            sp = area[i + hl:i + hl + ln]
            if sp and sp[0] & 0x7F == 16:
                out.add(bytes(sp[1:9]))
            elif sp and sp[0] & 0x7F == 33 and len(sp) == 22:
                out.add(bytes(sp[-8:]))
            i += hl + ln
    return out


def nocert(word, keyfile, out):
    """Drop the self-certifications of the user IDs holding word."""
    pk = load_key(keyfile)
    kid = keyid(pk[0][1])
    kept, inside, dropped = [], False, 0
    for tag, body in pk:
        if tag in (13, 14, 17):
            inside = tag == 13 and word.encode() in body
        elif (tag == 2 and inside and 0x10 <= body[1] <= 0x13 and
              kid in sig_issuers(body)):
            dropped += 1
            continue
        kept.append((tag, body))
    if dropped == 0:
        sys.exit("nocert: no self-certification of a user ID with " + word)
    write(out, kept)


def attack(name, keyfile, out, arg=None):
    pk = load_key(keyfile)
    kid = keyid(pk[0][1])
    now = int(time.time())
    one_sec = sub(9, struct.pack(">I", 1))
    prim = sub(25, b"\x01")
    if name == "revoke":
        pk = [pk[0], (2, fake_sig(0x20, now, kid))] + pk[1:]
    elif name == "newer":
        s = fake_sig(0x13, now, kid, one_sec + prim)
        pk = insert_after(pk, first_of(13), [(2, s)])
    elif name == "mallory":
        uid = b"Mallory <mallory@evil.example>"
        s = fake_sig(0x13, now, kid, one_sec + prim)
        pk = insert_after(pk, first_of(13), [(13, uid), (2, s)])
    elif name == "uidrev":
        pk = insert_after(pk, first_of(13), [(2, fake_sig(0x30, now, kid))])
    elif name == "subrev":
        pk = insert_after(pk, first_of(14), [(2, fake_sig(0x28, now, kid))])
    elif name == "junk":
        n = int(arg)
        ring = []
        for copy in range(2):
            junk = [(2, struct.pack(">I", copy * n + i)[1:])
                    for i in range(n)]
            ring += pk + junk
        pk = ring
    elif name == "flood":
        n = int(arg)
        sigs = [(2, fake_sig(0x10, now - i, os.urandom(8)))
                for i in range(n)]
        pk = insert_after(pk, first_of(13), sigs)
    else:
        sys.exit("unknown attack " + name)
    write(out, pk)


def crc24(data):
    crc = 0xB704CE
    for b in data:
        crc ^= b << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def armor(inp, out):
    data = open(inp, "rb").read()
    b64 = base64.b64encode(data).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    crc = base64.b64encode(struct.pack(">I", crc24(data))[1:]).decode()
    with open(out, "w") as f:
        f.write("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n")
        f.write("\n".join(lines) + "\n=" + crc + "\n")
        f.write("-----END PGP PUBLIC KEY BLOCK-----\n")


def flags(revoked, expires, now):
    """gpg shows one validity letter: revoked wins over expired."""
    if revoked:
        return "r"
    return "e" if expires and expires <= now else "-"


def mr_facts(path):
    now = int(time.time())
    out = []
    for line in open(path, encoding="utf-8", errors="replace"):
        f = line.rstrip("\n").split(":")
        if f[0] == "pub":
            exp = int(f[5]) if f[5] else 0
            out.append("key %s %d" % (flags("r" in f[6], exp, now), exp))
        elif f[0] == "uid":
            text = urllib.parse.unquote(f[1], errors="replace")
            exp = int(f[3]) if f[3] else 0
            out.append("uid %s %s" % (text, flags("r" in f[4], exp, now)))
    return out


def colon_unescape(s):
    out, i = bytearray(), 0
    while i < len(s):
        if s[i] == "\\" and i + 3 < len(s) and s[i + 1] == "x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        else:
            out += s[i].encode()
            i += 1
    return out.decode("utf-8", errors="replace")


def colon_facts(path):
    now = int(time.time())
    out = []
    for line in open(path, encoding="utf-8", errors="replace"):
        f = line.rstrip("\n").split(":")
        if f[0] == "pub":
            exp = int(f[6]) if f[6] else 0
            out.append("key %s %d" % (flags(f[1] == "r", exp, now), exp))
        elif f[0] == "uid":
            exp = int(f[6]) if f[6] else 0
            out.append("uid %s %s" % (colon_unescape(f[9]),
                                       flags(f[1] == "r", exp, now)))
    return out


def colon_facts_by_key(path):
    """Facts per primary fingerprint of a --with-colons listing."""
    now = int(time.time())
    keys, cur, want_fpr = {}, None, False
    for line in open(path, encoding="utf-8", errors="replace"):
        f = line.rstrip("\n").split(":")
        if f[0] == "pub":
            exp = int(f[6]) if f[6] else 0
            cur = ["key %s %d" % (flags(f[1] == "r", exp, now), exp)]
            want_fpr = True
        elif f[0] == "fpr" and want_fpr:
            keys[f[9]] = cur
            want_fpr = False
        elif f[0] == "sub":
            want_fpr = False
        elif f[0] == "uid" and cur is not None:
            exp = int(f[6]) if f[6] else 0
            cur.append("uid %s %s" % (colon_unescape(f[9]),
                                       flags(f[1] == "r", exp, now)))
    return keys


def judge_all(mrdir, colons):
    """Compare mrdir/<FPR> (mr index replies) with a gpg listing."""
    keys = colon_facts_by_key(colons)
    bad = 0
    names = sorted(os.listdir(mrdir))
    for fpr in names:
        mine = sorted(mr_facts(os.path.join(mrdir, fpr)))
        theirs = sorted(keys.get(fpr, []))
        if mine != theirs:
            bad += 1
            if bad <= 5:
                print("# %s\n#  pksync: %s\n#  gpg:    %s" % (fpr, mine, theirs))
    print("%d of %d keys differ" % (bad, len(names)))
    return bad


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and a[0] in ("revoke", "newer", "mallory", "uidrev",
                                "subrev"):
        attack(a[0], a[1], a[2])
    elif len(a) == 4 and a[0] in ("junk", "flood"):
        attack(a[0], a[2], a[3], a[1])
    elif len(a) == 4 and a[0] == "nocert":
        nocert(a[1], a[2], a[3])
    elif len(a) == 3 and a[0] == "armor":
        armor(a[1], a[2])
    elif len(a) == 3 and a[0] == "judge":
        sys.exit(1 if judge_all(a[1], a[2]) else 0)
    elif len(a) == 2 and a[0] in ("mr", "colons"):
        facts = mr_facts(a[1]) if a[0] == "mr" else colon_facts(a[1])
        print("\n".join(sorted(facts)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
