#!/usr/bin/env node
// Entry point. Script-facing commands (env, url, ls, ...) run on the fast
// path without loading @oclif/core; everything else, and any --help or parse
// problem, goes to oclif with the same (normalised) argv.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const argv = process.argv.slice(2);

// The bundle (npm run bundle) when it is newer than the last tsc build, else the modules.
function fastPath() {
  const lib = path.join(__dirname, '..', 'lib');
  try {
    if (fs.statSync(path.join(lib, 'fast-bundle.js')).mtimeMs >= fs.statSync(path.join(lib, '.tsbuildinfo')).mtimeMs) {
      return require('../lib/fast-bundle.js');
    }
  } catch {
    // no bundle, or no build info: use the modules
  }
  return require('../lib/command/dispatch');
}

// MACHINE_NO_FAST_PATH=1 sends every command through oclif (tests compare both paths).
const fast = process.env.MACHINE_NO_FAST_PATH ? Promise.resolve(undefined) : fastPath().runFast(argv);

fast.then(
  (code) => {
    if (code !== undefined) {
      process.exit(code);
      return;
    }
    const { splitArgv } = require('../lib/command/argv');
    return require('./manifest')
      .ensureFresh()
      .then(() => require('@oclif/core').execute({ dir: __dirname, args: splitArgv(argv).normalized }));
  },
  (err) => {
    process.stderr.write(`${(err && err.stack) || err}\n`);
    process.exit(1);
  },
);
