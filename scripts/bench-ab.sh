#!/usr/bin/env bash
# Compares two pubsubd builds, A and B, on the throughput scenarios of
# docs/benchmarks.md: runs are interleaved (A, B, A, B, ...) so that the
# machine's drift falls on both alike. One JSON object per run on standard
# output ({"scenario", "threads", "v": "A" or "B", "result"}); a median per
# scenario and build on standard error at the end.
#
#   A=old/pubsubd B=build-release/pubsubd scripts/bench-ab.sh > ab.jsonl
#   SCS="s1 s6" THR="2" REPS=5 STYLE=batched A=... B=... scripts/bench-ab.sh
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/server_port.sh
: "${A:?set A to the first pubsubd}" "${B:?set B to the second pubsubd}"
SCS=${SCS:-"s1 s2 s6"}
THR=${THR:-"2 1"}
REPS=${REPS:-3}
STYLE=${STYLE:-per-frame}
DURATION=${DURATION:-4}
BENCH=${BENCH:-./build-release/pubsub-bench}
declare -A args
args[s1]="--topics 1 --subscribers 100 --publishers 1 --payload 100"
args[s2]="--topics 10 --subscribers 100 --publishers 4 --payload 100"
args[s5]="--topics 1 --subscribers 5000 --publishers 1 --payload 100"
args[s6]="--topics 1000 --subscribers 5 --publishers 8 --payload 100"
args[s7]="--topics 1 --subscribers 100 --publishers 1 --payload 16384"
log=$(mktemp)
results=$(mktemp)
trap 'rm -f "$log" "$log.out" "$results"' EXIT
for _ in $(seq "$REPS"); do
  for sc in $SCS; do
    for t in $THR; do
      for v in A B; do
        bin=$A
        [ "$v" = B ] && bin=$B
        extra=()
        [ "$sc" = s7 ] && extra=(--max-queue-bytes 1073741824)
        "$bin" --host 127.0.0.1 --port 0 --threads "$t" --log-level warn --max-queue 20000 "${extra[@]}" >"$log.out" 2>"$log" &
        pid=$!
        port=$(wait_for_port "$log.out")
        # shellcheck disable=SC2086
        r=$($BENCH --port "$port" --server-pid "$pid" --json --duration "$DURATION" --client-style "$STYLE" ${args[$sc]})
        kill "$pid"
        wait "$pid" 2>/dev/null
        echo "{\"scenario\":\"$sc\",\"threads\":$t,\"v\":\"$v\",\"result\":${r:-null}}" | tee -a "$results"
      done
    done
  done
done
python3 - "$results" >&2 <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
for sc, t in sorted({(r["scenario"], r["threads"]) for r in rows}):
    line = f"{sc} --threads {t}:"
    for v in "AB":
        rs = [r["result"] for r in rows if (r["scenario"], r["threads"], r["v"]) == (sc, t, v) and r["result"]]
        if not rs:
            line += f"  {v}: no result"
            continue
        rate = statistics.median(x["delivered_per_sec"] for x in rs) / 1e3
        cpu = statistics.median(x["server_cpu_us_per_delivery"] for x in rs)
        line += f"  {v}: {rate:.0f}k/s {cpu:.3f} us [" + ",".join(f"{x['delivered_per_sec'] / 1e3:.0f}" for x in rs) + "]"
    print(line)
PY
