#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs and starts
# everything the tests need, then runs lint, unit, integration, conformance
# and end-to-end tests. Prints one closing line: "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-host.sh
bash test/scripts/keystone.sh >/dev/null  # the real Keystone of the openstack tests (installs once)

echo "==> lint"
npm run --silent lint

echo "==> preparing test hosts"
node test/lib/hosts/prepare.js

# One id for every suite's test hosts, so that whatever a killed suite left
# is removed at the end; other runs on the same engine are not touched.
export MACHINE_TEST_RUN_ID="run$$-$(date +%s)"
export MACHINE_TEST_SUMMARY
MACHINE_TEST_SUMMARY="$(mktemp)"
trap 'node test/lib/hosts/cleanup.js "$MACHINE_TEST_RUN_ID" || true; rm -f "$MACHINE_TEST_SUMMARY"' EXIT

status=0
run_suite() {
  local name=$1; shift
  echo "==> $name tests"
  MACHINE_TEST_SUITE=$name npx mocha --reporter test/lib/support/summary-reporter.js "$@" || status=1
}

run_suite unit --config .mocharc.unit.json
run_suite integration --config test/.mocharc.integration.json
run_suite conformance --config test/.mocharc.conformance.json
run_suite e2e --config test/.mocharc.e2e.json

node test/lib/support/print-summary.js "$MACHINE_TEST_SUMMARY"
exit $status
