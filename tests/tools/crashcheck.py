#!/usr/bin/python3
"""crashcheck.py: helpers of tests/integration/crash.sh (kill -9 tests).

  crashcheck.py split KEYRING DIR N SIZE   the first N*SIZE keys of KEYRING
                                           as N chunks DIR/cNN.pgp (binary,
                                           new-format packet headers)
                                           and one armored file per key
                                           DIR/kNNNN.asc; prints the chunk
                                           count
  crashcheck.py fprs FILE                  fingerprint per key of a keyring
  crashcheck.py keys DB                    fingerprint per stored key
  crashcheck.py outbox DB                  "RECIPIENT FPR" per key of every
                                           queued or failed incremental
  crashcheck.py sent MAILDIR               "RECIPIENT FPR" per key of every
                                           message the sink took
  crashcheck.py unlease DB                 end every queue-run lease (the
                                           time a killed run's lease lasts)

Fingerprints are upper-case hex (v4 keys).  Standard library only.
"""
import base64
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgpkeys  # noqa: E402


def frame(key):
    """The packets of a key with new-format headers (any tag fits)."""
    out = bytearray()
    for tag, body in key:
        n = len(body)
        out.append(0xC0 | tag)
        if n < 192:
            out.append(n)
        elif n < 8384:
            out += bytes([((n - 192) >> 8) + 192, (n - 192) & 0xFF])
        else:
            out += b"\xff" + n.to_bytes(4, "big")
        out += body
    return bytes(out)


def crc24(data):
    crc = 0xB704CE
    for b in data:
        crc ^= b << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def armor(data):
    b64 = base64.b64encode(data).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    crc = base64.b64encode(crc24(data).to_bytes(3, "big")).decode()
    return ("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n" + "\n".join(lines) +
            "\n=" + crc + "\n-----END PGP PUBLIC KEY BLOCK-----\n")


def unarmor_all(text):
    """Every armored block in text, decoded."""
    out, inside, lines = [], False, []
    for line in text.splitlines():
        if line.startswith("-----BEGIN PGP PUBLIC KEY BLOCK"):
            inside, lines = True, []
        elif line.startswith("-----END PGP PUBLIC KEY BLOCK") and inside:
            inside = False
            # Drop armor headers and the "=XXXX" CRC line (a line of
            # base64 padding alone, "==", is part of the body).
            body = [x for x in lines if x and ":" not in x
                    and not (len(x) == 5 and x[0] == "=")]
            out.append(base64.b64decode("".join(body)))
        elif inside:
            lines.append(line.strip())
    return out


def fprs_of(data):
    return [pgpkeys.fingerprint(k) for k in pgpkeys.keys(data)]


def cmd_split(ring, outdir, n, size):
    with open(ring, "rb") as f:
        all_keys = list(pgpkeys.keys(f.read()))
    all_keys = [k for k in all_keys if pgpkeys.fingerprint(k) != "-"]
    n = min(n, len(all_keys) // size)
    os.makedirs(outdir, exist_ok=True)
    for c in range(n):
        chunk = all_keys[c * size:(c + 1) * size]
        with open(os.path.join(outdir, "c%02d.pgp" % c), "wb") as f:
            f.write(b"".join(frame(k) for k in chunk))
        for j, k in enumerate(chunk):
            name = os.path.join(outdir, "k%04d.asc" % (c * size + j))
            with open(name, "w") as f:
                f.write(armor(frame(k)))
    print(n)


def main(argv):
    cmd = argv[1]
    if cmd == "split":
        cmd_split(argv[2], argv[3], int(argv[4]), int(argv[5]))
    elif cmd == "fprs":
        with open(argv[2], "rb") as f:
            data = f.read()
        if data.lstrip().startswith(b"-----BEGIN"):
            data = b"".join(unarmor_all(data.decode()))
        print("\n".join(fprs_of(data)))
    elif cmd == "keys":
        db = sqlite3.connect(argv[2])
        for (fpr,) in db.execute("SELECT hex(fpr) FROM keys"):
            print(fpr.upper())
    elif cmd == "outbox":
        db = sqlite3.connect(argv[2])
        q = ("SELECT o.recipient, b.body FROM outbox o JOIN outbox_body b "
             "ON b.id = o.id WHERE o.kind = 'incremental'")
        for rcpt, body in db.execute(q):
            for fpr in fprs_of(bytes(body)):
                print(rcpt.lower(), fpr)
    elif cmd == "sent":
        new = os.path.join(argv[2], "new")
        for name in sorted(os.listdir(new)) if os.path.isdir(new) else []:
            rcpt = name.split(".", 1)[1].lower()
            with open(os.path.join(new, name), errors="replace") as f:
                for block in unarmor_all(f.read()):
                    for fpr in fprs_of(block):
                        print(rcpt, fpr)
    elif cmd == "unlease":
        db = sqlite3.connect(argv[2])
        db.execute("UPDATE outbox SET lease_until = 0, lease_owner = NULL "
                   "WHERE state = 'queued'")
        db.commit()
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
