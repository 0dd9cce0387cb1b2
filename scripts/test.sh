#!/usr/bin/env bash
# Builds pubsub and runs every test:
#   format      every C++ file follows .clang-format (scripts/check-format.sh);
#   build-test  every unit and end-to-end test (optimised, assertions on);
#   build-asan  the same but the lints, with the programs under test built
#               under AddressSanitizer + UndefinedBehaviorSanitizer;
#   build-tsan  the concurrency suite under ThreadSanitizer;
#   build-fuzz  each libFuzzer target of tests/fuzz/ for 8 seconds
#               (scripts/fuzz.sh, with clang; each target counts once);
#   container   the image built with podman (its compiler printing no
#               warning) and checked over its port
#               (skipped, saying why, where podman cannot work).
# Installs missing build dependencies first; a second run rebuilds only what
# changed. Ends with one line "N passed, N failed" over all of them, and
# exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --tests || exit 1

configure() {  # dir, then meson setup options (default: optimised, with debug info)
  local dir=$1; shift
  [ $# -gt 0 ] && [[ "$1" == -Doptimization=* ]] || set -- -Dbuildtype=debugoptimized "$@"
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" --wrap-mode=nodownload "$@" || return 1
  fi
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1:quarantine_size_mb=16}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

status=0
run_suite() {  # dir, then meson test arguments
  local dir=$1; shift
  echo "=== $dir: meson test $*"
  rm -f "$dir/meson-logs/testlog.json"
  meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" || status=1
}

echo "=== format: scripts/check-format.sh"
bash scripts/check-format.sh
format=$?
[ $format -eq 0 ] || status=1

configure build-test && meson compile -C build-test || { echo "build-test: build failed"; exit 1; }
run_suite build-test

# The sanitizer builds silence two warnings that arise only there, from
# library headers: g++ 12's false -Wmaybe-uninitialized inside Beast's HTTP
# parser once ASan instruments it, and -Wtsan's note that Asio's
# atomic_thread_fence is not instrumented. The default build keeps all.
# The ASan build optimises at -O1, as AddressSanitizer's own documentation
# advises: its reports stay as precise and it compiles in a third less
# time; its end-to-end test programs are not instrumented (tests/meson.build),
# and it skips the linters, which run no program of ours.
configure build-asan -Doptimization=1 -Ddebug=true -Db_sanitize=address,undefined -Dcpp_args=-Wno-maybe-uninitialized &&
  meson compile -C build-asan || { echo "build-asan: build failed"; exit 1; }
run_suite build-asan --no-suite lint

configure build-tsan -Db_sanitize=thread -Dcpp_args=-Wno-tsan &&
  meson compile -C build-tsan pubsubd tests/core_tests tests/e2e_concurrency ||
  { echo "build-tsan: build failed"; exit 1; }
run_suite build-tsan --no-rebuild --suite concurrency

# A short fuzzing run, to catch a target that no longer builds or a crash
# that is found at once; scripts/fuzz.sh alone fuzzes for longer.
echo "=== fuzz: scripts/fuzz.sh 8"
rm -f build-fuzz/fuzz-results.txt
bash scripts/fuzz.sh 8 || status=1

echo "=== container: scripts/container-test.sh"
bash scripts/container-test.sh build-test
container=$?
[ $container -eq 0 ] || [ $container -eq 77 ] || status=1

python3 - "$container" "$format" build-fuzz/fuzz-results.txt build-test build-asan build-tsan <<'PY'
import json, sys
container = int(sys.argv.pop(1))
format_ok = int(sys.argv.pop(1)) == 0
fuzz_results = sys.argv.pop(1)
passed, failed, skipped = int(container == 0), int(container not in (0, 77)), int(container == 77)
passed, failed = passed + format_ok, failed + (not format_ok)
failures = ([] if format_ok else ["format"]) + ([] if container in (0, 77) else ["container"])
# One line per fuzz target, "PASS ..." or "FAIL ..."; none: the build failed.
try:
    fuzz_lines = open(fuzz_results).read().splitlines()
except OSError:
    fuzz_lines = []
fuzz_passed = sum(line.startswith("PASS ") for line in fuzz_lines)
passed, failed = passed + fuzz_passed, failed + (len(fuzz_lines) - fuzz_passed) + (not fuzz_lines)
failures += [line.split()[1] for line in fuzz_lines if not line.startswith("PASS ")]
failures += [] if fuzz_lines else ["fuzz (no results)"]
for d in sys.argv[1:]:
    try:
        lines = open(f"{d}/meson-logs/testlog.json").read().splitlines()
    except OSError:
        failed += 1
        failures.append(f"{d} (no test log)")
        continue
    for line in lines:
        test = json.loads(line)
        result = test["result"]
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
            failures.append(f"{d}/{test['name']} ({result})")
if failures:
    print("failed: " + ", ".join(failures))
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
exit $status
