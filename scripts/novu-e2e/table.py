"""table.py UP1.LOG UP2.LOG TOTAL_S [MANUAL.TIMES]: the e2e's timings from
relmig's stamped output (each line prefixed with its epoch seconds).

- Per release: how its checkout was prepared (by the run, or ahead in the
  background while earlier work ran, or kept from an earlier run), its setup's
  own duration as relmig reported it, and how long the run waited for it.
- Per script: the time from its start (after any preparation) to its last
  line (the wrapper's `returned`, a done marker, or its failure), and the
  process's duration as relmig recorded it.
- The upgrade's wall time (both `up` runs, not the operator's recovery in
  between) against the manual procedure measured in the same e2e: its fresh
  setups one after another (MANUAL.TIMES: "TAG START END" lines), plus the
  same scripts' own time."""
import os
import re
import sys

NOTE = re.compile(r"^ {6}(ahead: )?(.*)$")
MARKER = re.compile(r"relmig-novu: \S+ returned|end migration|Migration done|End migration")


def parse(path):
    out = []
    for line in open(path, encoding="utf-8", errors="replace"):
        ts, _, text = line.rstrip("\n").partition(" ")
        try:
            out.append((float(ts), text))
        except ValueError:
            pass
    return out


def go_seconds(d):
    """Seconds of a Go duration string (1m2.5s, 850ms, 12.3s)."""
    total = 0.0
    for num, unit in re.findall(r"([\d.]+)(h|ms|m|s|µs|us|ns)", d):
        total += float(num) * {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}[unit]
    return total


releases = {}  # tag -> dict(how, setup, waited)
order = []
scripts = []   # (release, id, to_last_line, process_seconds, status)
up_wall = 0.0
for path in sys.argv[1:3]:
    lines = parse(path)
    if lines:
        up_wall += lines[-1][0] - lines[0][0]
    cur = None          # [release, id, t0, to_marker]
    last_fg = None      # time of the last foreground preparation line
    waiting = None      # (tag, t) while the run waits for a checkout prepared ahead
    prev = None         # time of the line before this one
    for t, text in lines:
        before, prev = prev, t
        m = re.match(r"^\[\d+/\d+\] (v\S+) (\S+)$", text)
        if m:
            cur = [m.group(1), m.group(2), t, None, False]
            last_fg = t
            continue
        n = NOTE.match(text)
        if n:
            ahead, note = n.group(1) is not None, n.group(2)
            m = re.match(r"^(?:exporting|setup in) (v[^\s:]+)", note)
            if m and m.group(1) not in releases:
                releases[m.group(1)] = {"how": "ahead" if ahead else "by the run", "setup": None, "waited": 0.0}
                order.append(m.group(1))
            m = re.match(r"^setup in (v\S+) done in (\S+)$", note)
            if m and m.group(1) in releases:
                releases[m.group(1)]["setup"] = go_seconds(m.group(2))
            m = re.match(r"^waiting for the checkout of (v\S+), being prepared ahead", note)
            if m:
                waiting = (m.group(1), t)
            if not ahead:
                last_fg = t
            continue
        if text.startswith("  │ setup: "):
            last_fg = t
            continue
        if cur and text.startswith("  │ "):
            if not cur[4]:
                cur[4] = True
                if waiting and waiting[0] in releases:
                    # The wait ended with the line before the script's first.
                    releases[waiting[0]]["waited"] = before - waiting[1]
                    last_fg = max(last_fg, before)
                waiting = None
                if cur[0] not in releases:
                    releases[cur[0]] = {"how": "checkout kept", "setup": None, "waited": 0.0}
                    order.append(cur[0])
                cur[2] = last_fg
            if cur[3] is None and MARKER.search(text):
                cur[3] = t - cur[2]
            continue
        m = re.match(r"^\[\d+/\d+\] (\S+) (\S+) in ([^\s;,]+)", text)
        if m and cur and m.group(2) == cur[1]:
            to_marker = cur[3] if cur[3] is not None else t - cur[2]
            scripts.append((cur[0], cur[1], to_marker, go_seconds(m.group(3)), m.group(1)))
            cur = None

print(f"{'RELEASE':9} {'CHECKOUT PREPARED':18} {'SETUP':>8} {'RUN WAITED':>11}")
for tag in order:
    r = releases[tag]
    setup = "-" if r["setup"] is None else f"{r['setup']:.0f}s"
    print(f"{tag:9} {r['how']:18} {setup:>8} {r['waited']:10.0f}s")
print()
print(f"{'RELEASE':9} {'MIGRATION':88} {'TO LAST LINE':>12} {'PROCESS':>9} STATUS")
for rel, mid, tm, dur, st in scripts:
    print(f"{rel:9} {mid:88} {tm:11.1f}s {dur:8.1f}s {st}")
script_s = sum(s[3] for s in scripts)
print()
print(f"relmig up, both runs (wall):           {up_wall:8.0f} s")
print(f"  of which the scripts' own processes: {script_s:8.0f} s")
manual = []
if len(sys.argv) > 4:
    try:
        for line in open(sys.argv[4]):
            tag, t0, t1 = line.split()
            manual.append((tag, float(t1) - float(t0)))
    except FileNotFoundError:
        pass
if manual:
    setups = sum(s for _, s in manual)
    total = setups + script_s
    what = "install and build"
    try:
        what = open(os.path.join(os.path.dirname(sys.argv[4]), "manual.how")).read().strip()
    except FileNotFoundError:
        pass
    print(f"manual procedure (per release, one after another, a fresh checkout, then {what}):")
    for tag, s in manual:
        print(f"  {tag:9} {s:8.0f} s")
    print(f"  setups {setups:.0f} s + the same scripts {script_s:.0f} s = {total:.0f} s")
    if all(releases[t]["how"] == "checkout kept" for t in order):
        # Nothing was set up: this run does not measure a cold upgrade.
        print(f"relmig (warm: every checkout kept) / manual: {up_wall / total:.2f}x (the bar is for a cold run)")
    else:
        print(f"relmig / manual: {up_wall / total:.2f}x (bar: <= 0.5x)")
print(f"total wall time of the e2e: {sys.argv[3]} s")
