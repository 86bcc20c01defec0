#!/usr/bin/python3
"""keysplit.py: split a binary keyring for the recon tests.

  keysplit.py IN OUT MOD REM [REM...]
      write to OUT every key of IN whose index i (0-based, a key starts at
      each public-key packet) has i % MOD not among the REMs; prints the
      number of keys written and left out.

Uses only the Python standard library.
"""
import sys


def key_starts(data):
    """Offsets of the packets with tag 6 (public key)."""
    i, n, starts = 0, len(data), []
    while i < n:
        b = data[i]
        if not b & 0x80:
            raise ValueError("not an OpenPGP packet at offset %d" % i)
        if b & 0x40:
            tag, j = b & 0x3F, i + 1
            c = data[j]
            if c < 192:
                ln, j = c, j + 1
            elif c < 224:
                ln, j = ((c - 192) << 8) + data[j + 1] + 192, j + 2
            elif c == 255:
                ln, j = int.from_bytes(data[j + 1:j + 5], "big"), j + 5
            else:
                raise ValueError("partial length at offset %d" % i)
        else:
            tag, lt, j = (b >> 2) & 0x0F, b & 3, i + 1
            if lt == 3:
                raise ValueError("indeterminate length at offset %d" % i)
            w = 1 << lt
            ln, j = int.from_bytes(data[j:j + w], "big"), j + w
        if tag == 6:
            starts.append(i)
        i = j + ln
    return starts


def main(argv):
    if len(argv) < 5:
        sys.stderr.write(__doc__)
        return 64
    data = open(argv[1], "rb").read()
    mod, rems = int(argv[3]), {int(r) for r in argv[4:]}
    starts = key_starts(data) + [len(data)]
    kept = left = 0
    with open(argv[2], "wb") as out:
        for k in range(len(starts) - 1):
            if k % mod in rems:
                left += 1
                continue
            out.write(data[starts[k]:starts[k + 1]])
            kept += 1
    print("%d %d" % (kept, left))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
