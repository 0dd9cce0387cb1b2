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

# Installs the packages unless the installed ones are those of the lock.
# One install at a time.
install() {
  exec 9<"$here"
  flock 9 || fail "cannot lock $here"
  local stamp=$here/node_modules/.installed-lock
  if [ -f "$stamp" ] && cmp -s "$here/package-lock.json" "$stamp"; then
    exec 9<&-
    return 0
  fi
  command -v npm >/dev/null || fail "npm is not installed, so playwright-core cannot be (scripts/deps.sh --tests installs it)"
  echo "run.sh: installing playwright-core: npm ci in $here"
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) ||
    fail "npm ci failed in $here: playwright-core is not installed (is the npm registry reachable?)"
  cp "$here/package-lock.json" "$stamp"
  exec 9<&-
}
install

# Run in this process (not a runner's child), so that a timeout's signal
# reaches the test, which stops the server and Chromium.
exec "$node" --test-reporter=spec "$here/console.test.mjs"
