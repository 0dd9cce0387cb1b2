#!/usr/bin/env bash
# Drives the web console (console/, served by pubsubd at GET /) in Debian's
# headless Chromium through playwright-core: console.test.mjs starts the
# real server ($PUBSUBD), uses the page as a user would and saves a
# screenshot to $SCREENSHOT (default: console.png in the current folder).
# playwright-core is the npm package of package-lock.json, installed with
# `npm ci` into tests/console/node_modules when missing or when the lock
# changed, and kept there for the next runs; it never downloads a browser.
# When it cannot be installed, or Chromium is missing, the test fails,
# saying why. $NODE names node (meson test sets it; default: node from
# PATH); npm comes from the same folder or PATH.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

fail() {
  echo "run.sh: $*" >&2
  exit 1
}

node=$(command -v "${NODE:-node}") || fail "Node.js is not installed (scripts/deps.sh --tests installs it)"
PATH="$(dirname "$node"):$PATH"
export NO_UPDATE_NOTIFIER=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
[ -n "${PUBSUBD:-}" ] || fail "PUBSUBD must name the pubsubd binary (meson test sets it)"
[ -x "$PUBSUBD" ] || fail "PUBSUBD=$PUBSUBD is not an executable"
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || fail "$chromium is missing: install Debian's chromium (scripts/deps.sh --tests installs it)"
export CHROMIUM=$chromium

. "$here/../support/npm_ci.sh"
install() { npm_ci_once "$here" playwright-core; }
install

# Run in this process (not a runner's child), so that a timeout's signal
# reaches the test, which stops the server and Chromium.
exec "$node" --test-reporter=spec "$here/console.test.mjs"
