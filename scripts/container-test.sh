#!/usr/bin/env bash
# Builds the pubsub image with podman and checks it: /health answers and a
# publish/subscribe round trip works over WebSocket through the published
# port. No registry is needed: the Debian base image is made locally with
# debootstrap. Usage: scripts/container-test.sh BUILD_DIR (a configured
# build with tests, whose e2e_external test talks to the container).
#
# Exit status: 0 passed, 1 failed, 77 skipped (podman cannot work here).
set -uo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build-test}
work=${PUBSUB_CONTAINER_WORK:-/var/tmp/pubsub-container}
base_image=localhost/debian:trixie
image=localhost/pubsub:test
name=pubsub-container-test

skip() { echo "container test skipped: $*"; exit 77; }
fail() { echo "container test FAILED: $*"; exit 1; }

if ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null || ! command -v runc >/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman runc iptables debootstrap >/dev/null 2>&1 ||
      skip "podman could not be installed"
  else
    skip "podman is not installed and cannot be installed (not root)"
  fi
fi

# Settings this kind of sandbox needs; harmless on a normal host.
mkdir -p "$work"
cat > "$work/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=10000:10000", "nproc=4096:4096"]
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF="$work/containers.conf"
podman info >/dev/null 2>&1 || skip "podman cannot run on this machine: $(podman info 2>&1 | tail -n1)"

if ! podman image exists "$base_image"; then
  echo "making $base_image with debootstrap"
  rm -rf "$work/rootfs"
  debootstrap --variant=minbase trixie "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
    skip "debootstrap failed (see $work/debootstrap.log)"
  tar -C "$work/rootfs" -c . | podman import - "$base_image" >/dev/null || fail "podman import failed"
  rm -rf "$work/rootfs"
fi

echo "building $image"
podman build --format docker --build-arg BASE="$base_image" -t "$image" -f Containerfile . >"$work/build.log" 2>&1 ||
  { tail -n 30 "$work/build.log"; fail "podman build failed"; }
# The image is the release build users run: it compiles and links without
# a warning (other tools' notes, such as useradd's, are not the compiler's).
warning='^[^ ]+:[0-9]+(:[0-9]+)?: warning:|ld: warning:'
if grep -Eq "$warning" "$work/build.log"; then
  grep -E -A3 "$warning" "$work/build.log" | head -n 40
  fail "the image's build printed warnings"
fi

port=$((20000 + RANDOM % 20000))
podman rm -f "$name" >/dev/null 2>&1
# (Where systemd is absent, podman notes that it cannot schedule health
# checks by itself: the log keeps that noise out of the test output.)
podman run -d --name "$name" -p "127.0.0.1:$port:8080" -e PUBSUB_LOG_FORMAT=json "$image" --history-size 50 \
  >/dev/null 2>"$work/run.log" || { cat "$work/run.log"; fail "podman run failed"; }
trap 'podman rm -f "$name" >/dev/null 2>&1' EXIT

for _ in $(seq 50); do  # wait for the port (no curl needed)
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.2
done
PUBSUB_EXTERNAL_PORT=$port "$build_dir/tests/e2e_external" || { podman logs "$name" | tail -n 20; fail "checks failed"; }

# The image's own HEALTHCHECK (kept by the docker format) reports healthy.
podman healthcheck run "$name" 2>/dev/null || fail "the image's HEALTHCHECK does not report healthy"

# A clean stop on SIGTERM: exit code 0.
podman stop -t 15 "$name" >/dev/null 2>>"$work/run.log"
code=$(podman inspect -f '{{.State.ExitCode}}' "$name")
[ "$code" = 0 ] || fail "pubsubd exited with $code on SIGTERM"
podman logs "$name" 2>&1 | grep -q '"message":"stopped"' || fail "no 'stopped' log line"
echo "container test passed"
