#!/usr/bin/env bash
# Checks that every C++ source and header follows .clang-format, with
# clang-format 19 (Debian's clang-format-19, on Debian 12 and 13 alike, so
# that the result does not depend on the machine). Prints the files that
# differ and exits 1 if any does; `scripts/check-format.sh --fix` rewrites
# them instead.
set -uo pipefail
cd "$(dirname "$0")/.."
format=clang-format-19
command -v "$format" >/dev/null || { echo "check-format: $format is not installed (scripts/deps.sh --tests installs it)"; exit 1; }
mapfile -t files < <(git ls-files '*.cpp' '*.h')
if [ "${1:-}" = "--fix" ]; then
  "$format" -i --style=file "${files[@]}"
  exit 0
fi
status=0
for f in "${files[@]}"; do
  if ! "$format" --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "check-format: $f is not formatted (scripts/check-format.sh --fix)"
    status=1
  fi
done
[ $status -eq 0 ] && echo "check-format: ${#files[@]} files formatted"
exit $status
