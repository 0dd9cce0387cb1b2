#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz/ (docs/fuzzing.md):
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   fuzz (default 600 s, every target)
#   scripts/fuzz.sh --replay FILE [TARGET]             run one saved input once
# Installs clang and its libFuzzer runtime if missing (Debian 12 and 13:
# clang-19 and libclang-rt-19-dev), then configures and builds build-fuzz
# with clang, AddressSanitizer and UndefinedBehaviorSanitizer.
#
# Each target runs on build-fuzz/corpus/<target>, which starts as a copy of
# its seed corpus tests/fuzz/corpus/<target> and keeps the inputs the
# fuzzer adds (the seeds in the tree stay as they are). A crash, a leak, a
# timeout (10 s for one input) or going over 2 GB leaves the input in
# build-fuzz/crashes/<target>/. Prints one line per target, "PASS <target>
# (N s, M runs)" or "FAIL <target> ... <input>", writes the same lines to
# build-fuzz/fuzz-results.txt, and exits non-zero if any target failed.
# A replay names the target itself when FILE is in build-fuzz/crashes/<target>/.
set -uo pipefail
cd "$(dirname "$0")/.."
build=build-fuzz
results=$build/fuzz-results.txt

usage() {
  sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

mapfile -t all_targets < <(ls tests/fuzz/fuzz_*.cpp | xargs -n1 basename | sed 's/\.cpp$//')

# --- arguments
replay=
seconds=600
if [ "${1:-}" = "--replay" ]; then
  [ $# -ge 2 ] || usage
  replay=$2
  [ -f "$replay" ] || { echo "fuzz: no such file: $replay" >&2; exit 2; }
  targets=("${3:-$(basename "$(dirname "$replay")")}")
else
  if [ $# -gt 0 ]; then
    [[ $1 =~ ^[0-9]+$ ]] || usage
    seconds=$1
    shift
  fi
  targets=("$@")
  [ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
fi
for t in "${targets[@]}"; do
  if [[ ! " ${all_targets[*]} " =~ " $t " ]]; then
    echo "fuzz: unknown target '$t' (targets: ${all_targets[*]})" >&2
    exit 2
  fi
done

# --- toolchain: a clang that links -fsanitize=fuzzer
fuzzer_links() {
  command -v "$1" >/dev/null || return 1
  local dir
  dir=$(mktemp -d)
  printf '%s\n' '#include <cstddef>' '#include <cstdint>' \
    'extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }' >"$dir/probe.cpp"
  "$1" -fsanitize=fuzzer,address,undefined "$dir/probe.cpp" -o "$dir/probe" >/dev/null 2>&1
  local ok=$?
  rm -rf "$dir"
  return $ok
}

find_clang() {
  for cxx in clang++-19 clang++; do
    if fuzzer_links "$cxx"; then
      echo "$cxx"
      return 0
    fi
  done
  return 1
}

bash scripts/deps.sh || exit 1
if [ ! -f "$build/build.ninja" ]; then
  if ! cxx=$(find_clang); then
    echo "=== fuzz: installing clang-19 and its libFuzzer runtime"
    [ "$(id -u)" -ne 0 ] && SUDO=sudo || SUDO=
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q && $SUDO apt-get install -y -q clang-19 libclang-rt-19-dev llvm-19 || exit 1
    cxx=$(find_clang) || { echo "fuzz: clang still cannot link -fsanitize=fuzzer" >&2; exit 1; }
  fi
  # debugoptimized: assertions stay on. b_lundef: the sanitizers' runtime
  # is linked into the executables only.
  CXX=$cxx meson setup "$build" -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized --wrap-mode=nodownload || exit 1
fi
meson compile -C "$build" || { echo "fuzz: the build failed" >&2; exit 1; }

# Stack traces with names: the symbolizer of the clang that built the targets.
compiler=$(meson introspect "$build" --compilers |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["host"]["cpp"]["exelist"][0])')
symbolizer=$(dirname "$(readlink -f "$(command -v "$compiler")")")/llvm-symbolizer
[ -x "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH=$symbolizer UBSAN_SYMBOLIZER_PATH=$symbolizer

export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}

if [ -n "$replay" ]; then
  t=${targets[0]}
  echo "=== fuzz: $t on $replay"
  if "$build/tests/fuzz/$t" -timeout=10 -rss_limit_mb=2048 "$replay"; then
    echo "PASS $t: $replay"
    exit 0
  fi
  echo "FAIL $t: $replay"
  exit 1
fi

# --- fuzzing
mkdir -p "$build/logs"
: >"$results"
status=0
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t
  crashes=$build/crashes/$t
  log=$build/logs/$t.log
  mkdir -p "$corpus" "$crashes"
  for seed in tests/fuzz/corpus/"$t"/*; do
    [ -f "$seed" ] && [ ! -e "$corpus/${seed##*/}" ] && cp "$seed" "$corpus/"
  done
  dict=()
  [ -f "tests/fuzz/$t.dict" ] && dict=("-dict=tests/fuzz/$t.dict")
  marker=$(mktemp)
  echo "=== fuzz: $t for $seconds s (log: $log)"
  start=$SECONDS
  "$build/tests/fuzz/$t" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1
  code=$?
  elapsed=$((SECONDS - start))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  if [ $code -eq 0 ]; then
    line="PASS $t ($elapsed s, ${runs:-0} runs)"
  else
    status=1
    found=$(find "$crashes" -type f -newer "$marker" | head -n1)
    line="FAIL $t after $elapsed s (exit $code): ${found:-no input saved, see $log}"
    grep -E -A30 '^(==[0-9]+== ?ERROR|.*runtime error:|.*invariant failed)' "$log" | head -n 40
  fi
  rm -f "$marker"
  echo "$line"
  echo "$line" >>"$results"
done
[ $status -eq 0 ] || echo "fuzz: replay a failure with scripts/fuzz.sh --replay <input>"
exit $status
