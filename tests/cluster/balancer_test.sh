#!/usr/bin/env bash
# The cluster of examples/cluster without containers: a private
# valkey-server, three pubsubd nodes sharing it (--engine redis), and
# HAProxy run with examples/cluster/haproxy.cfg, the file compose.yaml
# uses, its addresses given through the environment. Through the
# balancer's one port, with the pubsub command-line client and curl, it
# checks the contract's core spread over the three nodes (section 15):
#   1. a topic created over REST exists on every node, with one epoch;
#   2. subscribers land on every node (each node's GET /stats);
#   3. three WebSocket publishers, each on another node (each node's
#      /metrics), and one over HTTP publish at the same time: every
#      subscriber prints every message once, seqs 1..N in order, in the
#      epoch of its ack, each message at the seq its publisher was given;
#   4. GET /topics/{name}/messages returns the same messages;
#   5. DELETE /topics/{name}: every subscriber is told (topic_deleted) and
#      exits; no node knows the topic any more;
#   6. a node that stops is taken out by the health check and the balancer
#      serves on; when Valkey stops, every node reports 503 "degraded" and
#      the balancer takes them all out.
# Every wait is bounded, every process started here is stopped on exit.
# Prints what failed and exits 1; exits 0 when everything holds.
#
# Environment (meson test sets them): PUBSUBD and PUBSUB_CLI, the pubsubd
# and pubsub binaries; VALKEY_SERVER and HAPROXY, when empty or unset,
# default to valkey-server (or redis-server) and haproxy from PATH.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
config=$(cd "$here/../../examples/cluster" && pwd)/haproxy.cfg

subscribers=6    # two per node
per_publisher=20 # messages each publisher sends
ws_publishers=3  # one per node
total=$((per_publisher * (ws_publishers + 1)))  # and one publisher over HTTP
topic=orders.cluster

work=
pids=()
fail() {
  echo "balancer_test: FAILED: $*" >&2
  [ -n "$work" ] && show_logs
  exit 1
}
say() { echo "balancer_test: $*"; }

# The end of every log, to see why a step failed.
show_logs() {
  local log
  for log in "$work"/*.log "$work"/*.err; do
    [ -s "$log" ] || continue
    echo "---- ${log##*/} (last lines)" >&2
    tail -n 12 "$log" >&2
  done
}

# Stops every process started here: SIGTERM, up to 5 s, then SIGKILL.
# Each runs under `timeout --foreground` besides (start below), so that
# none outlives the test by long even if this shell is killed outright.
cleanup() {
  local pid alive
  [ "$BASHPID" = "$$" ] || return 0
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for _ in $(seq 50); do
    alive=false
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=true; done
    $alive || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  wait 2>/dev/null
  [ -n "$work" ] && rm -rf "$work"
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

# Starts COMMAND... in the background, for at most 240 s (the test's
# meson timeout is 300 s); `timeout` passes SIGTERM on to it. Its PID
# goes into `started` and the processes to stop.
start() {
  timeout --foreground 240 "$@" &
  started=$!
  pids+=("$started")
}

# Waits for PID (started here) and drops it from the processes to stop;
# returns its exit status.
reap() {  # PID
  local pid=$1 p status kept=()
  wait "$pid" 2>/dev/null
  status=$?
  for p in "${pids[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
  pids=("${kept[@]}")
  return "$status"
}

# Runs COMMAND... every 0.1 s until it succeeds; fails the test, saying
# WHAT did not happen, after SECONDS.
wait_until() {
  local limit=$1 what=$2
  shift 2
  local end=$((SECONDS + limit))
  until "$@"; do
    [ "$SECONDS" -lt "$end" ] || fail "$what: not within $limit s"
    sleep 0.1
  done
}

# ---- tools ------------------------------------------------------------
pubsubd=${PUBSUBD:-}
cli=${PUBSUB_CLI:-}
[ -n "$pubsubd" ] && [ -x "$pubsubd" ] || fail "set PUBSUBD to the pubsubd binary (meson test does)"
[ -n "$cli" ] && [ -x "$cli" ] || fail "set PUBSUB_CLI to the pubsub binary (meson test does)"
valkey=${VALKEY_SERVER:-}
[ -n "$valkey" ] || valkey=$(command -v valkey-server || command -v redis-server) ||
  fail "neither valkey-server nor redis-server is installed (scripts/deps.sh --tests installs valkey-server)"
haproxy=${HAPROXY:-}
[ -n "$haproxy" ] || haproxy=$(command -v haproxy) ||
  fail "haproxy is not installed (scripts/deps.sh --tests installs it)"
for tool in curl python3 timeout; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/deps.sh --tests installs it)"
done
[ -f "$config" ] || fail "$config is missing"

work=$(mktemp -d "${TMPDIR:-/tmp}/pubsub-cluster-XXXXXX") || fail "mktemp failed"

# Free ports on 127.0.0.1 for Valkey, the balancer and its statistics page.
read -r valkey_port lb_port stats_port < <(python3 -c '
import socket
sockets = [socket.socket() for _ in range(3)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in sockets])')
[ -n "${stats_port:-}" ] || fail "no free ports"
lb=127.0.0.1:$lb_port

# GET (or another METHOD) on http://ADDRESS/PATH: the body into FILE,
# the status on standard output.
http() {  # METHOD ADDRESS PATH FILE [curl arguments]
  local method=$1 address=$2 path=$3 file=$4
  shift 4
  curl -s --max-time 10 -o "$file" -w '%{http_code}' -X "$method" "$@" "http://$address$path"
}

# ---- Valkey, three nodes, HAProxy --------------------------------------
valkey_answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/$valkey_port" && printf 'PING\r\n' >&3 && IFS= read -r -t 1 line <&3 &&
    [[ $line == +PONG* ]]) 2>/dev/null
}
mkdir "$work/valkey"
start "$valkey" --port "$valkey_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work/valkey" \
  >"$work/valkey.log" 2>&1
valkey_pid=$started
wait_until 10 "valkey-server answering PING on port $valkey_port" valkey_answers

node_pid=()
node_address=()
for i in 1 2 3; do
  start "$pubsubd" --engine redis --redis-url "redis://127.0.0.1:$valkey_port" --host 127.0.0.1 --port 0 \
    --heartbeat-interval 0 >"$work/node$i.out" 2>"$work/node$i.log"
  node_pid[i]=$started
done
for i in 1 2 3; do
  wait_until 15 "node $i printing its 'listening on' line" grep -q '^listening on ' "$work/node$i.out"
  port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$work/node$i.out")
  [ -n "$port" ] || fail "node $i: no port in '$(cat "$work/node$i.out")'"
  node_address[i]=127.0.0.1:$port
done
say "valkey-server on port $valkey_port; nodes on ${node_address[*]}"

export PUBSUB_LB_BIND=$lb PUBSUB_LB_STATS_BIND=127.0.0.1:$stats_port
export PUBSUB_NODE1=${node_address[1]} PUBSUB_NODE2=${node_address[2]} PUBSUB_NODE3=${node_address[3]}
"$haproxy" -c -f "$config" >"$work/haproxy-check.log" 2>&1 || fail "haproxy -c rejects $config"
start "$haproxy" -db -f "$config" >"$work/haproxy.log" 2>&1

# The nodes HAProxy reports in STATE (UP, DOWN) on its statistics page.
nodes_in_state() {  # STATE
  curl -s --max-time 5 "http://127.0.0.1:$stats_port/;csv" |
    awk -F, -v state="$1" '$1 == "pubsub_nodes" && $2 ~ /^node/ && $18 ~ "^" state { print $2 }'
}
three_up() { [ "$(nodes_in_state UP | wc -l)" -eq 3 ]; }
wait_until 15 "HAProxy reporting the three nodes UP" three_up
say "HAProxy on $lb, statistics on 127.0.0.1:$stats_port"

# ---- 1. a topic created through the balancer exists on every node --------
code=$(http POST "$lb" /topics "$work/create.json" -H 'Content-Type: application/json' -d "{\"name\":\"$topic\"}")
[ "$code" = 201 ] || fail "POST /topics through the balancer: $code $(cat "$work/create.json")"
for i in 1 2 3; do
  code=$(http GET "${node_address[i]}" "/topics/$topic" "$work/topic-node$i.json")
  [ "$code" = 200 ] || fail "node $i does not know the topic created through the balancer: $code $(cat "$work/topic-node$i.json")"
done

# ---- 2. subscribers on every node ----------------------------------------
sub_pid=()
for i in $(seq "$subscribers"); do
  start "$cli" --url "ws://$lb" --timeout 10 sub "$topic" --all-frames --client-id "s$i" \
    >"$work/sub$i.out" 2>"$work/sub$i.err"
  sub_pid[i]=$started
  # One at a time: the balancer sees each connection before the next.
  wait_until 15 "subscriber $i's ack" grep -q '"type":"ack"' "$work/sub$i.out"
done

# GET /stats's FIELD on node I.
node_stat() {  # I FIELD
  http GET "${node_address[$1]}" /stats "$work/stats.json" >/dev/null &&
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/stats.json" "$2"
}
held=()
for i in 1 2 3; do
  held[i]=$(node_stat "$i" websocket_connections) || fail "GET /stats on node $i failed"
done
say "subscribers per node: ${held[*]}"
[ $((held[1] + held[2] + held[3])) -eq "$subscribers" ] ||
  fail "the nodes hold ${held[*]} WebSocket connections, not $subscribers in all"
for i in 1 2 3; do
  [ "${held[i]}" -ge 1 ] || fail "no subscriber landed on node $i (per node: ${held[*]})"
done

# ---- 3. publishers on every node, at the same time ----------------------
# Publisher K sends {"publisher":K,"n":1..per_publisher} and prints the seq
# of each. Its input starts after a second, so that the three WebSocket
# publishers are connected together and the balancer spreads them.
lines() {  # K
  sleep 1
  for n in $(seq "$per_publisher"); do echo "{\"publisher\":$1,\"n\":$n}"; done
}
pub_pid=()
for k in $(seq $((ws_publishers + 1))); do
  over=()
  [ "$k" -gt "$ws_publishers" ] && over=(--http)
  lines "$k" | timeout --foreground 30 "$cli" --url "ws://$lb" --timeout 10 pub "$topic" --print-seq \
    "${over[@]}" >"$work/pub$k.seqs" 2>"$work/pub$k.err" &
  pub_pid[k]=$!
  pids+=("${pub_pid[k]}")
done
for k in $(seq $((ws_publishers + 1))); do
  reap "${pub_pid[k]}" || fail "publisher $k exited with $?: $(cat "$work/pub$k.err")"
done

# pubsub_messages_published_total{via="VIA"} on node I.
published_on() {  # I VIA
  curl -s --max-time 10 "http://${node_address[$1]}/metrics" |
    awk -v series="pubsub_messages_published_total{via=\"$2\"}" '$1 == series { print $2 }'
}
taken=()
over_http=0
for i in 1 2 3; do
  taken[i]=$(published_on "$i" websocket)
  by_http=$(published_on "$i" http)
  [ -n "${taken[i]}" ] && [ -n "$by_http" ] || fail "node $i's /metrics has no pubsub_messages_published_total"
  over_http=$((over_http + by_http))
done
say "messages published over WebSocket per node: ${taken[*]}; over HTTP: $over_http"
[ $((taken[1] + taken[2] + taken[3])) -eq $((ws_publishers * per_publisher)) ] ||
  fail "the nodes counted ${taken[*]} WebSocket publishes, not $((ws_publishers * per_publisher)) in all"
for i in 1 2 3; do
  [ "${taken[i]}" -ge 1 ] || fail "no publisher landed on node $i (per node: ${taken[*]})"
done
[ "$over_http" -eq "$per_publisher" ] || fail "the nodes counted $over_http HTTP publishes, not $per_publisher"

every_subscriber_has_all() {
  local i
  for i in $(seq "$subscribers"); do
    [ "$(grep -c '"type":"event"' "$work/sub$i.out")" -ge "$total" ] || return 1
  done
}
wait_until 30 "every subscriber printing $total events" every_subscriber_has_all

# ---- 4. the history through the balancer --------------------------------
code=$(http GET "$lb" "/topics/$topic/messages" "$work/history.json")
[ "$code" = 200 ] || fail "GET /topics/$topic/messages through the balancer: $code $(cat "$work/history.json")"
for i in 1 2 3; do
  code=$(http GET "${node_address[i]}" "/topics/$topic" "$work/topic-node$i.json")
  [ "$code" = 200 ] || fail "GET /topics/$topic on node $i: $code"
done

python3 - "$work" "$topic" "$subscribers" "$((ws_publishers + 1))" "$per_publisher" <<'PY' || fail "see above"
import json, sys

work, topic = sys.argv[1], sys.argv[2]
subscribers, publishers, per_publisher = map(int, sys.argv[3:6])
total = publishers * per_publisher
everything = list(range(1, total + 1))
problems = []


def summary(seqs):
    """The seqs, shortened: the first difference from 1..total shows."""
    for index, (got, want) in enumerate(zip(seqs, everything)):
        if got != want:
            return f"{len(seqs)} seqs, the first wrong at position {index + 1}: {got} instead of {want}"
    return f"{len(seqs)} seqs instead of {total}"


# The seq each publisher was given for each of its messages.
payload_at = {}
for k in range(1, publishers + 1):
    seqs = [int(line) for line in open(f"{work}/pub{k}.seqs") if line.strip()]
    if len(seqs) != per_publisher:
        problems.append(f"publisher {k} printed {len(seqs)} seqs, not {per_publisher}")
    if seqs != sorted(set(seqs)):
        problems.append(f"publisher {k}'s seqs do not increase: {seqs}")
    for n, seq in enumerate(seqs, 1):
        if seq in payload_at:
            problems.append(f"seq {seq} was given twice: to {payload_at[seq]} and to publisher {k}")
        payload_at[seq] = {"publisher": k, "n": n}
if sorted(payload_at) != everything:
    problems.append(f"the publishers were given {summary(sorted(payload_at))}")

epochs = {}
id_at = {}
for i in range(1, subscribers + 1):
    frames = [json.loads(line) for line in open(f"{work}/sub{i}.out") if line.strip()]
    acks = [f for f in frames if f.get("type") == "ack"]
    events = [f for f in frames if f.get("type") == "event"]
    if not acks or acks[0].get("seq") != 0:
        problems.append(f"subscriber {i}: no ack with seq 0 before the first publish: {acks[:1]}")
        continue
    epochs.setdefault(acks[0].get("epoch"), []).append(i)
    seqs = [e.get("seq") for e in events]
    if seqs != everything:
        problems.append(f"subscriber {i} printed {summary(seqs)}")
    for e in events:
        seq, message = e.get("seq"), e.get("message", {})
        if e.get("topic") != topic or message.get("payload") != payload_at.get(seq):
            problems.append(f"subscriber {i}: event {seq} is {e}, its publisher sent {payload_at.get(seq)}")
            break
        if id_at.setdefault(seq, message.get("id")) != message.get("id"):
            problems.append(f"subscriber {i}: message {seq} has id {message.get('id')}, another had {id_at[seq]}")
            break
if len(epochs) != 1:
    problems.append(f"the subscribers' acks name more than one epoch: {epochs}")
epoch = next(iter(epochs), None)

history = json.load(open(f"{work}/history.json"))
messages = history.get("messages", [])
if history.get("epoch") != epoch or history.get("seq") != total:
    problems.append(f"the history has epoch {history.get('epoch')} and seq {history.get('seq')}, "
                    f"not {epoch} and {total}")
if [m.get("seq") for m in messages] != everything:
    problems.append(f"the history holds {summary([m.get('seq') for m in messages])}")
for m in messages:
    if m.get("id") != id_at.get(m.get("seq")) or m.get("payload") != payload_at.get(m.get("seq")):
        problems.append(f"the history's message {m.get('seq')} is {m}, the subscribers got id "
                        f"{id_at.get(m.get('seq'))} and payload {payload_at.get(m.get('seq'))}")
        break

for i in range(1, 4):
    seen = json.load(open(f"{work}/topic-node{i}.json"))
    if (seen.get("epoch"), seen.get("seq"), seen.get("messages")) != (epoch, total, total):
        problems.append(f"node {i} shows the topic as {seen}: not epoch {epoch}, seq and messages {total}")

for problem in problems:
    print("balancer_test:", problem, file=sys.stderr)
if not problems:
    print(f"balancer_test: {subscribers} subscribers got seqs 1..{total} in order, epoch {epoch}; "
          "the history and every node agree")
sys.exit(1 if problems else 0)
PY

# ---- 5. deleting the topic reaches every subscriber ---------------------
code=$(http DELETE "$lb" "/topics/$topic" "$work/delete.json")
[ "$code" = 200 ] || fail "DELETE /topics/$topic through the balancer: $code $(cat "$work/delete.json")"
all_subscribers_ended() {
  local i
  for i in $(seq "$subscribers"); do
    ! kill -0 "${sub_pid[i]}" 2>/dev/null || return 1
  done
}
wait_until 15 "every subscriber ending after the topic was deleted" all_subscribers_ended
for i in $(seq "$subscribers"); do
  reap "${sub_pid[i]}"
  status=$?
  [ "$(grep -c '"type":"event"' "$work/sub$i.out")" -eq "$total" ] ||
    fail "subscriber $i printed $(grep -c '"type":"event"' "$work/sub$i.out") events, not $total"
  tail -n 1 "$work/sub$i.out" | grep -q '"msg":"topic_deleted"' ||
    fail "subscriber $i: the last frame is not topic_deleted: $(tail -n 1 "$work/sub$i.out")"
  grep -q 'every topic subscribed to was deleted' "$work/sub$i.err" && [ "$status" -eq 1 ] ||
    fail "subscriber $i exited with $status: $(cat "$work/sub$i.err")"
  ! grep -q 'reconnect' "$work/sub$i.err" || fail "subscriber $i lost its connection: $(cat "$work/sub$i.err")"
done
for i in 1 2 3; do
  code=$(http GET "${node_address[i]}" "/topics/$topic" "$work/gone.json")
  [ "$code" = 404 ] || fail "node $i still knows the deleted topic: $code $(cat "$work/gone.json")"
done
say "every subscriber was told topic_deleted; no node knows the topic"

# ---- 6. health checks take nodes out -------------------------------------
kill -TERM "${node_pid[3]}"
node3_down() { nodes_in_state DOWN | grep -qx node3; }
wait_until 15 "HAProxy taking the stopped node 3 out" node3_down
reap "${node_pid[3]}" || fail "node 3 exited with $? on SIGTERM"
for _ in 1 2 3 4; do
  code=$(http GET "$lb" /health "$work/health.json")
  [ "$code" = 200 ] || fail "GET /health through the balancer without node 3: $code $(cat "$work/health.json")"
done
say "node 3 stopped: taken out, the balancer serves on nodes 1 and 2"

kill -TERM "$valkey_pid"
reap "$valkey_pid"
degraded() {  # I
  [ "$(http GET "${node_address[$1]}" /health "$work/degraded.json")" = 503 ] &&
    grep -q '"status":"degraded"' "$work/degraded.json"
}
wait_until 15 "node 1 answering /health with 503 degraded without Valkey" degraded 1
wait_until 15 "node 2 answering /health with 503 degraded without Valkey" degraded 2
three_down() { [ "$(nodes_in_state DOWN | wc -l)" -eq 3 ]; }
wait_until 15 "HAProxy taking the degraded nodes out" three_down
code=$(http GET "$lb" /health "$work/health.json")
[ "$code" = 503 ] || fail "GET /health through the balancer with every node out: $code, not 503"
say "Valkey stopped: both nodes degraded and taken out"
say "passed"
