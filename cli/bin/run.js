#!/usr/bin/env node
// Entry point. Commands marked fastPath (env, url, ls, ...) run from the
// bundle npm run build makes (lib/fast-bundle.js) without loading
// @oclif/core; everything else, and any --help or parse problem, goes to
// oclif with the same (normalised) argv, using the manifest the build wrote.
// The build is the only way to a runnable tree: a tree that was not built,
// or was compiled again without the rest of the build, says so and stops.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const lib = path.join(__dirname, '..', 'lib');

function notBuilt(why) {
  process.stderr.write(`machine: ${why}; run npm run build\n`);
  process.exit(1);
}

let stamp;
try {
  stamp = JSON.parse(fs.readFileSync(path.join(lib, 'build.json'), 'utf8'));
} catch {
  notBuilt('this tree is not built');
}
if (!require('./build-stamp').buildInfoMatches(path.join(lib, '.tsbuildinfo'), stamp)) {
  notBuilt('the sources were compiled again after the last build');
}

const argv = process.argv.slice(2);
// A read command's driver boots while the rest of the CLI loads (lib/prelaunch.js);
// MACHINE_NO_PRELAUNCH=1 turns that off (benchmarks compare both).
// The build lists the commands that may (a stamp without the list: any may).
const mayPrelaunch = !Array.isArray(stamp.prelaunch) || stamp.prelaunch.includes(argv[0]);
if (mayPrelaunch && !process.env.MACHINE_NO_FAST_PATH && !process.env.MACHINE_NO_PRELAUNCH) require('../lib/prelaunch.js').prelaunch(argv);
// MACHINE_NO_FAST_PATH=1 sends every command through oclif (tests compare both paths).
const fast = process.env.MACHINE_NO_FAST_PATH ? Promise.resolve(undefined) : require('../lib/fast-bundle.js').runFast(argv);

fast.then(
  (code) => {
    if (code !== undefined) {
      process.exit(code);
      return;
    }
    const { splitArgv } = require('../lib/command/argv');
    return require('@oclif/core').execute({ dir: __dirname, args: splitArgv(argv).normalized });
  },
  (err) => {
    process.stderr.write(`${(err && err.stack) || err}\n`);
    process.exit(1);
  },
);
