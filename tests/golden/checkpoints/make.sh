#!/usr/bin/env bash
# make.sh BIN OUTDIR [CASE]: golden checkpoints from a run stopped by SIGTERM in --follow
# (each case's file is named after the format version in its header: v1.ckpt, v2.ckpt)
set -u
B=$1; OUT=$2; ONLY=${3:-}
[ -f /tmp/gold/first.jsonl ] || cp "$OUT/first.jsonl" /tmp/gold/first.jsonl
mk() { # name, args...
  name=$1; shift
  [ -z "$ONLY" ] || [ "$ONLY" = "$name" ] || return 0
  d=/tmp/gold/$name; rm -rf $d; mkdir -p $d; cp /tmp/gold/first.jsonl $d/in.jsonl
  ( cd $d; exec $B --follow --checkpoint $d/c.ckpt "$@" $d/in.jsonl > $d/out1 2>$d/err1 ) & echo $! > $d/pid
  sleep 2; kill -TERM $(cat $d/pid); while kill -0 $(cat $d/pid) 2>/dev/null; do sleep 0.1; done
  mkdir -p $OUT/$name
  printf '%s\n' "$@" > $OUT/$name/args
  v=$(head -c 40 $d/c.ckpt | sed -n 's/^streamctl-checkpoint \(v[0-9]*\) .*/\1/p')
  cp $d/c.ckpt $OUT/$name/$v.ckpt; cp $d/out1 $OUT/$name/first-output
  echo "$name: $(wc -c < $d/c.ckpt) bytes ckpt, $(wc -l < $d/out1) rows before, err: $(cat $d/err1)"
}
mk stats 'stats count, sum(x), avg(x), min(x), max(x), distinct(s), p90(x), stddev(x), first(s), last(s) by k'
mk tumbling_fill --time-field t --lateness 6m 'stats count, avg(x) by k every 5m fill'
mk hopping --time-field t --lateness 4m 'count by k every 4m slide 2m'
mk session --time-field t --lateness 2m 'stats count, max(x) by k session 3m'
mk dedup_head_top 'dedup id | head 30 | top 2 k by sum(x)'
mk within_top_window --time-field t --lateness 3m 'dedup id within 5m | top 2 k by count every 5m'
mk running --time-field t --lateness 2m 'running avg(x), count by k | running avg(x) as a5 by k over 5m | running max(x) as m3, ewma(x, 0.5) last 3'
# Format v2 (streamctl after issue 19): hopping windows kept by slices.
mk hopping_sliced --time-field t --lateness 4m 'stats count, min(x), last(s) by k every 4m slide 2m'
