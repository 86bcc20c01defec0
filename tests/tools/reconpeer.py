#!/usr/bin/python3
"""reconpeer.py: a misbehaving SKS recon peer for the recon tests.

  reconpeer.py filters HOST PORT    offer filters "yminsky.dedup" only; print
                                    the verdict and reason we get back
  reconpeer.py garbage HOST PORT    send bytes that are not recon
  reconpeer.py long HOST PORT       a valid handshake, then a frame header
                                    claiming 2 GiB
  reconpeer.py silent HOST PORT S   connect and say nothing for S seconds
  reconpeer.py flood HOST PORT N    a valid handshake, then N Elements
                                    messages of 16 MB nobody asked for
  reconpeer.py flood-listen HOST PORT N
                                    the same as the side that accepts: wait
                                    for one connection on HOST PORT (a
                                    member the server gossips to)

Exit 0 when the server closed the connection (or, for "filters", when it
answered "failed").  Uses only the Python standard library.
"""
import os
import socket
import struct
import sys


def sstr(b):
    return struct.pack(">I", len(b)) + b


def config(filters):
    pairs = [(b"bitquantum", struct.pack(">I", 2)), (b"filters", filters),
             (b"http port", struct.pack(">I", 1)),
             (b"mbar", struct.pack(">I", 5)), (b"version", b"1.1.6")]
    body = b"\x0a" + struct.pack(">I", len(pairs))
    for k, v in pairs:
        body += sstr(k) + sstr(v)
    return struct.pack(">I", len(body)) + body


def read_exact(s, n):
    out = b""
    while len(out) < n:
        c = s.recv(n - len(out))
        if not c:
            raise EOFError("closed after %d of %d bytes" % (len(out), n))
        out += c
    return out


def read_string(s):
    (n,) = struct.unpack(">I", read_exact(s, 4))
    if n > 1 << 20:
        raise ValueError("string too long")
    return read_exact(s, n)


def closed(s, secs):
    s.settimeout(secs)
    try:
        while s.recv(65536):
            pass
        return True
    except (socket.timeout, ConnectionResetError):
        return False


def elements_frame():
    """An Elements message of about 16 MB (17-byte elements below p)."""
    n = (16 * 1024 * 1024 - 64) // 17
    one = os.urandom(16) + b"\x00"
    body = b"\x02" + struct.pack(">I", n) + one * n
    return struct.pack(">I", len(body)) + body


def flood(s, count):
    """After the verdicts, send count Elements frames; 0 when the
    server ended the session."""
    frame = elements_frame()
    try:
        for _ in range(count):
            s.sendall(frame)
    except OSError:
        return 0
    return 0 if closed(s, 20) else 1


def main(argv):
    mode, host, port = argv[1], argv[2], int(argv[3])
    if mode == "flood-listen":
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((host, port))
        ls.listen(1)
        ls.settimeout(120)
        s, _ = ls.accept()
        s.settimeout(30)
        s.sendall(config(b"yminsky.dedup,yminsky.merge"))
        read_string(s)
        s.sendall(sstr(b"passed"))
        if read_string(s) != b"passed":
            return 1
        return flood(s, int(argv[4]))
    s = socket.create_connection((host, port), timeout=30)
    if mode == "flood":
        s.sendall(config(b"yminsky.dedup,yminsky.merge"))
        read_string(s)
        if read_string(s) != b"passed":
            return 1
        s.sendall(sstr(b"passed"))
        return flood(s, int(argv[4]))
    if mode == "filters":
        s.sendall(config(b"yminsky.dedup"))
        read_string(s)                       # the server's Config frame
        verdict = read_string(s).decode()
        reason = read_string(s).decode() if verdict == "failed" else ""
        print(verdict)
        print(reason)
        return 0 if verdict == "failed" else 1
    if mode == "garbage":
        s.sendall(b"GET / HTTP/1.0\r\n\r\n" + bytes(range(256)) * 4)
        return 0 if closed(s, 20) else 1
    if mode == "long":
        s.sendall(config(b"yminsky.dedup,yminsky.merge"))
        read_string(s)
        if read_string(s) != b"passed":
            return 1
        s.sendall(sstr(b"passed"))
        s.sendall(struct.pack(">I", 0x7FFFFFF0) + b"\x02")
        return 0 if closed(s, 20) else 1
    if mode == "silent":
        return 0 if closed(s, float(argv[4])) else 1
    sys.stderr.write(__doc__)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
