#!/usr/bin/env python3
"""Deterministic data for the lookup rows of the benchmark (bench/lookup.py):
users tables of 10k, 1M and 5M rows (`user_id,name,country,plan`), and for
each an NDJSON file of events whose user_id is drawn from 1.1x the table's
range (so about 9% miss).

    python3 bench/lookup_gen.py --out bench/data/lookup [--events 1000000]
"""

import argparse
import os
import random

SEED = 20261204
COUNTRIES = ["US", "DE", "FR", "GB", "JP", "BR", "IN", "CA", "AU", "NL", "SE", "ES"]
PLANS = ["free", "pro", "team", "enterprise"]
SIZES = {"10k": 10_000, "1M": 1_000_000, "5M": 5_000_000}


def users(path, rows, rng):
    with open(path, "w") as f:
        f.write("user_id,name,country,plan\n")
        chunk = []
        for i in range(1, rows + 1):
            chunk.append(f"{i},user{i:07d},{rng.choice(COUNTRIES)},{rng.choice(PLANS)}\n")
            if len(chunk) == 100_000:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))


def events(path, rows, n, rng):
    top = rows + rows // 10
    with open(path, "w") as f:
        chunk = []
        for i in range(n):
            chunk.append(f'{{"seq":{i},"user_id":{rng.randint(1, top)},"ms":{rng.randint(1, 900)}}}\n')
            if len(chunk) == 100_000:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="bench/data/lookup")
    ap.add_argument("--events", type=int, default=1_000_000)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, rows in SIZES.items():
        rng = random.Random(f"{SEED}-{name}")
        u = os.path.join(args.out, f"users_{name}.csv")
        e = os.path.join(args.out, f"events_{name}.ndjson")
        if not os.path.exists(u):
            users(u, rows, rng)
        if not os.path.exists(e):
            events(e, rows, args.events, rng)


if __name__ == "__main__":
    main()
