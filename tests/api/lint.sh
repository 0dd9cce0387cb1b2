#!/usr/bin/env bash
# Lints an API description with its ecosystem's own tool:
#   lint.sh openapi    redocly lint docs/openapi.yaml, every rule of the
#                      recommended set an error (redocly.yaml)
#   lint.sh asyncapi   docs/asyncapi.yaml through @asyncapi/parser and its
#                      examples through Ajv (validate-asyncapi.mjs)
# The tools are the npm packages of package-lock.json, installed with
# `npm ci` into tests/api/node_modules when missing or when the lock
# changed, and kept there for the next runs. When they cannot be
# installed the lint fails, saying why. $NODE names node (meson test sets
# it; default: node from PATH); npm comes from the same folder or PATH.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
docs=$(cd "$here/../../docs" && pwd)

fail() {
  echo "lint.sh: $*" >&2
  exit 1
}

what=${1:-}
case "$what" in
  openapi | asyncapi) ;;
  *) echo "usage: lint.sh openapi|asyncapi" >&2; exit 2 ;;
esac

node=$(command -v "${NODE:-node}") || fail "Node.js is not installed (scripts/deps.sh --tests installs it)"
PATH="$(dirname "$node"):$PATH"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1

. "$here/../support/npm_ci.sh"
install() { npm_ci_once "$here" "the linters"; }
install

case "$what" in
  openapi)
    "$node" "$here/node_modules/@redocly/cli/bin/cli.js" lint --config "$here/redocly.yaml" --format stylish \
      "$docs/openapi.yaml"
    ;;
  asyncapi)
    "$node" "$here/validate-asyncapi.mjs" "$docs/asyncapi.yaml"
    ;;
esac
