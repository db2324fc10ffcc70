"""table.py UP1.LOG UP2.LOG TOTAL_S: the e2e's timings from relmig's
stamped output: per release, how its checkout was prepared (export, setup
with a cold or warm store, or kept from an earlier run) and how long that
took; per script, the time from its start (after preparation) to its last
line (the wrapper's `returned`, a done marker, or its failure), and the
process's own duration as relmig recorded it."""
import re
import sys

def parse(path):
    out = []
    for line in open(path, encoding="utf-8", errors="replace"):
        ts, _, text = line.rstrip("\n").partition(" ")
        try:
            out.append((float(ts), text))
        except ValueError:
            pass
    return out

rows = []      # (release, how, seconds)
scripts = []   # (release, id, to_marker, duration, status)
for path in sys.argv[1:3]:
    lines = parse(path)
    setup_start = {}
    cur = None  # (release, id, t0)
    last_prep = None
    prepared = set()
    for i, (t, text) in enumerate(lines):
        m = re.match(r"^\[\d+/\d+\] (v\S+) (\S+)$", text)
        if m:
            cur = [m.group(1), m.group(2), t, None]
            last_prep = t
            continue
        m = re.match(r"^\s+exporting (v\S+)$", text)
        if m:
            setup_start.setdefault(m.group(1), t)
            last_prep = t
            continue
        m = re.match(r"^\s+setup in (v\S+): ", text)
        if m:
            setup_start.setdefault(m.group(1), t)
            last_prep = t
            continue
        if text.startswith("  │ setup: ") or re.match(r"^\s{6}(using|fetching|fetched|waiting) ", text):
            last_prep = t
            continue
        if cur and text.startswith("  │ "):
            if cur[1] not in prepared:
                prepared.add(cur[1])
                rel = cur[0]
                if rel in setup_start:
                    rows.append((rel, "exported and set up", last_prep - setup_start.pop(rel)))
                elif not any(r[0] == rel for r in rows):
                    rows.append((rel, "checkout kept", 0.0))
                cur[2] = last_prep
            if re.search(r"relmig-novu: \S+ returned|end migration|Migration done|End migration", text):
                cur[3] = t - cur[2]
            continue
        m = re.match(r"^\[\d+/\d+\] (\S+) (\S+) in ([^\s;]+)", text)
        if m and cur and m.group(2) == cur[1]:
            to_marker = cur[3] if cur[3] is not None else t - cur[2]
            scripts.append((cur[0], cur[1], to_marker, m.group(3), m.group(1)))
            cur = None

print(f"{'RELEASE':9} {'CHECKOUT':24} {'SECONDS':>8}")
for rel, how, s in rows:
    print(f"{rel:9} {how:24} {s:8.0f}")
print()
print(f"{'RELEASE':9} {'MIGRATION':88} {'TO LAST LINE':>12} {'PROCESS':>10} STATUS")
for rel, mid, tm, dur, st in scripts:
    print(f"{rel:9} {mid:88} {tm:11.1f}s {dur:>10} {st}")
print()
print(f"total wall time of the e2e: {sys.argv[3]} s")
