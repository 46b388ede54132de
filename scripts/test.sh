#!/usr/bin/env bash
# The full test suite, from a fresh machine: installs the Debian peers the end-to-end tests
# drive (OpenSSH, FreeRDP, Xvfb, Chromium, xmlsec1, pysaml2), installs and builds the npm
# workspaces, runs every vitest file, and ends with one line `N passed, N failed`.
# Exits non-zero when a test fails, when a test is skipped, or when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh

# `npm ci` also builds (the root `prepare` runs `tsc -b`). A checkout whose node_modules
# matches the lock file only rebuilds, which saves compiling better-sqlite3 again.
if [[ -f node_modules/.package-lock.json ]] && cmp -s package-lock.json node_modules/.keyway-lock; then
  npx tsc -b
else
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.keyway-lock
fi

results=.vitest-results.json
rm -f "$results"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?

if [[ ! -f "$results" ]]; then
  echo "0 passed, 1 failed"
  echo "test.sh: vitest wrote no results (exit $status)" >&2
  exit 1
fi
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
  const skipped = r.numPendingTests + r.numTodoTests
  const failedFiles = r.testResults.filter((f) => f.status === "failed" && f.assertionResults.every((a) => a.status !== "failed")).length
  const failed = r.numFailedTests + failedFiles
  console.log(`${r.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""))
  if (skipped > 0) console.error("test.sh: skipped tests count as failures here: every peer is installed")
  process.exit(failed > 0 || skipped > 0 || r.numPassedTests === 0 ? 1 : 0)
' "$results" || status=1
exit "$status"
