#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs and starts
# everything the tests need, then runs lint, unit, integration, conformance
# and end-to-end tests. Prints one closing line: "tests: N passed, N failed".
#
# The suites run in two lanes side by side, each lane's suites one after the
# other:  1 = unit, integration, conformance, then the e2e files named in
# MACHINE_TEST_E2E_LANE1;  2 = the other e2e files.
# The end-to-end suite alone takes longer than the three others together,
# so lane 1 takes its longest files once its own suites are done and the
# lanes end at about the same time (the closing summary names the slowest
# files, to re-balance by). Each file runs in one lane only. Lanes cannot
# collide: every test host, network and
# temporary directory is named per process, each lane has its own run id (its
# root hooks remove only its own hosts) and summary file, the daemon stand-ins
# listen on random loopback addresses, and the npm registry is started here,
# once, for every suite.
#
# Environment:
#   MACHINE_TEST_LANES=1   every suite one after the other, in one lane
#   MACHINE_TEST_E2E_LANE1 the e2e files (names without .test.js, separated
#                          by spaces) that lane 1 runs after its own suites;
#                          default: the two longest, fault-injection and
#                          virtualbox (about 11 of the e2e suite's 36 minutes)
#   MACHINE_TEST_ONLY      a quick run on a machine that is set up already
#                          (no host setup, Keystone install, lint or image
#                          preparation): the suites to run, each optionally
#                          with its files, e.g.
#                          "integration=test/lib/integration/hosts.test.js e2e"
#                          (files separated by commas; they run with the
#                          suite's timeout and root hooks).
set -euo pipefail
cd "$(dirname "$0")/.."

ONLY=${MACHINE_TEST_ONLY:-}
if [ -z "$ONLY" ]; then
  bash scripts/setup-host.sh
  bash test/scripts/keystone.sh >/dev/null  # the real Keystone of the openstack tests (installs once)

  echo "==> lint"
  npm run --silent lint

  echo "==> preparing test hosts"
  node test/lib/hosts/prepare.js
fi

# The mocha config of each suite.
suite_config() {
  case $1 in
    unit) echo .mocharc.unit.json ;;
    integration | conformance | e2e) echo "test/.mocharc.$1.json" ;;
    *) echo "unknown suite '$1' (one of: unit integration conformance e2e)" >&2; return 1 ;;
  esac
}

# Which suites run, and with which files (none: the whole suite).
declare -A files=()
if [ -n "$ONLY" ]; then
  selected=()
  for item in $ONLY; do
    name=${item%%=*}
    suite_config "$name" >/dev/null
    selected+=("$name")
    [ "$item" = "$name" ] || files[$name]=${item#*=}
  done
else
  selected=(unit integration conformance e2e)
fi
is_selected() { [[ " ${selected[*]} " == *" $1 "* ]]; }

# A lane runs suites, or a share of one: "e2e:lane1" is the e2e files named
# in E2E_LANE1, "e2e:lane2" the others.
E2E_LANE1=${MACHINE_TEST_E2E_LANE1-fault-injection virtualbox}
if [ "${MACHINE_TEST_LANES:-2}" = 1 ]; then
  lanes=("unit integration conformance e2e")
else
  lanes=("unit integration conformance e2e:lane1" "e2e:lane2")
fi

# One id per run, and per lane below it: whatever a killed lane left is
# removed at the end; other runs on the same engine are not touched.
RUN_ID="run$$-$(date +%s)"
work=$(mktemp -d "${TMPDIR:-/tmp}/machine-test-run-XXXXXX")
registry_pid=""
lane_pids=()
finish() {
  for ((i = 0; i < ${#lanes[@]}; i++)); do node test/lib/hosts/cleanup.js "$RUN_ID-lane$((i + 1))" || true; done
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap finish EXIT

# The npm registry of the install tests: one for the run, not one per suite.
if is_selected e2e; then
  echo "==> starting the run's npm registry"
  node test/lib/registry/run-registry.js "$work/registry.env" &
  registry_pid=$!
  until [ -f "$work/registry.env" ]; do
    kill -0 "$registry_pid" 2>/dev/null || { echo "error: the npm registry did not start" >&2; exit 1; }
    sleep 0.2
  done
  # shellcheck source=/dev/null
  source "$work/registry.env"
fi

# The mocha arguments of a suite: its config, or, when files were named, the
# config's timeout and root hooks with those files (a config's spec would
# add the whole suite).
# With a share ("lane1" or "lane2" of e2e), only that share's files; prints
# nothing when the share has none.
suite_args() {
  local name=$1 share=${2:-} config
  config=$(suite_config "$name")
  if [ -z "${files[$name]:-}" ] && [ -z "$share" ]; then
    printf '%s\n' --config "$config"
    return
  fi
  node -e '
    const fs = require("fs");
    const path = require("path");
    const [configFile, named, share, lane1] = process.argv.slice(1);
    const c = require(path.resolve(configFile));
    // The suite'"'"'s own files: its spec globs are "dir/**/*.suffix".
    const specFiles = () =>
      [c.spec ?? []].flat().flatMap((glob) => {
        const [dir, suffix] = glob.split("/**/*");
        return fs.readdirSync(dir, { recursive: true }).filter((f) => f.endsWith(suffix)).map((f) => path.join(dir, f));
      }).sort();
    let list = named ? named.split(",").filter(Boolean) : specFiles();
    if (share) {
      const inLane1 = new Set(lane1.split(/\s+/).filter(Boolean));
      list = list.filter((f) => inLane1.has(path.basename(f).replace(/\.test\.js$/, "")) === (share === "lane1"));
    }
    if (list.length === 0) process.exit(0);
    const args = ["--no-config", "--timeout", String(c.timeout ?? 2000)];
    for (const r of c.require ?? []) args.push("--require", r);
    args.push(...list);
    process.stdout.write(args.join("\n") + "\n");
  ' "$config" "${files[$name]:-}" "$share" "$E2E_LANE1"
}

# Runs a lane's suites one after the other, then writes its status (0 when
# every suite passed) where the main shell reads it.
run_lane() {
  local lane=$1 status=0 entry name share args
  shift
  export MACHINE_TEST_RUN_ID="$RUN_ID-$lane"
  export MACHINE_TEST_SUMMARY="$work/$lane.summary"
  for entry in "$@"; do
    name=${entry%%:*}
    share=${entry#"$name"}
    share=${share#:}
    is_selected "$name" || continue
    mapfile -t args < <(suite_args "$name" "$share")
    [ ${#args[@]} -gt 0 ] || continue
    echo "==> $name tests${share:+ (the $share share)}"
    MACHINE_TEST_SUITE=$name npx mocha --reporter test/lib/support/summary-reporter.js "${args[@]}" || status=1
  done
  echo "$status" >"$work/$lane.status"
}

summaries=()
for ((i = 0; i < ${#lanes[@]}; i++)); do
  lane="lane$((i + 1))"
  summaries+=("$work/$lane.summary")
  # shellcheck disable=SC2086 # the lane's suite names are words
  if [ ${#lanes[@]} = 1 ]; then
    run_lane "$lane" ${lanes[i]} &
  else
    # Each line says which lane wrote it: the lanes' output interleaves.
    (run_lane "$lane" ${lanes[i]} 2>&1 | sed -u "s/^/[$lane] /") &
  fi
  lane_pids+=($!)
done

status=0
for ((i = 0; i < ${#lanes[@]}; i++)); do
  lane="lane$((i + 1))"
  wait "${lane_pids[i]}" || true
  lane_status=$(cat "$work/$lane.status" 2>/dev/null || echo 1)
  if [ "$lane_status" != 0 ]; then
    echo "==> $lane (${lanes[i]}) FAILED"
    status=1
  fi
done

node test/lib/support/print-summary.js "${summaries[@]}"
exit $status
