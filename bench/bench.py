#!/usr/bin/env python3
"""Run every workload with streamctl and each installed peer, check every
answer against the oracle computed by gen.py, time them with hyperfine, take
peak RSS from /usr/bin/time, and write the figures.

Called by bench/run.sh (which installs the tools, builds and generates the
data); run that instead. Options: --data DIR, --only W1,W3, --tools jq,mlr,
--runs N (hyperfine runs per command; default: 10 for fast ones, 3 for slow).
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TOOLS = ["streamctl", "jq", "jaq", "mlr", "awk"]

# jq and jaq programs. Each uses the fastest idiom we found for that tool:
# jq 1.6 updates an object in `reduce` many times faster with `setpath/getpath`
# than with `.[$k] += 1`, while jaq is the other way round (setpath there
# copies, and takes hundreds of MB).
def jq_programs(update):
    return {
        "W1": "-c 'select(.status >= 500)' {J}",
        "W2": "-n -c 'reduce (inputs | .path) as $k ({{}}; " + update("1") + ")"
              " | to_entries[] | {{path: .key, count: .value}}' {J}",
        "W3": "-n -c 'reduce (inputs | .ts[0:16] + \" \" + (.status | tostring)) as $k"
              " ({{}}; " + update("1") + ")"
              " | to_entries[] | (.key | split(\" \")) as $k"
              " | {{window_start: $k[0], status: $k[1], count: .value}}' {J}",
        "W4": "-n -c 'reduce (inputs | [.path, .latency_ms]) as [$k, $x] ({{}}; " + update("pair") + ")"
              " | to_entries[] | {{path: .key, avg_latency_ms: (.value[0] / .value[1])}}' {J}",
        "W5": "-n -c 'foreach inputs as $e ([0, 0]; [.[0] + $e.latency_ms, .[1] + 1];"
              " $e + {{avg_latency_ms: (.[0] / .[1])}})' {J}",
        "W6": "-n -c --rawfile u {U} '($u | split(\"\\n\") | .[1:] | map(select(length > 0) | split(\",\")"
              " | {{key: .[0], value: .[1]}}) | from_entries) as $m"
              " | reduce (inputs | $m[.user_id | tostring] // empty) as $k ({{}}; " + update("1") + ")"
              " | to_entries[] | {{country: .key, count: .value}}' {J}",
        "W7": "-n -R -c 'input as $header | reduce (inputs | split(\",\") | select((.[4] | tonumber) >= 500)"
              " | .[1]) as $k ({{}}; " + update("1") + ")"
              " | to_entries[] | {{host: .key, count: .value}}' {C}",
        "W8": "-c '{{ts, path, status}}' {J}",
    }


def jq_update(what):
    if what == "pair":
        return "setpath([$k]; getpath([$k]) as $v | [($v[0] // 0) + $x, ($v[1] // 0) + 1])"
    return "setpath([$k]; getpath([$k]) + 1)"


def jaq_update(what):
    if what == "pair":
        return ".[$k] |= [(.[0] // 0) + $x, (.[1] // 0) + 1]"
    return ".[$k] += 1"


AWK_END = "END {{ for (k in c) print k \"\\t\" c[k] }}"
COMMANDS = {
    "streamctl": {
        "W1": "{S} 'where status >= 500' {J}",
        "W2": "{S} 'count by path' {J}",
        "W3": "{S} 'count by status every 1m' {J}",
        "W4": "{S} 'avg latency_ms by path' {J}",
        "W5": "{S} 'running avg(latency_ms)' {J}",
        "W6": "{S} 'join {U} on user_id | count by country' {J}",
        "W7": "{S} 'where status >= 500 | count by host' {C}",
        "W8": "{S} 'select ts, path, status' {J}",
    },
    "jq": {w: "jq " + p for w, p in jq_programs(jq_update).items()},
    "jaq": {w: "jaq " + p for w, p in jq_programs(jaq_update).items()},
    "mlr": {
        "W1": "mlr --ijson --ojsonl filter '$status >= 500' {J}",
        "W2": "mlr --ijson --ojsonl count -g path {J}",
        "W3": "mlr --ijson --ojsonl put '$window_start = substr1($ts, 1, 16)'"
              " then count -g window_start,status {J}",
        "W4": "mlr --ijson --ojsonl stats1 -a mean -f latency_ms -g path {J}",
        "W5": "mlr --ijson --ojsonl put 'begin {{ @s = 0; @n = 0 }} @s += $latency_ms; @n += 1;"
              " $avg_latency_ms = @s / @n' {J}",
        "W6": "mlr --ijson --ojsonl join -j user_id -i csv -f {U} then count -g country {J}",
        "W7": "mlr --icsv --ojsonl filter '$status >= 500' then count -g host {C}",
        "W8": "mlr --ijson --ojsonl cut -o -f ts,path,status {J}",
    },
    # awk is no JSON parser: on NDJSON it pulls fields out with regexes and
    # validates nothing. It is here as the floor of "how fast can text go".
    "awk": {
        "W1": "awk 'match($0, /\"status\":[0-9]+/) && substr($0, RSTART + 9, RLENGTH - 9) + 0 >= 500' {J}",
        "W2": "awk 'match($0, /\"path\":\"[^\"]*\"/) {{ c[substr($0, RSTART + 8, RLENGTH - 9)]++ }} "
              + AWK_END + "' {J}",
        "W3": "awk 'match($0, /\"ts\":\"[^\"]*\"/) {{ m = substr($0, RSTART + 6, 16);"
              " if (match($0, /\"status\":[0-9]+/)) c[m \"\\t\" substr($0, RSTART + 9, RLENGTH - 9)]++ }} "
              + AWK_END + "' {J}",
        "W4": "awk 'match($0, /\"path\":\"[^\"]*\"/) {{ p = substr($0, RSTART + 8, RLENGTH - 9);"
              " if (match($0, /\"latency_ms\":[-0-9.eE+]+/)) {{ s[p] += substr($0, RSTART + 13, RLENGTH - 13); n[p]++ }} }}"
              " END {{ for (k in s) printf \"%s\\t%.17g\\n\", k, s[k] / n[k] }}' {J}",
        "W5": "awk 'match($0, /\"latency_ms\":[-0-9.eE+]+/) {{ s += substr($0, RSTART + 13, RLENGTH - 13); n++;"
              " printf \"%s,\\\"avg_latency_ms\\\":%.17g}}\\n\", substr($0, 1, length($0) - 1), s / n }}' {J}",
        "W6": "awk -F, 'NR == FNR {{ if (FNR > 1) u[$1] = $2; next }}"
              " match($0, /\"user_id\":[0-9]+/) {{ k = substr($0, RSTART + 10, RLENGTH - 10); if (k in u) c[u[k]]++ }} "
              + AWK_END + "' {U} {J}",
        "W7": "awk -F, 'NR > 1 && $5 >= 500 {{ c[$2]++ }} " + AWK_END + "' {C}",
        "W8": "awk 'match($0, /\"ts\":\"[^\"]*\"/) {{ t = substr($0, RSTART, RLENGTH);"
              " match($0, /\"path\":\"[^\"]*\"/); p = substr($0, RSTART, RLENGTH);"
              " match($0, /\"status\":[0-9]+/); print \"{{\" t \",\" p \",\" substr($0, RSTART, RLENGTH) \"}}\" }}' {J}",
    },
}

DESCRIPTION = {
    "W1": "where status >= 500 (full records out)",
    "W2": "count by path",
    "W3": "count by status every 1m (event time)",
    "W4": "avg latency_ms by path",
    "W5": "running avg(latency_ms)",
    "W6": "join users.csv on user_id | count by country",
    "W7": "CSV in: where status >= 500 | count by host",
    "W8": "select ts, path, status",
}

# Columns compared per workload: each a list of accepted JSON keys; rows of
# aggregations are sorted, rows of event streams keep their order.
COLUMNS = {
    "W1": [["ts"], ["host"], ["method"], ["path"], ["status"], ["latency_ms"], ["bytes"],
           ["user_id"], ["ua"]],
    "W2": [["path"], ["count"]],
    "W3": [["window_start"], ["status"], ["count"]],
    "W4": [["path"], ["avg_latency_ms", "latency_ms_mean", "avg"]],
    "W5": [["ts"], ["avg_latency_ms"]],
    "W6": [["country"], ["count"]],
    "W7": [["host"], ["count"]],
    "W8": [["ts"], ["path"], ["status"]],
}
ORDERED = {"W1", "W5", "W8"}
# Speed targets from issue 6 (MB/s) and the RSS bound (MB).
MBPS_TARGET = {"W1": 800, "W2": 500, "W3": 500, "W4": 500}
RSS_BOUND = {"W1", "W2", "W3", "W4", "W8"}


def num(x):
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return str(int(x))
    return f"{x:.9g}"


NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def cell(v):
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return num(v)
    if isinstance(v, str):
        if NUMBER.fullmatch(v):
            return num(int(v) if v.lstrip("-").isdigit() else float(v))
        return v
    if v is None:
        return ""
    return json.dumps(v)


def normalise(workload, path):
    """The canonical rows of one tool's output, as a list of tab-joined strings."""
    cols = COLUMNS[workload]
    rows = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            if line.startswith("{"):
                obj = json.loads(line)
                vals = []
                for keys in cols:
                    k = next((k for k in keys if k in obj), None)
                    vals.append(cell(obj[k]) if k is not None else "<missing>")
            else:
                vals = [cell(x) for x in line.split("\t")]
            if workload == "W3":
                vals[0] = vals[0][:16]
            rows.append("\t".join(vals))
    if workload not in ORDERED:
        rows.sort()
    return rows


def compare(workload, out_path, data):
    want_path = os.path.join(data, f"expect_{workload}.tsv")
    with open(want_path, encoding="utf-8") as f:
        want = [l.rstrip("\n") for l in f if l.strip()]
    try:
        got = normalise(workload, out_path)
    except (ValueError, IndexError) as e:
        return False, f"output not readable: {e}"
    if got == want:
        return True, ""
    if len(got) != len(want):
        return False, f"{len(got)} rows, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            return False, f"row {i + 1}: got {g!r}, expected {w!r}"
    return False, "differs"


def available(tool):
    if tool == "streamctl":
        return True
    return shutil.which(tool) is not None


def version(tool, streamctl):
    cmd = {
        "streamctl": [streamctl, "--version"],
        "jq": ["jq", "--version"],
        "jaq": ["jaq", "--version"],
        "mlr": ["mlr", "--version"],
        "awk": ["awk", "-W", "version"],
    }[tool]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        text = (out.stdout or out.stderr).strip().splitlines()
        v = text[0] if text else "?"
    except OSError:
        return "?"
    if tool == "awk":
        real = os.path.realpath(shutil.which("awk") or "awk")
        v = f"{os.path.basename(real)}: {v}"
    return v


def check_run(cmd, out_path):
    """Run once with /usr/bin/time: (ok, wall seconds, peak RSS KiB, stderr tail)."""
    tf = out_path + ".time"
    full = ["/usr/bin/time", "-f", "%e %M", "-o", tf, "sh", "-c", f"{cmd} > {out_path}"]
    p = subprocess.run(full, capture_output=True, text=True)
    try:
        with open(tf) as f:
            last = f.read().strip().splitlines()[-1].split()
        wall, rss = float(last[0]), int(last[1])
    except (OSError, IndexError, ValueError):
        wall, rss = 0.0, 0
    return p.returncode == 0, wall, rss, p.stderr.strip()[-400:]


def hyperfine(cmd, runs, tmp):
    js = os.path.join(tmp, "hf.json")
    p = subprocess.run(
        ["hyperfine", "--style", "none", "--runs", str(runs), "--export-json", js, cmd],
        capture_output=True, text=True,
    )
    if p.returncode != 0:
        return None
    with open(js) as f:
        r = json.load(f)["results"][0]
    return {"median": r["median"], "mean": r["mean"], "stddev": r.get("stddev") or 0.0,
            "min": r["min"], "max": r["max"], "runs": len(r["times"]),
            "cpu": (r.get("user") or 0.0) + (r.get("system") or 0.0)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--streamctl", default=os.path.join(ROOT, "target", "release", "streamctl"))
    ap.add_argument("--only", default="")
    ap.add_argument("--tools", default="")
    ap.add_argument("--runs", type=int, default=0)
    ap.add_argument("--results", default="")
    args = ap.parse_args()

    data = os.path.abspath(args.data)
    subs = {
        "S": args.streamctl,
        "J": os.path.join(data, "events.ndjson"),
        "C": os.path.join(data, "events.csv"),
        "U": os.path.join(data, "users.csv"),
    }
    workloads = [w for w in DESCRIPTION if not args.only or w in args.only.split(",")]
    tools = [t for t in TOOLS if not args.tools or t in args.tools.split(",")]
    missing = [t for t in tools if not available(t)]
    tools = [t for t in tools if t not in missing]
    results_path = args.results or os.path.join(data, "results.json")
    # Keep earlier figures of workloads/tools not rerun this time.
    results = {}
    if os.path.exists(results_path):
        with open(results_path) as f:
            results = json.load(f)
    results.setdefault("figures", {})
    results["skipped_tools"] = missing
    results["versions"] = {t: version(t, args.streamctl) for t in TOOLS if available(t)}
    results["machine"] = machine()
    results["input_bytes"] = {"json": os.path.getsize(subs["J"]), "csv": os.path.getsize(subs["C"])}
    with open(subs["J"], "rb") as f:
        results["events"] = sum(1 for _ in f)

    with tempfile.TemporaryDirectory(prefix="streamctl-bench-") as tmp:
        for w in workloads:
            size = results["input_bytes"]["csv" if w == "W7" else "json"]
            for t in tools:
                cmd = COMMANDS[t][w].format(**subs)
                out = os.path.join(tmp, f"{w}-{t}.out")
                ok, wall, rss, err = check_run(cmd, out)
                entry = {"cmd": cmd, "rss_kib": rss, "ok": ok}
                if not ok:
                    entry["agrees"] = False
                    entry["note"] = "failed: " + (err.strip().splitlines()[0] if err.strip() else "exit status")
                else:
                    entry["agrees"], entry["note"] = compare(w, out, data)
                    # Slow peers get fewer runs, or the whole benchmark takes an hour.
                    runs = args.runs or (10 if wall < 1 else 5 if wall < 3 else 3 if wall < 10 else 1)
                    hf = hyperfine(cmd, runs, tmp)
                    if hf:
                        entry.update(hf)
                        entry["mbps"] = size / 1e6 / hf["median"]
                os.remove(out)
                results["figures"].setdefault(w, {})[t] = entry
                print(f"{w} {t:9} " + (
                    f"median {entry['median']:.3f}s  {entry['mbps']:7.1f} MB/s  cpu {entry['cpu']:.3f}s"
                    f"  RSS {rss / 1024:6.1f} MB"
                    if "median" in entry else "no timing") +
                    ("" if entry["agrees"] else f"  DISAGREES: {entry['note']}"), flush=True)
                with open(results_path, "w") as f:
                    json.dump(results, f, indent=1)
    results["when"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with open(results_path, "w") as f:
        json.dump(results, f, indent=1)


def machine():
    info = {"kernel": platform.release(), "cores": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            info["memory_gib"] = round(kb / 1024 / 1024, 1)
        info["loadavg"] = open("/proc/loadavg").read().split()[:3]
    except OSError:
        pass
    try:
        info["rustc"] = subprocess.run(["rustc", "--version"], capture_output=True,
                                       text=True).stdout.strip()
    except OSError:
        pass
    return info


if __name__ == "__main__":
    sys.exit(main())
