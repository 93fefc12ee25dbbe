#!/usr/bin/env python3
"""Deterministic benchmark data: web-access events as NDJSON and CSV, a users
lookup table, and the expected answer of every workload (computed here, in
plain Python, so every tool is checked against the same independent oracle).

    python3 bench/gen.py --events 1000000 --out bench/data

Same seed, same bytes: the files are identical on every machine.
"""

import argparse
import csv
import json
import os
import random
from datetime import datetime, timezone

SEED = 20261128
USERS = 50_000
# user_id is drawn from a wider range than the lookup holds, so the inner
# join drops about 9% of events.
USER_ID_MAX = 55_000
# 2026-11-28T00:00:00Z in epoch milliseconds.
START_MS = 1_795_824_000_000
# Events are at most this far out of order (well inside the default 5s
# lateness, so no event is late and every tool must count every event).
JITTER_MS = 2_000

METHODS = [("GET", 70), ("POST", 18), ("PUT", 7), ("DELETE", 5)]
STATUSES = [
    (200, 780), (201, 40), (204, 20), (301, 10), (304, 40), (400, 15),
    (401, 10), (403, 5), (404, 30), (429, 5), (500, 20), (502, 10),
    (503, 10), (504, 5),
]
UAS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "curl/8.4.0",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    'Prometheus/2.48 "scraper"',
    "Mozilla/5.0 (compatible; Bäckbot/1.0; +https://example.org/bot)",
    "okhttp/4.12.0",
]
COUNTRIES = [
    "US", "DE", "FR", "GB", "JP", "BR", "IN", "CA", "AU", "NL", "SE", "ES",
    "IT", "PL", "MX", "KR", "CH", "AT", "BE", "NO", "DK", "FI", "IE", "PT",
    "NZ", "SG", "ZA", "AR", "CL", "CZ",
]
PLANS = ["free", "pro", "team", "enterprise"]
NUMERIC = {"status", "latency_ms", "bytes", "user_id"}


def weighted(rng, pairs):
    values = [v for v, _ in pairs]
    weights = [w for _, w in pairs]
    return lambda: rng.choices(values, weights)[0]


def make_paths(rng):
    sections = ["api/v1", "api/v2", "static", "admin", "auth", "search", "img", "docs"]
    things = ["users", "orders", "items", "cart", "login", "logout", "feed", "stats",
              "health", "metrics", "app.js", "app.css", "logo.png", "index", "report"]
    paths = set()
    while len(paths) < 400:
        p = f"/{rng.choice(sections)}/{rng.choice(things)}"
        if rng.random() < 0.7:
            p += f"/{rng.randrange(1, 60)}"
        paths.add(p)
    paths = sorted(paths)
    rng.shuffle(paths)
    # Zipf-like popularity: a few hot paths, a long tail.
    return [(p, 1.0 / (i + 1)) for i, p in enumerate(paths)]


def rfc3339_ms(ms):
    dt = datetime.fromtimestamp(ms // 1000, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--out", default="bench/data")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(SEED)

    paths = make_paths(rng)
    path_values = [p for p, _ in paths]
    path_cum = []
    acc = 0.0
    for _, w in paths:
        acc += w
        path_cum.append(acc)
    hosts = [f"web-{i:02d}" for i in range(1, 21)]
    method = weighted(rng, METHODS)
    status = weighted(rng, STATUSES)

    users = {}
    with open(os.path.join(args.out, "users.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["user_id", "country", "plan"])
        for uid in range(1, USERS + 1):
            c = rng.choice(COUNTRIES)
            users[uid] = c
            w.writerow([uid, c, rng.choice(PLANS)])

    # Expected answers, accumulated while generating.
    exp = {k: {} for k in ("W2", "W3", "W4", "W6", "W7")}
    w1 = open(os.path.join(args.out, "expect_W1.tsv"), "w")
    w5 = open(os.path.join(args.out, "expect_W5.tsv"), "w")
    w8 = open(os.path.join(args.out, "expect_W8.tsv"), "w")
    running_sum, running_n = 0.0, 0

    jf = open(os.path.join(args.out, "events.ndjson"), "w", encoding="utf-8")
    cf = open(os.path.join(args.out, "events.csv"), "w", encoding="utf-8", newline="")
    cw = csv.writer(cf, lineterminator="\n")
    cols = ["ts", "host", "method", "path", "status", "latency_ms", "bytes", "user_id", "ua"]
    cw.writerow(cols)
    t = START_MS
    for _ in range(args.events):
        t += rng.randrange(0, 11)
        ms = t - rng.randrange(0, JITTER_MS) if rng.random() < 0.1 else t
        ts = rfc3339_ms(ms)
        host = rng.choice(hosts)
        path = rng.choices(path_values, cum_weights=path_cum)[0]
        st = status()
        lat = round(rng.lognormvariate(3.0, 0.8), 3)
        nbytes = rng.randrange(200, 200_000)
        uid = rng.randrange(1, USER_ID_MAX + 1)
        ua = rng.choice(UAS)
        rec = {"ts": ts, "host": host, "method": method(), "path": path, "status": st,
               "latency_ms": lat, "bytes": nbytes, "user_id": uid, "ua": ua}
        jf.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
        cw.writerow([rec[c] for c in cols])

        if st >= 500:
            w1.write("\t".join(num(rec[c]) if c in NUMERIC else rec[c] for c in cols) + "\n")
            e7 = exp["W7"]
            e7[host] = e7.get(host, 0) + 1
        e2 = exp["W2"]
        e2[path] = e2.get(path, 0) + 1
        k3 = (ts[:16], st)
        exp["W3"][k3] = exp["W3"].get(k3, 0) + 1
        s, n = exp["W4"].get(path, (0.0, 0))
        exp["W4"][path] = (s + lat, n + 1)
        running_sum += lat
        running_n += 1
        w5.write(f"{ts}\t{num(running_sum / running_n)}\n")
        if uid in users:
            c = users[uid]
            exp["W6"][c] = exp["W6"].get(c, 0) + 1
        w8.write(f"{ts}\t{path}\t{st}\n")
    jf.close()
    cf.close()
    for f in (w1, w5, w8):
        f.close()

    def dump(name, rows):
        with open(os.path.join(args.out, f"expect_{name}.tsv"), "w") as f:
            for r in sorted(rows):
                f.write("\t".join(r) + "\n")

    dump("W2", [(p, num(c)) for p, c in exp["W2"].items()])
    dump("W3", [(m, num(s), num(c)) for (m, s), c in exp["W3"].items()])
    dump("W4", [(p, num(s / n)) for p, (s, n) in exp["W4"].items()])
    dump("W6", [(c, num(n)) for c, n in exp["W6"].items()])
    dump("W7", [(h, num(n)) for h, n in exp["W7"].items()])


def num(x):
    """The canonical text of a number for comparing tools: 9 significant digits."""
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return str(int(x))
    return f"{x:.9g}"


if __name__ == "__main__":
    main()
