#!/usr/bin/env bash
# Builds pubsubd and the pubsub command-line client (release), then runs
# pubsubd in the foreground with its defaults
# (0.0.0.0:8080). Extra arguments go to pubsubd, e.g. scripts/serve.sh --port 9000.
# Installs missing build dependencies first; a second run skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
if [ ! -f build-release/build.ninja ]; then
  meson setup build-release --wrap-mode=nodownload -Dbuildtype=release -Dtests=false
fi
meson compile -C build-release pubsubd pubsub
exec ./build-release/pubsubd "$@"
