#!/usr/bin/python3
# smtp_sink.py: an SMTP server for tests and benchmarks (aiosmtpd; run it
# with /usr/bin/python3, which sees Debian's python3-aiosmtpd).
#
#   smtp_sink.py --listen 127.0.0.1:0 --port-file F [--maildir DIR]
#                [--pipe 'PATTERN=COMMAND'] [--respond 'PATTERN=CODE TEXT']
#                [--log FILE] [--count-file F]
#
# Per recipient (PATTERN is an fnmatch pattern on the address, first
# match wins):
#   --respond  answer RCPT with "CODE TEXT" (e.g. '550 5.1.1 no such user');
#   --pipe     run COMMAND with /bin/sh, message on stdin, SENDER and
#              RECIPIENT set; exit 0 -> 250, 71/75 -> 451, other -> 554;
#   --maildir  store the message (CRLF made LF, Return-Path and
#              Delivered-To first) as DIR/new/<n>.<recipient>.
# Without a --respond match the recipient is accepted.  Port 0 picks a
# free port, written to --port-file once listening.  --count-file holds
# the number of messages accepted so far.  --log lines name the SMTP
# session (the client's port) as "session=PORT".  SIGTERM and SIGINT
# stop it.
import argparse
import fnmatch
import os
import signal
import subprocess
import sys

from aiosmtpd.controller import Controller


def rules(specs):
    out = []
    for spec in specs or []:
        pat, sep, val = spec.partition("=")
        if not sep:
            sys.exit("bad rule (want PATTERN=VALUE): " + spec)
        out.append((pat.lower(), val))
    return out


def match(rulelist, addr):
    for pat, val in rulelist:
        if fnmatch.fnmatchcase(addr.lower(), pat):
            return val
    return None


class Sink:
    def __init__(self, args):
        self.args = args
        self.respond = rules(args.respond)
        self.pipe = rules(args.pipe)
        self.n = 0
        if args.maildir:
            os.makedirs(os.path.join(args.maildir, "new"), exist_ok=True)
            os.makedirs(os.path.join(args.maildir, "tmp"), exist_ok=True)

    def log(self, text):
        if self.args.log:
            with open(self.args.log, "a") as f:
                f.write(text + "\n")

    async def handle_RCPT(self, server, session, envelope, address, options):
        answer = match(self.respond, address)
        if answer is not None:
            self.log("RCPT %s -> %s session=%d" % (address, answer,
                                                   session.peer[1]))
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def store(self, sender, rcpt, data):
        self.n += 1
        body = data.replace(b"\r\n", b"\n")
        # aiosmtpd gives the null reverse-path as "<>" (or "").
        bare = sender[1:-1] if sender.startswith("<") and \
            sender.endswith(">") else sender
        head = b"Return-Path: <%s>\nDelivered-To: %s\n" % (
            bare.encode(), rcpt.encode())
        name = "%06d.%s" % (self.n, rcpt.replace("/", "_"))
        tmp = os.path.join(self.args.maildir, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(head + body)
        os.rename(tmp, os.path.join(self.args.maildir, "new", name))

    def run_pipe(self, cmd, sender, rcpt, data):
        env = dict(os.environ, SENDER=sender, RECIPIENT=rcpt)
        p = subprocess.run(["/bin/sh", "-c", cmd], input=data, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = p.stdout.decode("utf-8", "replace").strip().replace("\n", " ")
        if p.returncode == 0:
            return None
        if p.returncode in (71, 75):
            return "451 4.3.0 delivery command deferred: exit %d %s" % (
                p.returncode, out[:200])
        return "554 5.3.0 delivery command failed: exit %d %s" % (
            p.returncode, out[:200])

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        sender = envelope.mail_from or ""
        for rcpt in envelope.rcpt_tos:
            cmd = match(self.pipe, rcpt)
            if cmd is not None:
                err = self.run_pipe(cmd, sender, rcpt, data)
                if err is not None:
                    self.log("DATA %s -> %s session=%d" % (rcpt, err,
                                                           session.peer[1]))
                    return err
            if self.args.maildir:
                self.store(sender, rcpt, data)
            self.log("DATA from=<%s> to=%s bytes=%d session=%d" % (
                sender, rcpt, len(data), session.peer[1]))
        if self.args.count_file:
            with open(self.args.count_file + ".tmp", "w") as f:
                f.write("%d\n" % self.n)
            os.rename(self.args.count_file + ".tmp", self.args.count_file)
        return "250 2.0.0 OK delivered"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1:0")
    ap.add_argument("--port-file")
    ap.add_argument("--maildir")
    ap.add_argument("--pipe", action="append")
    ap.add_argument("--respond", action="append")
    ap.add_argument("--log")
    ap.add_argument("--count-file")
    args = ap.parse_args()
    host, _, port = args.listen.rpartition(":")
    port = int(port)
    if port == 0:
        import socket
        s = socket.socket()
        s.bind((host, 0))
        port = s.getsockname()[1]
        s.close()
    ctl = Controller(Sink(args), hostname=host, port=port,
                     data_size_limit=64 * 1024 * 1024, decode_data=False)
    ctl.start()
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(args.port_file + ".tmp", args.port_file)
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    while not stop:
        signal.pause()
    ctl.stop()


if __name__ == "__main__":
    main()
