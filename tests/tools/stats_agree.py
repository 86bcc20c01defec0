#!/usr/bin/python3
"""stats_agree.py: the views of one pksync snapshot must agree.

    stats_agree.py HTML MR_JSON CLI_JSON

HTML is the op=stats page, MR_JSON the op=stats&options=mr answer and
CLI_JSON what "pksync stats --json" printed, all taken while nothing
changed.  Checks that the two JSON texts are the same bytes, that the
JSON keeps the fields crawlers read, and that the SKS-layout tables of
the page (their summary attributes and shapes unchanged) hold the same
numbers and names as the JSON.  Prints TAP-style lines for the caller:
"PASS check" or "FAIL check :: why".
"""
import html
import json
import re
import sys

FIELDS = ["software", "version", "hostname", "nodename", "contact",
          "httpPort", "reconPort", "total", "keys", "peers",
          "mailsyncPeers", "mailQueue", "daily", "reconPeers", "mailPeers"]
RECON = ["host", "reconPort", "hkpUrl", "lastRecon", "role", "result",
         "lastGood", "keysIn", "keysOut", "fetched"]
MAIL = ["address", "queued", "failed", "lastDelivered"]
SETTINGS = ["Hostname", "Nodename", "Version", "Server contact",
            "HTTP port", "Recon port", "Software"]
failed = 0


def check(name, cond, why=""):
    global failed
    if cond:
        print("PASS", name)
    else:
        failed += 1
        print("FAIL", "%s :: %s" % (name, why))


def table(page, summary):
    """Rows (lists of cell texts) of the table with this summary."""
    m = re.search(r'<table summary="%s"[^>]*>\n(.*?)</table>'
                  % re.escape(summary), page, re.S)
    if m is None:
        return None
    return [[html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", r)]
            for r in re.findall(r"<tr>(.*?)</tr>", m.group(1), re.S)]


def main():
    page = open(sys.argv[1], encoding="utf-8").read()
    mr = open(sys.argv[2], "rb").read()
    cli = open(sys.argv[3], "rb").read()
    check("op=stats&options=mr and pksync stats --json are the same text",
          mr == cli, "%r\n%r" % (mr[:200], cli[:200]))
    j = json.loads(mr)
    check("the JSON has every field crawlers read",
          all(f in j for f in FIELDS),
          str([f for f in FIELDS if f not in j]))
    check("reconPeers and mailPeers have their fields",
          all(sorted(p) == sorted(RECON) for p in j["reconPeers"]) and
          all(sorted(p) == sorted(MAIL) for p in j["mailPeers"]),
          str(j["reconPeers"]) + str(j["mailPeers"]))
    check("hkpUrl is http://host:reconPort+1",
          all(p["hkpUrl"] == "http://%s:%d" % (p["host"], p["reconPort"] + 1)
              for p in j["reconPeers"]), str(j["reconPeers"]))
    s = table(page, "Keyserver Settings")
    check("Settings: the SKS rows, in order",
          s is not None and [r[0] for r in s] == [n + ":" for n in SETTINGS],
          str(s))
    sv = {r[0][:-1]: r[1] for r in s or []}
    check("Settings agree with the JSON",
          sv.get("Hostname") == j["hostname"] and
          sv.get("Nodename") == j["nodename"] and
          sv.get("Version") == j["version"] and
          sv.get("Server contact") == j["contact"] and
          sv.get("HTTP port") == str(j["httpPort"]) and
          sv.get("Recon port") == str(j["reconPort"]), str(sv))
    g = table(page, "Gossip Peers")
    check("Gossip Peers: one 'host port' cell a row, as the JSON peers",
          g is not None and [r for r in g] == [[p] for p in j["peers"]],
          "%s vs %s" % (g, j["peers"]))
    m = table(page, "Outgoing Mailsync Peers")
    check("Outgoing Mailsync Peers: one address a row, as mailsyncPeers",
          m is not None and m == [[a] for a in j["mailsyncPeers"]],
          "%s vs %s" % (m, j["mailsyncPeers"]))
    t = re.search(r"<h2>Statistics</h2><p>Total number of keys: (\d+)</p>",
                  page)
    check("Total number of keys as the JSON total and keys",
          t is not None and int(t.group(1)) == j["total"] == j["keys"],
          str(t and t.group(1)))
    d = table(page, "Daily Histogram")
    check("Daily Histogram: header, then the JSON's days",
          d is not None and d[0] == ["Time", "New Keys", "Updated Keys"] and
          d[1:] == [[x["day"], str(x["new"]), str(x["updated"])]
                    for x in j["daily"]], "%s vs %s" % (d, j["daily"]))
    q = table(page, "Outgoing Mail Queue")
    want = [[x["peer"], str(x["queued"]), str(x["failed"])]
            for x in j["mailQueue"]]
    check("Outgoing Mail Queue: the JSON's counts per peer",
          q is not None and q[0][:3] == ["Peer", "Queued", "Failed"] and
          [r[:3] for r in q[1:]] == want, "%s vs %s" % (q, want))
    r = table(page, "Recon Peer Status")
    want = [["%s %d" % (p["host"], p["reconPort"]), p["result"],
             str(p["keysIn"]), str(p["fetched"])]
            for p in j["reconPeers"] if p["lastRecon"]]
    got = [[x[0], x[3], x[5], x[7]] for x in (r or [])[1:]]
    check("Recon Peer Status: the JSON's sessions", r is not None and
          got == want, "%s vs %s" % (got, want))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
