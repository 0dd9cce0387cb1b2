#!/usr/bin/env bash
# Runs the benchmark scenarios of docs/benchmarks.md with pubsub-bench
# against pubsubd (once per thread count) and, in the same run, the Node.js
# reference server (../shared/reference/node-ws, or $NODE_REF; one event
# loop, so once), each with both client styles of pubsub-bench. Everything
# targets 127.0.0.1 and stops by itself. Results: one JSON object per run in
# bench-results/<time>.jsonl ({"scenario", "server", "threads",
# "client_style", "result"}), and a summary table on standard output.
#
#   scripts/bench.sh                 # every scenario
#   SCENARIOS="s1 s2" scripts/bench.sh
#   REPEAT=5 SCENARIOS="latency slow" SERVERS=pubsub scripts/bench.sh
#   THREADS=2 STYLES=per-frame DURATION=3 SCENARIOS="s2 s6" scripts/bench.sh
#   SERVERS=pubsub THREADS=2 SCENARIOS="topics http" scripts/bench.sh
#   REPEAT=2 SCENARIOS=tokens scripts/bench.sh         (S1 and S6 with and without a token)
#   REPEAT=2 SCENARIOS=tls scripts/bench.sh            (S1 and S2 over ws:// and wss://)
#   REPEAT=8 SCENARIOS=metrics scripts/bench.sh        (S1, S2, S6 counting for /metrics and not;
#                                                       scripts/metrics-ab-summary.py summarises the pairs)
#   SCENARIOS=cluster scripts/bench.sh                 (S1, S2, S6 and latency on two nodes through a
#                                                       private valkey-server, beside one node --engine memory)
#   BUILD=build-other SCENARIOS=cluster scripts/bench.sh   (the binaries of another release build directory)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/server_port.sh
bash scripts/deps.sh
BUILD=${BUILD:-build-release}
if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" --wrap-mode=nodownload -Dbuildtype=release -Dtests=false
fi
meson compile -C "$BUILD" pubsubd pubsub-bench >/dev/null

SCENARIOS=${SCENARIOS:-"s1 s2 s3 s5 s6 s7 latency slow s4 topics http"}
DURATION=${DURATION:-5}
REPEAT=${REPEAT:-3}
SERVERS=${SERVERS:-"pubsub node"}
THREADS=${THREADS:-"1 2"}                   # pubsubd --threads; Node is one thread
STYLES=${STYLES:-"batched per-frame"}       # pubsub-bench --client-style
BENCH=./$BUILD/pubsub-bench
mkdir -p bench-results
out="bench-results/$(date -u +%Y%m%dT%H%M%SZ).jsonl"

# The Node reference is read-only where it is shipped: copy and install it.
NODE_REF=${NODE_REF:-../shared/reference/node-ws}
node_dir=$BUILD/node-ws
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
  : >"$log.out"  # emptied before the server starts, so that no earlier run's port is read
  case $name in
    pubsub) "./$BUILD/pubsubd" --host 127.0.0.1 --port 0 --log-level warn "$@" >"$log.out" 2>"$log" & ;;
    # The same server built with -Dmetrics_counting=false (scenario metrics).
    pubsub-uncounted)
      ./build-uncounted/pubsubd --host 127.0.0.1 --port 0 --log-level warn "$@" >"$log.out" 2>"$log" & ;;
    node) node "$node_dir/server.mjs" --host 127.0.0.1 --port 0 "$@" >"$log.out" 2>"$log" & ;;
  esac
  server_pid=$!
  port=$(wait_for_port "$log.out") && return 0
  echo "server $name did not start" >&2
  return 1
}
stop_server() {
  [ -n "$server_pid" ] || return 0
  kill "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

# Scenario cluster: a private valkey-server and two pubsubd nodes sharing it
# (--engine redis), started afresh for each run like the single servers.
cluster_dir=
valkey_pid=
node_pids=()
node_ports=()
valkey_url=
start_valkey() {  # a free port, answering PING within 5 s; false if it did not come up
  local valkey_port
  valkey_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  valkey-server --port "$valkey_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$cluster_dir" \
    --logfile "$cluster_dir/valkey.log" &
  valkey_pid=$!
  valkey_url=redis://127.0.0.1:$valkey_port
  for _ in $(seq 100); do
    valkey-cli -p "$valkey_port" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.05
  done
  echo "valkey-server did not answer on port $valkey_port:" >&2
  tail -n 5 "$cluster_dir/valkey.log" >&2
  return 1
}
start_cluster() {  # threads, then extra pubsubd flags
  local threads=$1; shift
  cluster_dir=$(mktemp -d "${TMPDIR:-/tmp}/pubsub-bench-cluster.XXXXXX")
  start_valkey || return 1
  local node log health
  for node in a b; do
    log=bench-results/server-cluster-$node.log
    : >"$log.out"
    "./$BUILD/pubsubd" --host 127.0.0.1 --port 0 --log-level warn --threads "$threads" --engine redis \
      --redis-url "$valkey_url" "$@" >"$log.out" 2>"$log" &
    node_pids+=($!)
    port=$(wait_for_port "$log.out") || { echo "cluster node $node did not start" >&2; return 1; }
    # Serving topics needs Valkey: /health says 200 once the node reaches it.
    health=
    for _ in $(seq 100); do
      health=$(curl -s -m 2 -w ' HTTP %{http_code}' "http://127.0.0.1:$port/health") || true
      [[ $health == *" HTTP 200" ]] && break
      sleep 0.1
    done
    [[ $health == *" HTTP 200" ]] || { echo "cluster node $node is not healthy: $health" >&2; return 1; }
    node_ports+=("$port")
  done
}
stop_cluster() {
  local pid
  for pid in "${node_pids[@]}" $valkey_pid; do kill "$pid" 2>/dev/null || true; done
  for pid in "${node_pids[@]}" $valkey_pid; do wait "$pid" 2>/dev/null || true; done
  node_pids=() node_ports=() valkey_pid=
  [ -z "$cluster_dir" ] || rm -rf "$cluster_dir"
  cluster_dir=
}
trap 'stop_server; stop_cluster' EXIT
trap 'exit 130' INT TERM

run() {  # scenario, server name, threads, client style, server flags..., --, bench flags...
  local scenario=$1 name=$2 threads=$3 style=$4; shift 4
  local server_flags=()
  [[ $name == pubsub* ]] && server_flags+=(--threads "$threads")
  while [ "$1" != "--" ]; do server_flags+=("$1"); shift; done
  shift
  start_server "$name" "${server_flags[@]}"
  local result
  result=$($BENCH --port "$port" --server-pid "$server_pid" --json --duration "$DURATION" --client-style "$style" "$@" ||
           true)
  stop_server
  echo "{\"scenario\":\"$scenario\",\"server\":\"$name\",\"threads\":$threads,\"client_style\":\"$style\",\"result\":${result:-null}}" >>"$out"
  printf '%-9s %-16s %s %-9s %s\n' "$scenario" "$name" "$threads" "$style" "$result"
}

# One run against the two nodes of start_cluster: subscribers and publishers
# spread over both, CPU summed over both nodes and valkey-server (and given
# per process in the result's "servers").
run_cluster() {  # scenario, threads, client style, pubsubd flags..., --, bench flags...
  local scenario=$1 threads=$2 style=$3; shift 3
  local server_flags=()
  while [ "$1" != "--" ]; do server_flags+=("$1"); shift; done
  shift
  local result= bench_flags=()
  # A start that fails (a port taken between its choice and its use) is
  # tried once more.
  start_cluster "$threads" "${server_flags[@]}" || { stop_cluster; start_cluster "$threads" "${server_flags[@]}"; } ||
    true
  if [ ${#node_ports[@]} = 2 ]; then
    bench_flags=(--port "${node_ports[0]}" --port "${node_ports[1]}" --server-pid "${node_pids[0]}"
                 --server-pid "${node_pids[1]}" --server-pid "$valkey_pid")
    result=$(timeout 120 $BENCH "${bench_flags[@]}" --json --duration "$DURATION" --client-style "$style" "$@" ||
             true)
  fi
  stop_cluster
  echo "{\"scenario\":\"$scenario\",\"server\":\"pubsub-cluster\",\"nodes\":2,\"threads\":$threads,\"client_style\":\"$style\",\"result\":${result:-null}}" >>"$out"
  printf '%-9s %-16s %s %-9s %s\n' "$scenario" pubsub-cluster "$threads" "$style" "$result"
}

# Every server configuration: "pubsub:1", "pubsub:2", "node:1".
configs=()
for name in $SERVERS; do
  if [ "$name" = pubsub ]; then
    for threads in $THREADS; do configs+=("pubsub:$threads"); done
  else
    configs+=("$name:1")
  fi
done

every() {  # scenario, server flags..., --, bench flags...: each configuration, each client style
  local scenario=$1; shift
  for config in "${configs[@]}"; do
    for style in $STYLES; do run "$scenario" "${config%%:*}" "${config##*:}" "$style" "$@"; done
  done
}

# Half of pubsubd's own maximum S1 publish rate (measured once, with its
# default thread count and the batched client).
s1_rate=0
half_s1_rate() {
  if [ "$s1_rate" = 0 ]; then
    start_server pubsub --max-queue 20000
    s1_rate=$( ($BENCH --port "$port" --json --duration 3 --topics 1 --subscribers 100 --publishers 1 || true) |
              python3 -c 'import json,sys; print(int(json.load(sys.stdin)["published_per_sec"] / 2))')
    stop_server
  fi
}

# Max rate: acks pace the publishers, not the subscribers, so queue bounds
# above the defaults keep announced drops out of the count.
big_queues=(--max-queue 20000)
for scenario in $SCENARIOS; do
  case $scenario in
    s1) every s1 "${big_queues[@]}" -- --topics 1 --subscribers 100 --publishers 1 --payload 100 ;;
    s2) every s2 "${big_queues[@]}" -- --topics 10 --subscribers 100 --publishers 4 --payload 100 ;;
    s3) every s3 -- --topics 1 --subscribers 1000 --publishers 1 --payload 100 --rate 200 ;;
    s5) every s5 "${big_queues[@]}" -- --topics 1 --subscribers 5000 --publishers 1 --payload 100 ;;
    s6) every s6 "${big_queues[@]}" -- --topics 1000 --subscribers 5 --publishers 8 --payload 100 ;;
    # 20 000 frames of 16 KiB pass the default 16 MiB byte bound.
    s7) every s7 "${big_queues[@]}" --max-queue-bytes 1073741824 -- --topics 1 --subscribers 100 --publishers 1 \
          --payload 16384 ;;
    tokens)
      # S1 and S6 with every connection holding a token (grants "*"), each
      # run beside the same run without authentication, REPEAT times.
      secret=bench-secret-bench-secret-bench-secret
      token=$(PUBSUB_JWT_SECRET=$secret node examples/issue_token.mjs --sub bench --subscribe '*' --publish '*' \
              --admin --ttl 86400)
      for _ in $(seq "$REPEAT"); do
        for threads in $THREADS; do
          for style in $STYLES; do
            run s1-open pubsub "$threads" "$style" "${big_queues[@]}" -- --topics 1 --subscribers 100 --publishers 1
            run s1-token pubsub "$threads" "$style" "${big_queues[@]}" --jwt-secret "$secret" -- --topics 1 \
              --subscribers 100 --publishers 1 --token "$token"
            run s6-open pubsub "$threads" "$style" "${big_queues[@]}" -- --topics 1000 --subscribers 5 --publishers 8
            run s6-token pubsub "$threads" "$style" "${big_queues[@]}" --jwt-secret "$secret" -- --topics 1000 \
              --subscribers 5 --publishers 8 --token "$token"
          done
        done
      done ;;
    tls)
      # S1 and S2 over plain ws:// and over wss:// (TLS 1.3, a P-256
      # certificate made here), each pair run back to back, REPEAT times.
      tls_dir=bench-results/tls
      if [ ! -f "$tls_dir/cert.pem" ]; then
        mkdir -p "$tls_dir"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -subj /CN=127.0.0.1 \
          -keyout "$tls_dir/key.pem" -out "$tls_dir/cert.pem" 2>/dev/null
      fi
      tls_flags=(--tls-cert "$tls_dir/cert.pem" --tls-key "$tls_dir/key.pem")
      for _ in $(seq "$REPEAT"); do
        for threads in $THREADS; do
          for style in $STYLES; do
            run s1-ws pubsub "$threads" "$style" "${big_queues[@]}" -- --topics 1 --subscribers 100 --publishers 1
            run s1-wss pubsub "$threads" "$style" "${big_queues[@]}" "${tls_flags[@]}" -- --topics 1 \
              --subscribers 100 --publishers 1 --tls
            run s2-ws pubsub "$threads" "$style" "${big_queues[@]}" -- --topics 10 --subscribers 100 --publishers 4
            run s2-wss pubsub "$threads" "$style" "${big_queues[@]}" "${tls_flags[@]}" -- --topics 10 \
              --subscribers 100 --publishers 4 --tls
          done
        done
      done ;;
    metrics)
      # What counting for /metrics costs: S1, S2 and S6 against the server
      # as built and against the same sources built with
      # -Dmetrics_counting=false, each pair back to back, REPEAT times.
      if [ ! -f build-uncounted/build.ninja ]; then
        meson setup build-uncounted --wrap-mode=nodownload -Dbuildtype=release -Dtests=false -Dexamples=false \
          -Dmetrics_counting=false >/dev/null
      fi
      meson compile -C build-uncounted pubsubd >/dev/null
      for _ in $(seq "$REPEAT"); do
        for threads in $THREADS; do
          for style in $STYLES; do
            for name in pubsub pubsub-uncounted; do
              run s1 "$name" "$threads" "$style" "${big_queues[@]}" -- --topics 1 --subscribers 100 --publishers 1
            done
            for name in pubsub pubsub-uncounted; do
              run s2 "$name" "$threads" "$style" "${big_queues[@]}" -- --topics 10 --subscribers 100 --publishers 4
            done
            for name in pubsub pubsub-uncounted; do
              run s6 "$name" "$threads" "$style" "${big_queues[@]}" -- --topics 1000 --subscribers 5 --publishers 8
            done
          done
        done
      done ;;
    latency|slow)
      half_s1_rate
      # Tail latency on a shared 2-core machine varies from run to run:
      # repeat (REPEAT times, base and slow runs interleaved) and compare medians.
      for _ in $(seq "$REPEAT"); do
        if [ "$scenario" = latency ]; then
          every latency -- --topics 1 --subscribers 100 --publishers 1 --payload 100 --rate "$s1_rate"
        else
          every slow-base -- --topics 1 --subscribers 100 --publishers 1 --payload 100 --rate "$s1_rate"
          every slow-5pct -- --topics 1 --subscribers 100 --publishers 1 --payload 100 --rate "$s1_rate" \
            --slow-fraction 0.05
        fi
      done ;;
    s4)
      # Connections mode holds idle connections: one client style is enough.
      # The target is 50 000; one process can hold at most `ulimit -Hn`
      # descriptors, so also try the most this machine allows (pubsubd only).
      most=$(( $(ulimit -Hn) - 1000 ))
      [ "$most" -gt 50000 ] && most=50000
      for config in "${configs[@]}"; do
        name=${config%%:*} threads=${config##*:}
        run s4-15k "$name" "$threads" batched -- --mode connections --connections 15000
        if [ "$name" = pubsub ]; then
          run s4-max "$name" "$threads" batched -- --mode connections --connections "$most"
        fi
      done ;;
    topics)
      # Many topics (contract section 9's memory targets): a million topics
      # over pipelined REST, then 100 retained messages in 10 000 of them.
      # pubsubd only (the Node reference has no batch publish).
      for threads in $THREADS; do
        run topics pubsub "$threads" batched --max-topics 2000000 -- --mode topics --topics 1000000 --publishers 2 --window 64 \
          --retain 100 --retain-topics 10000
      done ;;
    http)
      # Publishing over keep-alive HTTP against publishing over WebSocket,
      # no subscribers, 10 topics: 4 connections with 64 requests in flight
      # each, and 1 connection waiting for each answer. pubsubd only.
      for threads in $THREADS; do
        for shape in "4 64" "1 1"; do
          set -- $shape
          run http-ws pubsub "$threads" per-frame -- --topics 10 --subscribers 0 --publishers "$1" --window "$2" \
            --poll-interval-us 0
          run http pubsub "$threads" batched -- --mode http-publish --topics 10 --publishers "$1" --window "$2"
        done
      done ;;
    cluster)
      # Two nodes through one private valkey-server (--engine redis) against
      # one node --engine memory, each pair back to back: S1, S2 and S6 at
      # max rate, then S1 at 10 000 publishes/s for the latency (REPEAT times).
      command -v valkey-server >/dev/null ||
        { echo "scenario cluster needs valkey-server (scripts/deps.sh --tests installs it)" >&2; continue; }
      cluster_flags=("${big_queues[@]}" --auto-create-topics true)
      for threads in $THREADS; do
        for style in $STYLES; do
          for shape in "s1 1 100 1" "s2 10 100 4" "s6 1000 5 8"; do
            set -- $shape
            bench_flags=(--topics "$2" --subscribers "$3" --publishers "$4" --payload 100)
            run "$1" pubsub "$threads" "$style" "${cluster_flags[@]}" -- "${bench_flags[@]}"
            run_cluster "$1" "$threads" "$style" "${cluster_flags[@]}" -- "${bench_flags[@]}"
          done
          for _ in $(seq "$REPEAT"); do
            bench_flags=(--topics 1 --subscribers 100 --publishers 1 --payload 100 --rate 10000)
            run latency-10k pubsub "$threads" "$style" "${cluster_flags[@]}" -- "${bench_flags[@]}"
            run_cluster latency-10k "$threads" "$style" "${cluster_flags[@]}" -- "${bench_flags[@]}"
          done
        done
      done ;;
    *) echo "unknown scenario $scenario" >&2 ;;
  esac
done

echo
python3 - "$out" <<'EOF'
import json, sys

print(f"{'scenario':<10}{'server':<17}{'thr':>3}  {'style':<10}{'delivered/s':>12}{'srv us/dlv':>11}"
      f"{'p99 ms':>9}  lost/reordered")
for line in open(sys.argv[1]):
    row = json.loads(line)
    r = row["result"] or {}
    head = f"{row['scenario']:<10}{row['server']:<17}{row['threads']:>3}  {row['client_style']:<10}"
    if not r:
        print(head + "  (no result)")
    elif r.get("mode") == "connections":
        print(head + f"{r['held']:>8} held, {r['kib_per_connection']:.2f} KiB per connection, {r['failed']} failed")
    elif r.get("mode") == "topics":
        print(head + f"{r['topics_per_sec']:>12,.0f} topics/s, {r['bytes_per_topic']:.0f} B per topic, "
              f"{r['bytes_per_retained_event']:.0f} B per retained {r['frame_bytes']}-byte frame")
    elif r.get("mode") == "http-publish":
        print(head + f"{r['published_per_sec']:>12,.0f} HTTP publishes/s, "
              f"{r.get('server_cpu_us_per_publish', 0):.3f} us server CPU each ({r['connections']}x{r['window']})")
    elif r["subscribers_per_topic"] == 0:
        print(head + f"{r['published_per_sec']:>12,.0f} WebSocket publishes/s, "
              f"{r.get('server_cpu_us_per_publish', 0):.3f} us server CPU each ({r['publishers']}x{r['window']})")
    else:
        lost = r["expected"] - r["delivered"]
        print(head + f"{r['delivered_per_sec']:>12,.0f}{r.get('server_cpu_us_per_delivery', 0):>11.3f}"
              f"{r['latency_ms']['p99']:>9.2f}  {lost}/{r['reordered']}")
        if r.get("servers"):
            print(" " * 44 + "us/dlv per process: " +
                  ", ".join(f"{s['name']} {s['cpu_us_per_delivery']:.3f}" for s in r["servers"]))
EOF
echo "results: $out"
