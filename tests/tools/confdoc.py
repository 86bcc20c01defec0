#!/usr/bin/python3
"""confdoc.py: compare the configuration keys pksync reads (the item
table in src/util/config.c) with the keys the sample etc/pksync.conf
documents.  Prints one line per disagreement; exit 1 if there is any.

  confdoc.py SRCDIR

A key with a literal default must appear as "key = DEFAULT" in its
section; a key without one (NULL, or a value built at compile time) as
"# key = EXAMPLE".  Every documented key must be one pksync reads."""
import re
import sys

src = sys.argv[1]
code = open(src + "/src/util/config.c").read()
table = code[code.index("items[] = {"):]
table = table[:table.index("};")]
read = {}
for m in re.finditer(r'\{\s*"(\w+)",\s*"(\w+)",\s*CT_\w+,\s*F\(\w+\),\s*'
                     r'(NULL|"[^"]*"|[A-Z_]+\s*"[^"]*")', table):
    sec, key, default = m.groups()
    literal = default.startswith('"')
    read[(sec, key)] = default.strip('"') if literal else None

documented = {}
sec = None
for n, line in enumerate(open(src + "/etc/pksync.conf"), 1):
    m = re.match(r"^\[(\w+)\]", line)
    if m:
        sec = m.group(1)
        continue
    # "key = value", or commented "# key = value" (spaces around '=':
    # prose such as "# op=get ..." is not a key)
    m = re.match(r"^(#\s*)?(\w+)(?(1)\s+=\s+|\s*=\s*)(.*?)\s*$", line)
    if sec and m:
        documented[(sec, m.group(2))] = (m.group(1) is None, m.group(3), n)

bad = []
for (sec, key), default in sorted(read.items()):
    doc = documented.get((sec, key))
    if doc is None:
        bad.append("[%s] %s: read by pksync, not in etc/pksync.conf" % (sec, key))
        continue
    active, value, n = doc
    if default is None and active:
        bad.append("pksync.conf:%d: [%s] %s has no literal default; show it as '# %s = EXAMPLE'"
                   % (n, sec, key, key))
    elif default is not None and not active:
        bad.append("pksync.conf:%d: [%s] %s defaults to '%s'; show it as '%s = %s'"
                   % (n, sec, key, default, key, default))
    elif default is not None and value != default:
        bad.append("pksync.conf:%d: [%s] %s documented as '%s', default is '%s'"
                   % (n, sec, key, value, default))
for (sec, key), (_, _, n) in sorted(documented.items()):
    if (sec, key) not in read:
        bad.append("pksync.conf:%d: [%s] %s is documented but pksync does not read it"
                   % (n, sec, key))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
