# Sourced by the benchmark scripts. wait_for_port FILE: waits up to 5 s
# (WAIT_TRIES x 50 ms, 100 unless set) for a server started with --port 0 to
# write "listening on HOST:PORT" to FILE (its standard output), then prints
# PORT; returns 1 if it never does.
wait_for_port() {
  local port
  for _ in $(seq "${WAIT_TRIES:-100}"); do
    port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$1")
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.05
  done
  return 1
}
