#!/usr/bin/python3
"""reconproxy.py: a logging TCP proxy between two SKS recon peers.

  reconproxy.py LISTEN_PORT TARGET_PORT LOGFILE [PORTFILE]

Listens on 127.0.0.1:LISTEN_PORT (0: any free port, written to PORTFILE)
and forwards every connection to 127.0.0.1:TARGET_PORT, byte for byte
(the Config message, with the real "http port", passes unchanged), with
TCP_NODELAY on both sides so it adds no delay of its own.  For
each connection it appends one JSON line to LOGFILE when the connection
ends:

  {"start": T0, "done": T1, "end": T2,
   "c2s": {"frames": N, "bytes": B, "types": {...}},
   "s2c": {...}}

c2s is what the connecting side (the initiator) sent, s2c what the
accepting side (the responder) sent.  A frame is a 4-byte big-endian
length and that many bytes; the bare "passed"/"failed" verdict strings
have the same shape, so they count as frames too (type "verdict").
"done" is the time the responder's Done message (type 5) passed, or
null.  Times are time.time() floats.  Only 127.0.0.1 is used; the proxy
runs until killed.  Uses only the Python standard library.
"""
import json
import selectors
import socket
import sys
import time

TYPES = {0: "ReconRqst_Poly", 1: "ReconRqst_Full", 2: "Elements",
         3: "FullElements", 4: "SyncFail", 5: "Done", 6: "Flush",
         7: "Error", 10: "Config"}


class Counter:
    """Frames and bytes one way; splits the stream into frames."""

    def __init__(self):
        self.buf = b""
        self.frames = 0
        self.bytes = 0
        self.types = {}
        self.saw_done = False
        self.strings = 0          # bare verdict strings still expected

    def feed(self, data):
        self.bytes += len(data)
        self.buf += data
        while len(self.buf) >= 4:
            n = int.from_bytes(self.buf[:4], "big")
            if len(self.buf) < 4 + n:
                break
            body = self.buf[4:4 + n]
            self.buf = self.buf[4 + n:]
            self.frames += 1
            if self.strings > 0:
                name = "verdict"
                self.strings -= 1
                if body == b"failed":
                    self.strings += 1     # the reason follows
            else:
                t = body[0] if body else -1
                name = TYPES.get(t, "type%d" % t)
                if t == 10:
                    self.strings = 1
                if t == 5:
                    self.saw_done = True
            self.types[name] = self.types.get(name, 0) + 1

    def as_dict(self):
        return {"frames": self.frames, "bytes": self.bytes,
                "types": self.types}


class Conn:
    def __init__(self, client, log):
        self.client = client
        self.server = socket.create_connection(("127.0.0.1", TARGET), 30)
        # forward at once: Nagle here would add delayed-ACK stalls (~40
        # ms) that neither peer causes
        for s in (client, self.server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.log = log
        self.start = time.time()
        self.done = None
        self.c2s = Counter()
        self.s2c = Counter()
        self.open = 2

    def pump(self, src, dst, counter, sel):
        try:
            data = src.recv(65536)
        except OSError:
            data = b""
        if not data:
            sel.unregister(src)
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            self.open -= 1
            if self.open == 0:
                self.finish()
            return
        counter.feed(data)
        if counter is self.s2c and self.s2c.saw_done and self.done is None:
            self.done = time.time()
        dst.sendall(data)

    def finish(self):
        rec = {"start": self.start, "done": self.done, "end": time.time(),
               "c2s": self.c2s.as_dict(), "s2c": self.s2c.as_dict()}
        with open(self.log, "a") as f:
            f.write(json.dumps(rec) + "\n")
        self.client.close()
        self.server.close()


def main(argv):
    global TARGET
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 64
    port, TARGET, log = int(argv[1]), int(argv[2]), argv[3]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    if len(argv) > 4:
        with open(argv[4], "w") as f:
            f.write("%d\n" % ls.getsockname()[1])
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, None)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                c, _ = ls.accept()
                try:
                    conn = Conn(c, log)
                except OSError:
                    c.close()
                    continue
                sel.register(c, selectors.EVENT_READ,
                             (conn, c, conn.server, conn.c2s))
                sel.register(conn.server, selectors.EVENT_READ,
                             (conn, conn.server, c, conn.s2c))
            else:
                conn, src, dst, counter = key.data
                conn.pump(src, dst, counter, sel)


TARGET = 0

if __name__ == "__main__":
    sys.exit(main(sys.argv))
