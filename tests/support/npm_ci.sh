# Sourced by the test scripts that run npm packages (tests/api/lint.sh,
# tests/js/run.sh, tests/console/run.sh): installs a folder's packages
# from its package-lock.json with `npm ci` into its node_modules, unless
# the installed ones are those of the lock (a stamp file keeps the lock
# they came from), one install at a time (tests may start together).
# The caller defines fail MESSAGE, which exits.
#
#   npm_ci_once DIR WHAT     WHAT names the packages in messages
npm_ci_once() {
  local dir=$1 what=$2
  local stamp=$dir/node_modules/.installed-lock
  exec 9<"$dir"
  flock 9 || fail "cannot lock $dir"
  if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then
    exec 9<&-
    return 0
  fi
  command -v npm >/dev/null || fail "npm is not installed, so $what cannot be (scripts/deps.sh --tests installs it)"
  echo "${0##*/}: installing $what: npm ci in $dir"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) ||
    fail "npm ci failed in $dir: $what not installed (is the npm registry reachable?)"
  cp "$dir/package-lock.json" "$stamp"
  exec 9<&-
}
