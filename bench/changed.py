#!/usr/bin/env python3
"""The changed-event and lookup rows of the benchmark (issue 20), written as
a Markdown section that bench/report.py puts into bench/RESULTS.md.

    python3 bench/changed.py --data bench/data/1000000 [--before OLD_BINARY] [--runs 3]

- Changed events: CPU time (user+sys, median of --runs) of `where status > 0`
  against `eval y = 1`, `drop ua`, `rename ua as agent`, `running avg(latency_ms)`
  and `join users.csv on user_id | count by country` on the benchmark's NDJSON.
- Lookups of 10k, 1M and 5M rows (bench/lookup_gen.py): load time (the
  pipeline on empty input), peak RSS, the table's memory (--stats), and
  events/s of `join users_N.csv on user_id | count by country` over 1M events
  whose keys are spread over the whole table (CPU time of the run minus the
  load's).
- Reload gap: events go through a pipe at a steady rate into
  `left join users_1M.csv on user_id` with --line-buffered; the file is
  replaced during the run; reported: the longest gap between two output
  lines, and when the new table was seen.

With --before, every figure is also taken with the old binary, side by side.
Figures are CPU time where possible: the machine's cores are shared.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def timed(binary, args, cwd, stdin=None):
    """(cpu seconds, wall seconds, peak RSS MB, stderr) of one run."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        t0 = time.time()
        p = subprocess.run(
            ["/usr/bin/time", "-f", "%U %S %M", "-o", tf.name, binary] + args,
            cwd=cwd, stdin=stdin or subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True,
        )
        wall = time.time() - t0
        if p.returncode != 0:
            sys.exit(f"{binary} {args} failed: {p.stderr}")
        u, s, m = tf.read().split()[-3:]
        return float(u) + float(s), wall, int(m) / 1024, p.stderr


def median_run(binary, args, cwd, runs):
    rs = [timed(binary, args, cwd) for _ in range(runs)]
    cpu = statistics.median(r[0] for r in rs)
    wall = statistics.median(r[1] for r in rs)
    rss = statistics.median(r[2] for r in rs)
    return {"cpu": cpu, "wall": wall, "rss": rss, "all_cpu": [r[0] for r in rs], "stderr": rs[-1][3]}


CHANGED = [
    ("where status > 0", "filter, nothing changed (the floor)"),
    ("eval y = 1", "one added constant field"),
    ("eval latency_ms = latency_ms * 2", "one member replaced"),
    ("drop ua", "one member dropped"),
    ("rename ua as agent", "one member renamed"),
    ("eval req.n = 1", "a nested field added"),
    ("running avg(latency_ms)", "W5"),
    ("join users.csv on user_id | count by country", "W6"),
]


def changed_rows(bins, data, runs):
    ndjson = os.path.join(data, "events.ndjson")
    size = os.path.getsize(ndjson)
    rows = []
    for pipeline, what in CHANGED:
        r = {"pipeline": pipeline, "what": what}
        for name, b in bins.items():
            r[name] = median_run(b, [pipeline, ndjson], data, runs)
        rows.append(r)
    return rows, size


def lookup_rows(bins, lk, runs):
    rows = []
    for n in ["10k", "1M", "5M"]:
        users = f"users_{n}.csv"
        events = f"events_{n}.ndjson"
        r = {"n": n, "file_mb": os.path.getsize(os.path.join(lk, users)) / 1e6}
        for name, b in bins.items():
            load = median_run(b, ["--stats", f"join {users} on user_id", "/dev/null"], lk, runs)
            table = [l for l in load["stderr"].splitlines() if "lookup " in l]
            full = median_run(b, [f"join {users} on user_id | count by country", events], lk, runs)
            nev = sum(1 for _ in open(os.path.join(lk, events)))
            per_event = max(full["cpu"] - load["cpu"], 1e-9)
            r[name] = {
                "load_cpu": load["cpu"], "load_wall": load["wall"], "rss": load["rss"],
                "table": table[0].split(": ", 2)[-1] if table else "",
                "run_cpu": full["cpu"], "run_rss": full["rss"],
                "events_per_s": nev / per_event,
            }
        rows.append(r)
    return rows


def reload_gap(binary, lk, replace=True, after=4.0, rate=2000, batch=2):
    """Longest gap between output lines while users_1M.csv is replaced
    (or, with replace=False, over the same time without a reload)."""
    work = tempfile.mkdtemp(prefix="reload-gap-")
    try:
        src = os.path.join(lk, "users_1M.csv")
        shutil.copy(src, os.path.join(work, "users.csv"))
        # The new version: user 1's plan changed, so the swap can be seen.
        with open(src) as f, open(os.path.join(work, "users.new"), "w") as g:
            g.write(f.readline())
            first = f.readline().rstrip("\n").split(",")
            first[3] = "changed"
            g.write(",".join(first) + "\n")
            shutil.copyfileobj(f, g)
        p = subprocess.Popen(
            [binary, "--line-buffered", "left join users.csv on user_id"],
            cwd=work, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        times = []
        seen_new = []

        def read():
            for line in p.stdout:
                t = time.monotonic()
                times.append(t)
                if b'"changed"' in line and not seen_new:
                    seen_new.append(t)

        reader = threading.Thread(target=read)
        reader.start()
        i = 0

        def send():
            nonlocal i
            lines = "".join(
                '{"seq":%d,"user_id":%d}\n' % (i + k, 1 + (i + k) % 1000) for k in range(batch)
            )
            i += batch
            p.stdin.write(lines.encode())
            p.stdin.flush()

        # Startup (the first load) is not the point: wait for the first line.
        send()
        while not times:
            time.sleep(0.01)
        start = time.monotonic()
        replaced_at = None
        while True:
            now = time.monotonic()
            if replaced_at is None and now - start > 1.0:
                if replace:
                    os.rename(os.path.join(work, "users.new"), os.path.join(work, "users.csv"))
                replaced_at = now
            if replaced_at and now - replaced_at > after and (seen_new or not replace or now - replaced_at > 20):
                break
            send()
            time.sleep(batch / rate)
        p.stdin.close()
        reader.join()
        p.wait()
        ts = [t for t in times if t >= start]
        gaps = [b - a for a, b in zip(ts, ts[1:])]
        around = [b - a for a, b in zip(ts, ts[1:]) if a >= replaced_at]
        return {
            "max_gap_ms": max(gaps) * 1000 if gaps else None,
            "max_gap_around_reload_ms": max(around) * 1000 if around else None,
            "p99_gap_ms": sorted(gaps)[int(len(gaps) * 0.99)] * 1000 if gaps else None,
            "new_table_seen_after_s": (seen_new[0] - replaced_at) if seen_new else None,
            "lines": len(ts),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def markdown(changed, size, lookups, gaps, names, runs, load):
    L = ["## Changed events and lookup tables (issue 20)\n"]
    L.append(f"bench/changed.py, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
             f"load average at the start {load}. CPU = user+sys, median of {runs} runs "
             "(the two cores are shared with other work: wall time is not comparable, CPU "
             "time less disturbed, still ±15%). "
             + ("`before` is the binary before issue 20, `after` the current one."
                if len(names) > 1 else ""))
    L.append("")
    L.append(f"### Changed events ({size / 1e6:.1f} MB NDJSON, 1M events)\n")
    head = "| pipeline | what | " + " | ".join(
        f"{n} CPU | {n} × where" for n in names) + " | after MB/s of CPU |"
    L.append(head)
    L.append("| --- | --- | " + " | ".join("---: | ---:" for _ in names) + " | ---: |")
    base = {n: changed[0][n]["cpu"] for n in names}
    for r in changed:
        cells = []
        for n in names:
            cells.append(f"{r[n]['cpu']:.2f} s")
            cells.append(f"{r[n]['cpu'] / base[n]:.2f}×")
        last = names[-1]
        L.append(f"| `{r['pipeline']}` | {r['what']} | " + " | ".join(cells)
                 + f" | {size / 1e6 / r[last]['cpu']:.0f} |")
    L.append("")
    L.append("### Lookup tables (`user_id,name,country,plan`, bench/lookup_gen.py)\n")
    L.append("Load: `join users_N.csv on user_id` on empty input. Join: `join users_N.csv on "
             "user_id | count by country` over 1M events with keys spread over the table "
             "(events/s from the run's CPU time minus the load's).\n")
    L.append("| rows | file | binary | load CPU | load MB/s (CPU) | peak RSS | table (--stats) | join events/s |")
    L.append("| --- | ---: | --- | ---: | ---: | ---: | --- | ---: |")
    for r in lookups:
        for n in names:
            x = r[n]
            L.append(f"| {r['n']} | {r['file_mb']:.1f} MB | {n} | {x['load_cpu']:.2f} s | "
                     f"{r['file_mb'] / max(x['load_cpu'], 0.01):.0f} | {x['rss']:.0f} MB | "
                     f"{x['table'] or '–'} | {x['events_per_s'] / 1e6:.2f} M |")
    L.append("")
    L.append("### Reload gap (1M-row table replaced during a run)\n")
    L.append("Events written into a pipe at 2000/s (two every millisecond), `--line-buffered "
             "'left join users.csv on user_id'`; once the first line is out (the start's load "
             "done), the 28 MB users file is replaced by `mv` 1 s in, and the run goes on 4 s "
             "after (longer, until the new table is seen). Gap: time between two consecutive "
             "output lines as read back. `no reload`: the same run without replacing the file, "
             "for the noise of the machine.\n")
    L.append("| binary | longest gap | longest gap from the reload on | p99 gap | new table seen after |")
    L.append("| --- | ---: | ---: | ---: | ---: |")
    for n in gaps:
        g = gaps[n]
        f = lambda v: "–" if v is None else f"{v:.1f} ms"
        seen = "–" if g["new_table_seen_after_s"] is None else f"{g['new_table_seen_after_s']:.2f} s"
        L.append(f"| {n} | {f(g['max_gap_ms'])} | {f(g['max_gap_around_reload_ms'])} | "
                 f"{f(g['p99_gap_ms'])} | {seen} |")
    L.append("")
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(HERE, "data", "1000000"))
    ap.add_argument("--lookup", default=os.path.join(HERE, "data", "lookup"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "streamctl"))
    ap.add_argument("--before")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default="changed,lookup,reload")
    args = ap.parse_args()
    if not os.path.exists(os.path.join(args.lookup, "events_5M.ndjson")):
        subprocess.run([sys.executable, os.path.join(HERE, "lookup_gen.py"), "--out", args.lookup],
                       check=True)
    bins = {}
    if args.before:
        bins["before"] = os.path.abspath(args.before)
    bins["after"] = os.path.abspath(args.bin)
    names = list(bins)
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    only = set(args.only.split(","))
    changed, size = changed_rows(bins, args.data, args.runs) if "changed" in only else ([], 1)
    lookups = lookup_rows(bins, args.lookup, args.runs) if "lookup" in only else []
    gaps = {}
    if "reload" in only:
        for n, b in bins.items():
            gaps[n] = reload_gap(b, args.lookup)
            gaps[n + ", no reload"] = reload_gap(b, args.lookup, replace=False)
    md = markdown(changed, size, lookups, gaps, names, args.runs, load) if changed and lookups and gaps else None
    import json
    with open(os.path.join(args.data, "changed.json"), "w") as f:
        json.dump({"changed": changed, "lookups": lookups, "gaps": gaps, "size": size,
                   "names": names, "runs": args.runs, "load": load}, f, indent=1)
    if md:
        # Kept beside RESULTS.md (bench/report.py puts it in), with its notes.
        notes = ""
        out = os.path.join(HERE, "changed.md")
        if os.path.exists(out):
            old = open(out).read()
            if "\n### Notes\n" in old:
                notes = old[old.index("\n### Notes\n"):]
        with open(out, "w") as f:
            f.write(md + notes)
        print(md)
    else:
        print(json.dumps({"changed": changed, "lookups": lookups, "gaps": gaps}, indent=1, default=str))


if __name__ == "__main__":
    main()
