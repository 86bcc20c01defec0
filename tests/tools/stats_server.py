#!/usr/bin/python3
"""stats_server.py: a keyserver stats page for the network crawler's
tests (tests/integration/network.sh), on 127.0.0.1.

  stats_server.py PORTFILE LOGFILE MODE [ARG]

Binds a free port (written to PORTFILE), appends each request's path and
User-Agent to LOGFILE, and answers every GET with:
  plain         a small pksync-style JSON stats page with no peers
  peers N       a JSON stats page listing N recon peers ("127.0.0.1 P")
  huge MB       200 with MB megabytes of body (it logs the bytes sent
                when the client stops reading: "sent N")
  slow          a status line, then one byte a second for ever (it logs
                "gave up after N s" when the client hangs up)
"""
import http.server
import json
import sys
import time

portfile, logfile, mode = sys.argv[1], sys.argv[2], sys.argv[3]
arg = int(sys.argv[4]) if len(sys.argv) > 4 else 0


def log(text):
    with open(logfile, "a") as f:
        f.write(text + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def do_GET(self):
        log("GET %s UA=%s" % (self.path, self.headers.get("User-Agent", "")))
        if mode == "huge":
            self.huge()
            return
        if mode == "slow":
            self.slow()
            return
        page = {"software": "hostile", "version": "6.6.6", "total": 7,
                "peers": []}
        if mode == "peers":
            page["peers"] = ["127.0.0.1 %d" % (20000 + i) for i in range(arg)]
        body = json.dumps(page).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def slow(self):
        start = time.time()
        try:
            self.wfile.write(b"HTTP/1.0 200 OK\r\n")
            self.wfile.flush()
            while time.time() - start < 3600:
                time.sleep(1)
                self.wfile.write(b"X")
                self.wfile.flush()
        except OSError:
            pass
        log("gave up after %d s" % (time.time() - start))

    def huge(self):
        chunk = b"x" * 65536
        total = arg * 1024 * 1024
        sent = 0
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        try:
            self.wfile.write(b"{\"peers\":\"")
            while sent < total:
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass
        log("sent %d" % sent)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
