#!/usr/bin/env bash
# Runs the tests of the JavaScript client (clients/js/client.js), each
# *.test.mjs file against its own pubsubd, with Node's test runner:
#   run.sh global   with Node's own WebSocket (node --experimental-websocket,
#                   Node 20.10 or later)
#   run.sh ws       without it: the client imports the npm package ws by
#                   itself. Node resolves that import from the client's own
#                   folder, so this mode tests a byte-for-byte copy of
#                   client.js placed in tests/js/node_modules/.pubsub-client/.
# ws is the npm package of package-lock.json, installed with `npm ci` into
# tests/js/node_modules when missing or when the lock changed, and kept
# there for the next runs. When it cannot be installed the tests fail,
# saying why. $NODE names node (meson test sets it; default: node from
# PATH), npm comes from the same folder or PATH; $PUBSUBD the server.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
client=$(cd "$here/../../clients/js" && pwd)/client.js

fail() {
  echo "run.sh: $*" >&2
  exit 1
}

mode=${1:-}
case "$mode" in
  global | ws) ;;
  *) echo "usage: run.sh global|ws" >&2; exit 2 ;;
esac

node=$(command -v "${NODE:-node}") || fail "Node.js is not installed (scripts/deps.sh --tests installs it)"
PATH="$(dirname "$node"):$PATH"
export NO_UPDATE_NOTIFIER=1
[ -n "${PUBSUBD:-}" ] && [ -x "$PUBSUBD" ] || fail "set PUBSUBD to the pubsubd binary (meson test does)"

. "$here/../support/npm_ci.sh"
install() { npm_ci_once "$here" ws; }

flags=()
case "$mode" in
  global)
    "$node" --experimental-websocket -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)' 2>/dev/null ||
      fail "$node ($("$node" --version)) has no WebSocket, even with --experimental-websocket: Node 20.10 or later is needed"
    flags=(--experimental-websocket)
    export PUBSUB_CLIENT=$client
    ;;
  ws)
    install
    # Node 22 and later have the global WebSocket without the flag.
    "$node" --no-experimental-websocket -e '' 2>/dev/null && flags=(--no-experimental-websocket)
    copy=$here/node_modules/.pubsub-client
    mkdir -p "$copy" && cp "$client" "$copy/client.js" || fail "cannot copy client.js to $copy"
    export PUBSUB_CLIENT=$copy/client.js
    ;;
esac
export PUBSUB_JS_MODE=$mode

cd "$here" || fail "cannot enter $here"
# One file at a time: the timing tests (ping deadlines, reconnects) stay
# far from their bounds on a loaded machine.
exec "$node" "${flags[@]}" --test --test-concurrency=1 ./*.test.mjs
