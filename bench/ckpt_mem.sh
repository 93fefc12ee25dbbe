#!/usr/bin/env bash
# Checkpoint memory (issue 16 item 12): wall time and peak RSS of `count by k`
# and `dedup k` over N distinct keys, without and with --checkpoint, and the
# peak RSS of a run that restores the checkpoint of the full state.
#   bench/ckpt_mem.sh BIN DATA.jsonl [pipeline ...]
# DATA: one distinct key a line, e.g. {"k":"key00000001","v":1}
#   python3 -c 'import sys; n=int(sys.argv[1]); sys.stdout.write("".join("{\"k\":\"key%08d\",\"v\":%d}\n"%(i,i%97) for i in range(n)))' 1000000 > k1m.jsonl
set -u
B=$1; data=$2; shift 2
[ $# -gt 0 ] || set -- 'count by k' 'dedup k'
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
size=$(stat -c %s "$data")
every=${EVERY:-100000}  # events between commits in the third row
for p in "$@"; do
  /usr/bin/time -f "$p | no checkpoint | %e s | %M KB" "$B" "$p" "$data" >/dev/null
  /usr/bin/time -f "$p | --checkpoint (1s) | %e s | %M KB" "$B" --checkpoint "$dir/a.ckpt" "$p" "$data" >/dev/null
  /usr/bin/time -f "$p | --checkpoint-interval $every | %e s | %M KB" "$B" --checkpoint "$dir/b.ckpt" --checkpoint-interval $every "$p" "$data" >/dev/null
  # A checkpoint of the whole state: --follow, stopped once it has read everything.
  /usr/bin/time -o "$dir/t" -f "$p | --follow, to the end, SIGTERM | %e s | %M KB" "$B" --follow --checkpoint "$dir/f.ckpt" "$p" "$data" >/dev/null & pid=$!
  until head -c 4096 "$dir/f.ckpt" 2>/dev/null | grep -q "\"offset\":$size,"; do sleep 0.2; done
  pkid=$(pgrep -P $pid); kill -TERM $pkid; wait $pid; cat "$dir/t"
  ls -l "$dir/f.ckpt" | awk -v p="$p" '{printf "%s | checkpoint file | %d bytes\n", p, $5}'
  /usr/bin/time -f "$p | restore it | %e s | %M KB" "$B" --checkpoint "$dir/f.ckpt" "$p" "$data" >/dev/null
  rm -f "$dir"/*
done 2>&1
