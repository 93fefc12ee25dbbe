#!/usr/bin/env python3
"""Latency probe: one event every 20 ms into a pipe, and the delay until each
result line comes out of the other end. A stream processor that holds output
in a block buffer shows seconds here; DESIGN §7 promises under a millisecond.

    python3 bench/latency.py [--events 500] [--interval-ms 20] [--json OUT]

Runs streamctl (no flag) and, for comparison, whichever peers are installed,
each with the options it needs to emit per line, and prints median, p99 and
max delay in milliseconds.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def probe(cmd, events, interval):
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, bufsize=0)
    sent = {}
    got = {}

    def read():
        buf = b""
        fd = p.stdout.fileno()
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            now = time.perf_counter_ns()
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                try:
                    seq = json.loads(line)["seq"]
                except (ValueError, KeyError, TypeError):
                    continue
                got.setdefault(seq, now)

    t = threading.Thread(target=read, daemon=True)
    t.start()
    fd = p.stdin.fileno()
    start = time.perf_counter()
    for i in range(events):
        due = start + i * interval
        while True:
            left = due - time.perf_counter()
            if left <= 0:
                break
            time.sleep(min(left, 0.002) if left > 0.003 else 0)
        line = json.dumps({"ts": "2026-11-28T00:00:00.000Z", "seq": i, "status": 200,
                           "path": "/api/v1/items", "latency_ms": 12.5}) + "\n"
        sent[i] = time.perf_counter_ns()
        os.write(fd, line.encode())
    # Give the last line time to come out before closing the input (a tool
    # that only writes at exit would otherwise look instant on it).
    time.sleep(max(interval * 5, 0.2))
    p.stdin.close()
    p.wait(timeout=30)
    t.join(timeout=5)
    delays = sorted((got[i] - sent[i]) / 1e6 for i in sent if i in got)
    missing = events - len(delays)
    if not delays:
        return {"median_ms": None, "p99_ms": None, "max_ms": None, "missing": missing}
    p99 = delays[min(len(delays) - 1, int(round(0.99 * (len(delays) - 1))))]
    return {"median_ms": statistics.median(delays), "p99_ms": p99, "max_ms": delays[-1],
            "missing": missing, "events": events}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=500)
    ap.add_argument("--interval-ms", type=float, default=20.0)
    ap.add_argument("--streamctl", default=os.path.join(ROOT, "target", "release", "streamctl"))
    ap.add_argument("--json", default="")
    ap.add_argument("--peers", action=argparse.BooleanOptionalAction, default=True)
    args = ap.parse_args()
    interval = args.interval_ms / 1000
    runs = [("streamctl (no flag)", [args.streamctl, "where status >= 0"])]
    if args.peers:
        if shutil.which("jq"):
            runs.append(("jq -c (no flag)", ["jq", "-c", "select(.status >= 0)"]))
            runs.append(("jq -c --unbuffered", ["jq", "-c", "--unbuffered", "select(.status >= 0)"]))
        if shutil.which("jaq"):
            runs.append(("jaq -c (no flag)", ["jaq", "-c", "select(.status >= 0)"]))
        if shutil.which("mlr"):
            runs.append(("mlr (no flag)", ["mlr", "--ijson", "--ojsonl", "filter", "$status >= 0"]))
            runs.append(("mlr --records-per-batch 1", ["mlr", "--records-per-batch", "1", "--ijson",
                                                      "--ojsonl", "filter", "$status >= 0"]))
        if shutil.which("awk"):
            runs.append(("awk (no flag)", ["awk", "/\"status\":/"]))
    results = {}
    for name, cmd in runs:
        r = probe(cmd, args.events, interval)
        results[name] = r
        if r["median_ms"] is None:
            print(f"{name:28} no line came out before end of input", flush=True)
        else:
            extra = f"  ({r['missing']} lines only at exit)" if r["missing"] else ""
            print(f"{name:28} median {r['median_ms']:8.3f} ms  p99 {r['p99_ms']:8.3f} ms"
                  f"  max {r['max_ms']:8.3f} ms{extra}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"events": args.events, "interval_ms": args.interval_ms,
                       "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
