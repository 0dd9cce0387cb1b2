#!/usr/bin/env bash
# Installs what building and testing pubsub needs on Debian 12 (bookworm) or
# 13 (trixie): a C++20 compiler, Meson, Ninja, Boost >= 1.83, OpenSSL 3,
# hiredis, liburing and Catch2 3;
# with --tests (or its older name --format) also what only the test command
# needs: clang-format 19 for scripts/check-format.sh, Node.js, which runs
# the JavaScript examples the end-to-end tests check, npm, which installs
# the linters of the API descriptions, Valkey, the server the Redis
# client's tests start, Prometheus for promtool, which checks /metrics,
# Chromium, in which tests/console drives the web console, and HAProxy and
# curl, with which tests/cluster checks the balanced cluster of examples/.
# On bookworm these come from bookworm-backports. Does nothing when all is
# already present, so it is cheap to run before every build.
set -euo pipefail

need_boost_ver=1.83
for_tests=false
case "${1:-}" in --tests | --format) for_tests=true ;; esac

have_all() {
  command -v meson >/dev/null && command -v ninja >/dev/null &&
    command -v pkg-config >/dev/null && command -v g++ >/dev/null &&
    { ! $for_tests || { command -v clang-format-19 >/dev/null && command -v node >/dev/null &&
      command -v npm >/dev/null && command -v valkey-server >/dev/null && command -v promtool >/dev/null &&
      [ -x /usr/bin/chromium ] && [ -x /usr/sbin/haproxy ] && command -v curl >/dev/null; }; } &&
    pkg-config --exists catch2-with-main &&
    pkg-config --exists 'openssl >= 3.0' &&
    pkg-config --exists hiredis &&
    pkg-config --exists 'liburing >= 2.1' &&
    [ -f /usr/include/boost/version.hpp ] &&
    [ -f /usr/include/boost/beast.hpp ] &&
    ls /usr/lib/*/libboost_program_options.so >/dev/null 2>&1 &&
    ls /usr/lib/*/libboost_json.so >/dev/null 2>&1 &&
    [ "$(sed -n 's/^#define BOOST_VERSION \([0-9]*\)/\1/p' /usr/include/boost/version.hpp)" -ge 108300 ] &&
    meson_ok
}

meson_ok() {
  local v
  v=$(meson --version 2>/dev/null) || return 1
  # Meson >= 1.1 is needed (meson.options / feature handling we rely on).
  [ "$(printf '%s\n1.1.0\n' "$v" | sort -V | head -n1)" = "1.1.0" ]
}

if have_all; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

. /etc/os-release
packages_common=(g++ ninja-build pkg-config ca-certificates libssl-dev libhiredis-dev liburing-dev)
$for_tests && packages_common+=(clang-format-19 nodejs prometheus chromium haproxy curl)
# npm installs the linters of the API descriptions (tests/api/lint.sh). A
# Node.js that brings its own npm needs no Debian npm (and may refuse it).
$for_tests && ! command -v npm >/dev/null && packages_common+=(npm)
packages_new=(libboost${need_boost_ver}-dev "libboost-program-options${need_boost_ver}-dev" "libboost-json${need_boost_ver}-dev" libcatch2-dev meson)
# Valkey is in Debian from trixie on; bookworm has it in backports.
$for_tests && packages_new+=(valkey-server)

export DEBIAN_FRONTEND=noninteractive
case "${VERSION_CODENAME:-}" in
  bookworm)
    if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
      $SUDO tee /etc/apt/sources.list.d/backports.sources >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    fi
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q "${packages_common[@]}"
    $SUDO apt-get install -y -q -t bookworm-backports "${packages_new[@]}"
    ;;
  *)
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q "${packages_common[@]}" "${packages_new[@]}"
    ;;
esac

have_all || { echo "deps.sh: toolchain still incomplete after install" >&2; exit 1; }
