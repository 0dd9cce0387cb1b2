#!/usr/bin/env bash
# Runs the benchmark scenarios of docs/benchmarks.md with pubsub-bench
# against pubsubd and, in the same run, the Node.js reference server
# (../shared/reference/node-ws, or $NODE_REF). Everything targets 127.0.0.1
# and stops by itself. Results: one JSON object per line in
# bench-results/<time>.jsonl, and a summary on standard output.
#
#   scripts/bench.sh                 # every scenario
#   SCENARIOS="s1 s2" scripts/bench.sh
#   REPEAT=5 SCENARIOS="latency slow" SERVERS=pubsub scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
if [ ! -f build-release/build.ninja ]; then
  meson setup build-release --wrap-mode=nodownload -Dbuildtype=release -Dtests=false
fi
meson compile -C build-release pubsubd pubsub-bench >/dev/null

SCENARIOS=${SCENARIOS:-"s1 s2 latency slow s4"}
DURATION=${DURATION:-5}
REPEAT=${REPEAT:-3}
SERVERS=${SERVERS:-"pubsub node"}
BENCH=./build-release/pubsub-bench
mkdir -p bench-results
out="bench-results/$(date -u +%Y%m%dT%H%M%SZ).jsonl"

# The Node reference is read-only where it is shipped: copy and install it.
NODE_REF=${NODE_REF:-../shared/reference/node-ws}
node_dir=build-release/node-ws
if [[ " $SERVERS " == *" node "* ]]; then
  if [ ! -d "$node_dir/node_modules/ws" ]; then
    mkdir -p "$node_dir"
    cp "$NODE_REF"/package.json "$NODE_REF"/package-lock.json "$NODE_REF"/server.mjs "$node_dir"/
    (cd "$node_dir" && npm ci --silent --no-audit --no-fund)
  fi
fi

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
server_pid=
start_server() {  # name, then extra flags
  local name=$1; shift
  local log=bench-results/server-$name.log
  case $name in
    pubsub) ./build-release/pubsubd --host 127.0.0.1 --port 0 --log-level warn "$@" >"$log.out" 2>"$log" & ;;
    node) node "$node_dir/server.mjs" --host 127.0.0.1 --port 0 "$@" >"$log.out" 2>"$log" & ;;
  esac
  server_pid=$!
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$log.out")
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  echo "server $name did not start" >&2
  return 1
}
stop_server() { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true; }

run() {  # scenario name, server name, server flags..., --, bench flags...
  local scenario=$1 name=$2; shift 2
  local server_flags=()
  while [ "$1" != "--" ]; do server_flags+=("$1"); shift; done
  shift
  start_server "$name" "${server_flags[@]}"
  local result
  result=$($BENCH --port "$port" --server-pid "$server_pid" --json --duration "$DURATION" "$@" || true)
  stop_server
  echo "{\"scenario\":\"$scenario\",\"server\":\"$name\",\"result\":${result:-null}}" >>"$out"
  printf '%-8s %-7s %s\n' "$scenario" "$name" "$result"
}

s1_rate=0
for scenario in $SCENARIOS; do
  for name in $SERVERS; do
    case $scenario in
      # Max rate: acks pace the publishers, not the subscribers, so a queue
      # bound above the default keeps announced drops out of the count.
      s1) run s1 "$name" --max-queue 20000 -- --topics 1 --subscribers 100 --publishers 1 --payload 100 ;;
      s2) run s2 "$name" --max-queue 20000 -- --topics 10 --subscribers 100 --publishers 4 --payload 100 ;;
      latency|slow)
        # Half of pubsubd's own maximum S1 publish rate (measured first).
        if [ "$s1_rate" = 0 ]; then
          start_server pubsub --max-queue 20000
          s1_rate=$( ($BENCH --port "$port" --json --duration 3 --topics 1 --subscribers 100 --publishers 1 || true) |
                    python3 -c 'import json,sys; print(int(json.load(sys.stdin)["published_per_sec"] / 2))')
          stop_server
        fi
        # Tail latency on a shared 2-core machine varies from run to run:
        # repeat (REPEAT times, base and slow runs interleaved) and compare medians.
        for _ in $(seq "$REPEAT"); do
          if [ "$scenario" = latency ]; then
            run latency "$name" -- --topics 1 --subscribers 100 --publishers 1 --payload 100 --rate "$s1_rate"
          else
            run slow-base "$name" -- --topics 1 --subscribers 100 --publishers 1 --payload 100 --rate "$s1_rate"
            run slow-5pct "$name" -- --topics 1 --subscribers 100 --publishers 1 --payload 100 --rate "$s1_rate" \
              --slow-fraction 0.05
          fi
        done ;;
      s4)
        run s4-15k "$name" -- --mode connections --connections 15000
        # The target is 50 000; one process can hold at most `ulimit -Hn`
        # descriptors, so try the most this machine allows.
        most=$(( $(ulimit -Hn) - 1000 ))
        [ "$most" -gt 50000 ] && most=50000
        if [ "$name" = pubsub ]; then run s4-max "$name" -- --mode connections --connections "$most"; fi ;;
    esac
  done
done
echo "results: $out"
