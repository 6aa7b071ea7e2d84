// Build step (npm run bundle, after tsc): writes oclif.manifest.json, which
// lets oclif answer help and find a command without loading every command
// module, and lib/build.json, the stamp bin/run.js checks: the commit, a
// fingerprint of the compiler's build info (bin/build-stamp.js), which changes
// whenever tsc emits again, and the commands that may start a driver ahead.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const manifestPath = path.join(root, 'oclif.manifest.json');

async function writeManifest() {
  const { Plugin } = require('@oclif/core');
  const plugin = new Plugin({ root, type: 'core', isRoot: true, ignoreManifest: true, respectNoCacheDefault: true });
  await plugin.load();
  const json = JSON.stringify(plugin.manifest, null, 2) + '\n';
  const tmp = `${manifestPath}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, json);
  fs.renameSync(tmp, manifestPath);
  return Object.keys(plugin.manifest.commands).length;
}

function writeBuildInfo() {
  let commit = 'unknown';
  try {
    commit = require('node:child_process')
      .execFileSync('git', ['rev-parse', '--short=8', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    // not a git checkout
  }
  const stamp = require('./build-stamp').stampOf(path.join(root, 'lib', '.tsbuildinfo'));
  // Read by bin/run.js at every start instead of loading lib/prelaunch.js.
  const prelaunch = require(path.join(root, 'lib', 'prelaunch.js')).PRELAUNCH_COMMANDS;
  fs.writeFileSync(path.join(root, 'lib', 'build.json'), JSON.stringify({ commit, ...stamp, prelaunch }) + '\n');
}

module.exports = { writeManifest, writeBuildInfo };

if (require.main === module) {
  writeBuildInfo();
  writeManifest().then(
    (n) => process.stdout.write(`oclif.manifest.json: ${n} commands\n`),
    (e) => {
      process.stderr.write(`manifest generation failed: ${e.stack || e}\n`);
      process.exit(1);
    },
  );
}
