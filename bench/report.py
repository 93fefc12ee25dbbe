#!/usr/bin/env python3
"""Turn bench.py's results.json (and latency.py's latency.json) into the
Markdown report bench/RESULTS.md, and print the same tables."""

import argparse
import json
import os

import sys

HERE = os.path.dirname(os.path.abspath(__file__))

sys.path.insert(0, HERE)
from bench import DESCRIPTION, MBPS_TARGET, RSS_BOUND, TOOLS  # noqa: E402

RSS_LIMIT_MB = 30


def fmt_time(s):
    return f"{s:.3f} s" if s >= 0.1 else f"{s * 1000:.1f} ms"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    args = ap.parse_args()
    with open(os.path.join(args.data, "results.json")) as f:
        res = json.load(f)
    lat = None
    lat_path = os.path.join(args.data, "latency.json")
    if os.path.exists(lat_path):
        with open(lat_path) as f:
            lat = json.load(f)

    m = res.get("machine", {})
    v = res.get("versions", {})
    L = []
    L.append("# Benchmark results\n")
    L.append("Produced by `bench/run.sh` (see the README's Performance section); rerun it to "
             "replace this file.\n")
    L.append("## Machine and data\n")
    L.append(f"- When: {res.get('when', '?')}")
    L.append(f"- CPU: {m.get('cpu', '?')}, {m.get('cores', '?')} cores (shared), "
             f"{m.get('memory_gib', '?')} GiB RAM, Linux {m.get('kernel', '?')}")
    L.append(f"- Load average when the run started: {' '.join(m.get('loadavg', []))} — the two "
             "cores are shared with other work, so figures are noisy: compare ratios within one "
             "run rather than absolute times across runs.")
    L.append(f"- {m.get('rustc', 'rustc ?')}; release build (`lto = \"thin\"`)")
    L.append("- Tools: " + "; ".join(f"{t} `{v[t]}`" for t in TOOLS if t in v))
    if res.get("skipped_tools"):
        L.append(f"- Not installed, skipped: {', '.join(res['skipped_tools'])}")
    ib = res.get("input_bytes", {})
    L.append(f"- Input: {res.get('events', '?'):,} events; NDJSON {ib.get('json', 0) / 1e6:.1f} MB, "
             f"CSV {ib.get('csv', 0) / 1e6:.1f} MB; users.csv 50,000 rows (bench/gen.py, fixed seed)")
    L.append("- Time: median wall time of several hyperfine runs (output to /dev/null; the file is "
             "in the page cache). MB/s: input bytes / median wall time. CPU: mean user+system "
             "time per run (all threads), which the load on the machine disturbs less than wall "
             "time. RSS: peak resident set from `/usr/bin/time` on a separate run whose output "
             "was checked.")
    L.append("- Agrees: the tool's output, normalised (numbers to 9 significant digits, "
             "aggregate rows sorted), equals the answer bench/gen.py computed while generating "
             "the data.")
    L.append("- awk is no JSON parser: on NDJSON it extracts fields with regexes and validates "
             "nothing, so it is the floor of \"how fast can text go\", not a like-for-like peer.\n")

    L.append("## Throughput\n")
    summary = []
    figs = res.get("figures", {})
    for w, desc in DESCRIPTION.items():
        if w not in figs:
            continue
        row = figs[w]
        L.append(f"### {w}: `{desc}`\n")
        L.append("| tool | median wall | MB/s | CPU (user+sys) | peak RSS | streamctl is × faster | agrees |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
        s = row.get("streamctl", {})
        for t in TOOLS:
            e = row.get(t)
            if e is None:
                continue
            med = e.get("median")
            ratio = ""
            if med and s.get("median") and t != "streamctl":
                ratio = f"{med / s['median']:.1f}×"
            agrees = "yes" if e.get("agrees") else f"**no**: {e.get('note', '')}"
            rss = f"{e.get('rss_kib', 0) / 1024:.1f} MB"
            if med:
                cpu = fmt_time(e["cpu"]) if "cpu" in e else "–"
                L.append(f"| {t} | {fmt_time(med)} | {e['mbps']:.0f} | {cpu} | {rss} | {ratio} | {agrees} |")
            else:
                L.append(f"| {t} | – | – | – | {rss} | | {agrees} |")
        L.append("")
        summary.append(targets(w, row))

    L.append("## Targets (issue 6)\n")
    L.append("Ratios are of median wall time; in brackets, of CPU time (user+sys), which is "
             "fairer when the tools ran at different loads.\n")
    L.append("| workload | vs jq (≥ 5×) | vs fastest peer (≥ 2×) | MB/s target | RSS < 30 MB |")
    L.append("| --- | --- | --- | --- | --- |")
    L.extend(summary)
    L.append("")

    if lat:
        L.append("## Latency probe\n")
        L.append(f"One event every {lat['interval_ms']:g} ms written into a pipe, "
                 f"{lat['events']} events; delay from the write to the result line being read "
                 "back (bench/latency.py). Target for streamctl: median < 1 ms, p99 < 5 ms, with no flag.\n")
        L.append("| tool | median | p99 | max |")
        L.append("| --- | ---: | ---: | ---: |")
        for name, r in lat["results"].items():
            if r.get("median_ms") is None:
                L.append(f"| {name} | nothing before end of input | | |")
            else:
                L.append(f"| {name} | {r['median_ms']:.3f} ms | {r['p99_ms']:.3f} ms | "
                         f"{r['max_ms']:.3f} ms |")
        L.append("")

    notes = os.path.join(args.data, "notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            L.append(f.read())

    # bench/growth's figures (issue 19), kept when the throughput is run again.
    growth = os.path.join(HERE, "growth.md")
    if os.path.exists(growth):
        with open(growth) as f:
            L.append(f.read())

    # bench/changed.py's figures (issue 20), kept when the throughput is run again.
    changed = os.path.join(HERE, "changed.md")
    if os.path.exists(changed):
        with open(changed) as f:
            L.append(f.read())

    text = "\n".join(L) + "\n"
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


def targets(w, row):
    s = row.get("streamctl", {})
    sm = s.get("median")
    if not sm:
        return f"| {w} | streamctl did not run: {s.get('note', '')} | | | |"

    def mark(ok):
        return "met" if ok else "**missed**"

    cells = []
    sc = s.get("cpu") or 0

    def cpu_ratio(e):
        return f" [CPU {e['cpu'] / sc:.1f}×]" if sc and e.get("cpu") else ""

    jqe = row.get("jq", {})
    jq = jqe.get("median")
    cells.append(f"{jq / sm:.1f}× {mark(jq / sm >= 5)}{cpu_ratio(jqe)}" if jq else "–")
    peers = [(e["median"], t) for t, e in row.items()
             if t != "streamctl" and e.get("median") and e.get("agrees")]
    if peers:
        best, who = min(peers)
        cells.append(f"{best / sm:.1f}× ({who}) {mark(best / sm >= 2)}{cpu_ratio(row[who])}")
    else:
        cells.append("–")
    if w in MBPS_TARGET:
        cells.append(f"{s['mbps']:.0f} of {MBPS_TARGET[w]} {mark(s['mbps'] >= MBPS_TARGET[w])}")
    else:
        cells.append("–")
    if w in RSS_BOUND:
        mb = s.get("rss_kib", 0) / 1024
        cells.append(f"{mb:.1f} MB {mark(mb < RSS_LIMIT_MB)}")
    else:
        cells.append("–")
    if not s.get("agrees"):
        cells[0] = f"(streamctl disagrees: {s.get('note', '')}) " + cells[0]
    return f"| {w} | " + " | ".join(cells) + " |"


if __name__ == "__main__":
    main()
