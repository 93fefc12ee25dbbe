#!/usr/bin/env python3
"""Text-log workloads (issue 15): an nginx combined access log, generated
(deterministic: same seed, same bytes), parsed by `parse nginx`, by the `*`
pattern and by `parse regex`, with mawk splitting on spaces as the peer.
Every answer is checked against counts computed here in plain Python, then
timed: the median wall time of --runs runs (hyperfine is not needed).

    python3 bench/textlogs.py                       # 500 000 lines (~60 MB)
    python3 bench/textlogs.py --lines 100000 --runs 3
    python3 bench/textlogs.py --only N1,N2 --md bench/textlogs.md

Targets (issue 15): N1 and N2 at least 300 MB/s, N3 at least 2x the 66 MB/s
`parse regex` managed before (132 MB/s).
"""

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SEED = 20260301
# 2026-03-01T12:00:00Z in epoch seconds; about 8 lines a second, so 500 000
# lines span some 17 hours (about a thousand one-minute windows).
START_S = 1_772_366_400

PATHS = ["/", "/api/users", "/api/orders", "/api/orders/{}", "/login", "/static/app.{}.js",
         "/search?q={}", "/api/v2/items/{}/reviews", "/health", "/favicon.ico"]
STATUSES = [(200, 780), (201, 40), (204, 20), (301, 10), (304, 40), (400, 15), (401, 10),
            (403, 5), (404, 30), (429, 5), (500, 20), (502, 10), (503, 10), (504, 5)]
METHODS = [("GET", 75), ("POST", 15), ("PUT", 6), ("DELETE", 4)]
UAS = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "curl/8.4.0",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "okhttp/4.12.0",
]
REFERERS = ["-", "-", "-", "-", "-", "https://shop.example/", "https://shop.example/cart"]
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

REGEX = (r'^(?P<ip>\S+) \S+ (?P<user>\S+) \[(?P<ts>[^\]]+)\] "(?P<method>\S+) (?P<path>\S+) '
         r'(?P<proto>[^"]*)" (?P<status>\d{3}) (?P<bytes>\d+|-)')
PATTERN = r'* - * [*] \"* * *\" * * *'
PATTERN_NAMES = "ip, user, ts, method, path, proto, status, bytes, _"

WORKLOADS = {
    "N1": ("parse nginx | count by status every 1m",
           "{S} -i lines 'parse nginx | count by status every 1m' {L}", "minute"),
    "N2": ("parse \"*…\" (pattern) | count by status",
           "{S} -i lines 'parse \"" + PATTERN + "\" as " + PATTERN_NAMES + " | count by status' {L}",
           "status"),
    "N3": ("parse regex \"…\" | count by status",
           "{S} -i lines 'parse regex \"" + REGEX.replace('"', '\\"').replace("{", "{{").replace("}", "}}")
           + "\" | count by status' {L}",
           "status"),
    "N4": ("parse nginx | count by status",
           "{S} -i lines 'parse nginx | count by status' {L}", "status"),
    "A1": ("mawk '{c[$9]++}' (peer: splits on spaces)",
           "mawk '{{ c[$9]++ }} END {{ for (k in c) print k \"\\t\" c[k] }}' {L}", "status"),
    "A2": ("mawk '{print $9}' | sort | uniq -c (peer)",
           "mawk '{{ print $9 }}' {L} | sort | uniq -c", "uniq"),
}
TARGET_MBPS = {"N1": 300, "N2": 300, "N3": 132}


def generate(path, lines):
    rng = random.Random(SEED)
    pick = lambda pairs: rng.choices([v for v, _ in pairs], [w for _, w in pairs])[0]
    minute, status = Counter(), Counter()
    t = START_S
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for _ in range(lines):
            t += rng.choice([0, 0, 0, 0, 0, 0, 0, 1])
            d = datetime.fromtimestamp(t, timezone.utc)
            ts = f"{d.day:02d}/{MONTHS[d.month - 1]}/{d.year}:{d:%H:%M:%S} +0000"
            ip = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            user = "-" if rng.random() < 0.9 else rng.choice(["alice", "bob", "carol"])
            p = rng.choice(PATHS).format(rng.randint(1, 99999))
            st = pick(STATUSES)
            size = "-" if st in (204, 304) else str(rng.randint(0, 60000))
            f.write(f'{ip} - {user} [{ts}] "{pick(METHODS)} {p} HTTP/1.1" {st} {size} '
                    f'"{rng.choice(REFERERS)}" "{rng.choice(UAS)}"\n')
            status[str(st)] += 1
            minute[(d.strftime("%Y-%m-%dT%H:%M"), str(st))] += 1
    return status, minute


def read_answer(kind, out):
    """The counts a tool printed, in the oracle's shape."""
    got = Counter()
    for line in out.splitlines():
        if not line.strip():
            continue
        if kind == "minute":
            o = json.loads(line)
            got[(o["window_start"][:16], str(o["status"]))] += o["count"]
        elif kind == "uniq":
            n, k = line.split()
            got[k] += int(n)
        elif line.startswith("{"):
            o = json.loads(line)
            got[str(o["status"])] += o["count"]
        else:
            k, n = line.split("\t")
            got[k] += int(n)
    return got


def run_once(cmd):
    """(wall seconds, CPU seconds of the command and its children, result)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu, p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=500_000)
    ap.add_argument("--data", default=os.path.join(HERE, "data", "textlogs"))
    ap.add_argument("--streamctl", default=os.path.join(ROOT, "target", "release", "streamctl"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default="")
    ap.add_argument("--md", default="", help="also write the figures as a Markdown table here")
    args = ap.parse_args()

    os.makedirs(args.data, exist_ok=True)
    log = os.path.join(args.data, f"access-{args.lines}.log")
    expect = log + ".expect.json"
    if not (os.path.exists(log) and os.path.exists(expect)):
        print(f"generating {args.lines} lines into {log}", flush=True)
        status, minute = generate(log + ".tmp", args.lines)
        with open(expect, "w") as f:
            json.dump({"status": status, "minute": [[k[0], k[1], n] for k, n in minute.items()]}, f)
        os.replace(log + ".tmp", log)
    with open(expect) as f:
        e = json.load(f)
    status = Counter(e["status"])
    minute = Counter({(a, b): n for a, b, n in e["minute"]})
    size = os.path.getsize(log)
    subs = {"S": args.streamctl, "L": log}
    print(f"input: {args.lines} lines, {size / 1e6:.1f} MB ({log})", flush=True)
    rows = []
    for w, (what, cmd, kind) in WORKLOADS.items():
        if args.only and w not in args.only.split(","):
            continue
        if cmd.startswith("mawk") and not shutil.which("mawk"):
            print(f"{w} skipped: mawk not installed")
            continue
        cmd = cmd.format(**subs)
        _, _, p = run_once(cmd)
        want = minute if kind == "minute" else status
        agrees = p.returncode == 0 and read_answer(kind, p.stdout) == want
        runs = [run_once(cmd)[:2] for _ in range(args.runs)]
        times = sorted(w for w, _ in runs)
        med = statistics.median(times)
        cpu = statistics.median(c for _, c in runs)
        mbps = size / 1e6 / med
        target = TARGET_MBPS.get(w)
        verdict = "" if target is None else (" (target %d: %s)" % (target, "met" if mbps >= target else "MISSED"))
        print(f"{w} {what:48} median {med:6.3f}s  {mbps:7.1f} MB/s  cpu {cpu:.3f}s"
              f"  runs {[round(x, 3) for x in times]}"
              f"{'' if agrees else '  DISAGREES with the oracle'}{verdict}", flush=True)
        if not agrees and p.stderr:
            print("   " + p.stderr.strip().splitlines()[-1])
        rows.append((w, what, med, mbps, cpu, agrees, target))
    if args.md:
        with open(args.md, "w") as f:
            f.write(f"| | workload ({args.lines} lines, {size / 1e6:.1f} MB nginx combined log) "
                    f"| median s | MB/s | CPU s | target MB/s | agrees |\n"
                    f"| --- | --- | ---: | ---: | ---: | ---: | --- |\n")
            for w, what, med, mbps, cpu, agrees, target in rows:
                what = what.replace("|", "\\|")
                f.write(f"| {w} | `{what}` | {med:.3f} | {mbps:.1f} | {cpu:.3f} | {target or ''} | "
                        f"{'yes' if agrees else 'NO'} |\n")
    return 0 if all(r[5] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
