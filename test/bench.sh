#!/usr/bin/env bash
# `npm run bench`: sets up like the test suite, then runs every benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
node test/lib/hosts/prepare.js
exec node test/lib/bench/run.js "$@"
