#!/usr/bin/env bash
# Compares two pubsubd builds, A and B, on the scenarios of
# docs/benchmarks.md: runs are interleaved (A, B, A, B, ...) so that the
# machine's drift falls on both alike. One JSON object per run on standard
# output ({"scenario", "threads", "v": "A" or "B", "result"}); a median per
# scenario and build on standard error at the end.
#
#   A=old/pubsubd B=build-release/pubsubd scripts/bench-ab.sh > ab.jsonl
#   SCS="s1 s6" THR="2" REPS=5 STYLE=batched A=... B=... scripts/bench-ab.sh
#   SCS="s3 latency s4 topics http" A=... B=... scripts/bench-ab.sh
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
# Latency: S3 (1 000 subscribers, 200 publishes/s) and S1's shape at
# 10 000 publishes/s; S4: 15 000 idle subscribed connections.
args[s3]="--topics 1 --subscribers 1000 --publishers 1 --payload 100 --rate 200"
args[latency]="--topics 1 --subscribers 100 --publishers 1 --payload 100 --rate 10000"
args[s4]="--mode connections --connections 15000"
# A million topics over pipelined REST, then 100 retained messages in 10 000
# of them; publishing over keep-alive HTTP (4 connections, 64 in flight).
args[topics]="--mode topics --topics 1000000 --publishers 2 --window 64 --retain 100 --retain-topics 10000"
args[http]="--mode http-publish --topics 10 --publishers 4 --window 64"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true  # S4's 15 000 connections
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
        [ "$sc" = topics ] && extra=(--max-topics 2000000)
        "$bin" --host 127.0.0.1 --port 0 --threads "$t" --log-level warn --max-queue 20000 "${extra[@]}" >"$log.out" 2>"$log" &
        pid=$!
        port=$(wait_for_port "$log.out")
        style=(--client-style "$STYLE")  # a throughput-mode option: S4, topics and http have none
        case $sc in s4 | topics | http) style=() ;; esac
        # shellcheck disable=SC2086
        r=$($BENCH --port "$port" --server-pid "$pid" --json --duration "$DURATION" "${style[@]}" ${args[$sc]})
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
        if rs[0].get("mode") == "topics":
            per_sec = statistics.median(x["topics_per_sec"] for x in rs) / 1e3
            per_topic = statistics.median(x["bytes_per_topic"] for x in rs)
            per_event = statistics.median(x["bytes_per_retained_event"] for x in rs)
            line += f"  {v}: {per_sec:.0f}k topics/s, {per_topic:.0f} B/topic, {per_event:.0f} B/retained event"
            continue
        if rs[0].get("mode") == "http-publish":
            per_sec = statistics.median(x["published_per_sec"] for x in rs) / 1e3
            cpu = statistics.median(x["server_cpu_us_per_publish"] for x in rs)
            line += f"  {v}: {per_sec:.0f}k publishes/s {cpu:.3f} us"
            continue
        if "kib_per_connection" in rs[0]:
            kib = statistics.median(x["kib_per_connection"] for x in rs)
            line += f"  {v}: {kib:.2f} KiB per connection"
            continue
        rate = statistics.median(x["delivered_per_sec"] for x in rs) / 1e3
        cpu = statistics.median(x["server_cpu_us_per_delivery"] for x in rs)
        p99 = statistics.median(x["latency_ms"]["p99"] for x in rs)
        line += f"  {v}: {rate:.0f}k/s {cpu:.3f} us p99 {p99:.2f} ms [" + ",".join(
            f"{x['delivered_per_sec'] / 1e3:.0f}" for x in rs) + "]"
    print(line)
PY
