#!/usr/bin/env bash
# What counting for /metrics costs per delivered event, measured two ways
# that do not depend on run-to-run noise (docs/benchmarks.md, "Counting for
# /metrics"):
#
#  1. Instructions. pubsubd as built, and the same sources built with
#     -Dmetrics_counting=false (build-uncounted), each run under callgrind
#     at a fixed publish rate while pubsub-bench drives S1, S2 and S6, at
#     --threads 1 and 2. Prints the instructions and steady-clock reads per
#     delivered event of each, and their difference.
#  2. Events per write. pubsubd as built at max rate, S1, S2 and S6, both
#     client styles and thread counts: /metrics gives the connection writes
#     (pubsub_outbound_queue_frames_count) and the events delivered, so the
#     clock reads per delivered event (one per write), and
#     /proc/<pid>/stat the server's CPU per delivered event.
#
# The nanoseconds of a clock read and of counting an event come from the
# micro-benchmarks: meson test -C build-test --benchmark (case "metrics
# counting").
#
#   scripts/counting-cost.sh                 # both parts
#   PARTS=callgrind scripts/counting-cost.sh
#   PARTS=writes DURATION=5 scripts/counting-cost.sh
#   SHAPES=s6 THREADS=2 KEEP=1 PARTS=callgrind scripts/counting-cost.sh   (keeps the profiles)
# Everything targets 127.0.0.1 and stops by itself; results go to
# bench-results/counting-<time>.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/server_port.sh
command -v valgrind >/dev/null || { echo "counting-cost.sh needs valgrind (apt-get install valgrind)" >&2; exit 1; }
BUILD=${BUILD:-build-release}
PARTS=${PARTS:-"callgrind writes"}
DURATION=${DURATION:-3}
SHAPES=${SHAPES:-"s1 s2 s6"}
THREADS=${THREADS:-"1 2"}
if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" --wrap-mode=nodownload -Dbuildtype=release -Dtests=false
fi
if [ ! -f build-uncounted/build.ninja ]; then
  meson setup build-uncounted --wrap-mode=nodownload -Dbuildtype=release -Dtests=false -Dexamples=false \
    -Dmetrics_counting=false >/dev/null
fi
meson compile -C "$BUILD" pubsubd pubsub-bench >/dev/null
meson compile -C build-uncounted pubsubd >/dev/null
BENCH=./$BUILD/pubsub-bench
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p bench-results
out="bench-results/counting-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
work=$(mktemp -d "${TMPDIR:-/tmp}/pubsub-counting.XXXXXX")
if [ -n "${KEEP:-}" ]; then echo "profiles kept in $work" >&2; else trap 'rm -rf "$work"' EXIT; fi

# The three shapes: name, topics, subscribers per topic, publishers, and
# the fixed rate under callgrind (low enough for the instrumented server).
shapes=("s1 1 100 1 200" "s2 10 100 4 200" "s6 1000 5 8 2000")

# Part 1: one callgrind run. Prints one JSON object.
callgrind_run() {  # binary, label, threads, topics, subscribers, publishers, rate
  local binary=$1 label=$2 threads=$3 topics=$4 subscribers=$5 publishers=$6 rate=$7
  local profile=$work/$label-$threads-$topics-$rate.out log=$work/server.out
  : >"$log"
  valgrind --tool=callgrind --callgrind-out-file="$profile" "$binary" --host 127.0.0.1 --port 0 --log-level warn \
    --threads "$threads" --heartbeat-interval 0 --max-queue 20000 >"$log" 2>"$work/valgrind.log" &
  local pid=$!
  local port
  port=$(WAIT_TRIES=600 wait_for_port "$log") || { echo "callgrind server did not start" >&2; kill "$pid"; return 1; }
  $BENCH --port "$port" --client-style per-frame --rate "$rate" --duration "$DURATION" --topics "$topics" \
    --subscribers "$subscribers" --publishers "$publishers" --json >"$work/bench.json"
  # Every publish reached every subscriber of its topic (all subscribed
  # before the first publish): deliveries are the topics' seqs times that.
  local stats
  stats=$(curl -s -m 30 "http://127.0.0.1:$port/stats")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  /usr/bin/python3 - "$profile" "$stats" "$subscribers" "$label" "$threads" "$topics" "$rate" "$work/bench.json" <<'EOF'
import json, re, subprocess, sys
profile, stats, subscribers, label, threads, topics, rate, bench = sys.argv[1:]
deliveries = sum(t["seq"] for t in json.loads(stats)["topics"].values()) * int(subscribers)
tree = subprocess.run(["callgrind_annotate", "--tree=caller", profile], capture_output=True, text=True).stdout
total = int(re.search(r"^\s*([\d,]+) .*PROGRAM TOTALS", tree, re.M).group(1).replace(",", ""))
# Calls of steady_clock::now from any caller: "N (..%)  < caller (CALLSx)".
clock = 0
for block in tree.split("\n\n"):
    if re.search(r"\*\s+\?\?\?:std::chrono::_V2::steady_clock::now\(\)", block):
        clock += sum(int(c.replace(",", "")) for c in re.findall(r"<.*\(([\d,]+)x\)", block))
result = json.load(open(bench))
print(json.dumps({"part": "callgrind", "server": label, "threads": int(threads), "topics": int(topics),
                  "rate": int(rate), "deliveries": deliveries, "instructions": total,
                  "clock_reads": clock, "lost": result["expected"] - result["delivered"]}))
EOF
}

# Part 2: one max-rate run of the counted server, /metrics read at its end.
writes_run() {  # threads, style, topics, subscribers, publishers
  local threads=$1 style=$2 topics=$3 subscribers=$4 publishers=$5 log=$work/server.out
  : >"$log"
  "./$BUILD/pubsubd" --host 127.0.0.1 --port 0 --log-level warn --threads "$threads" --max-queue 20000 >"$log" \
    2>/dev/null &
  local pid=$!
  local port
  port=$(wait_for_port "$log") || { echo "server did not start" >&2; kill "$pid"; return 1; }
  $BENCH --port "$port" --client-style "$style" --duration "$DURATION" --topics "$topics" \
    --subscribers "$subscribers" --publishers "$publishers" --server-pid "$pid" --json >"$work/bench.json"
  curl -s -m 10 "http://127.0.0.1:$port/metrics" >"$work/metrics.txt"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  /usr/bin/python3 - "$work/bench.json" "$work/metrics.txt" "$threads" "$style" "$topics" <<'EOF'
import json, re, sys
bench, metrics, threads, style, topics = sys.argv[1:]
text = open(metrics).read()
def total(name):
    return sum(float(v) for v in re.findall(r"^" + name + r"(?:\{[^}]*\})? (\S+)$", text, re.M))
r = json.load(open(bench))
delivered = total("pubsub_messages_delivered_total")
print(json.dumps({"part": "writes", "threads": int(threads), "client_style": style, "topics": int(topics),
                  "delivered_per_sec": r["delivered_per_sec"],
                  "server_cpu_us_per_delivery": r["server_cpu_us_per_delivery"],
                  "events_per_write": delivered / total("pubsub_outbound_queue_frames_count"),
                  "deliveries_per_publish": delivered / total("pubsub_messages_published_total"),
                  "lost": r["expected"] - r["delivered"]}))
EOF
}

for part in $PARTS; do
  for shape in "${shapes[@]}"; do
    set -- $shape
    [[ " $SHAPES " == *" $1 "* ]] || continue
    for threads in $THREADS; do
      case $part in
        callgrind)
          # At the fixed rate each write carries about one event (the most
          # clock reads per event); at max rate (0) the instrumented server is
          # the bottleneck and its writes carry many.
          for rate in "$5" 0; do
            for label in counted uncounted; do
              binary=./$BUILD/pubsubd
              [ "$label" = uncounted ] && binary=./build-uncounted/pubsubd
              callgrind_run "$binary" "$label" "$threads" "$2" "$3" "$4" "$rate" | tee -a "$out"
            done
          done ;;
        writes)
          for style in batched per-frame; do writes_run "$threads" "$style" "$2" "$3" "$4" | tee -a "$out"; done ;;
      esac
    done
  done
done

echo
/usr/bin/python3 - "$out" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
runs = {(r["topics"], r["threads"], r["rate"], r["server"]): r for r in rows if r["part"] == "callgrind"}
names = {1: "S1", 10: "S2", 1000: "S6"}
if runs:
    print("per delivered event, under callgrind (rate 0: as fast as the instrumented server goes):")
    print(f"{'':4}{'thr':>4}{'rate':>6}{'instr counted':>15}{'uncounted':>11}{'added':>7}{'clock reads added':>19}")
    for (topics, threads, rate, server), r in sorted(runs.items()):
        if server != "counted" or (topics, threads, rate, "uncounted") not in runs:
            continue
        u = runs[(topics, threads, rate, "uncounted")]
        a, b = r["instructions"] / r["deliveries"], u["instructions"] / u["deliveries"]
        clocks = r["clock_reads"] / r["deliveries"] - u["clock_reads"] / u["deliveries"]
        print(f"{names[topics]:4}{threads:>4}{rate:>6}{a:>15.0f}{b:>11.0f}{a - b:>7.1f}{clocks:>19.2f}")
writes = [r for r in rows if r["part"] == "writes"]
if writes:
    print("at max rate, counted:")
    print(f"{'':4}{'thr':>4}  {'style':<10}{'delivered/s':>12}{'us/dlv':>8}{'events/write':>14}{'dlv/publish':>12}")
    for r in writes:
        print(f"{names[r['topics']]:4}{r['threads']:>4}  {r['client_style']:<10}{r['delivered_per_sec']:>12,.0f}"
              f"{r['server_cpu_us_per_delivery']:>8.3f}{r['events_per_write']:>14.1f}{r['deliveries_per_publish']:>12.1f}")
EOF
echo "results: $out"
