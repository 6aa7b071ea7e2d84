#!/usr/bin/env node
// Entry point. Script-facing commands (env, url, ls, ...) run on the fast
// path without loading @oclif/core; everything else, and any --help or parse
// problem, goes to oclif with the same (normalised) argv.
'use strict';

const argv = process.argv.slice(2);
// MACHINE_NO_FAST_PATH=1 sends every command through oclif (tests compare both paths).
const fast = process.env.MACHINE_NO_FAST_PATH ? Promise.resolve(undefined) : require('../lib/fast/dispatch').runFast(argv);

fast.then(
  (code) => {
    if (code !== undefined) {
      process.exit(code);
      return;
    }
    const { splitArgv } = require('../lib/fast/argv');
    return require('./manifest')
      .ensureFresh()
      .then(() => require('@oclif/core').execute({ dir: __dirname, args: splitArgv(argv).normalized }));
  },
  (err) => {
    process.stderr.write(`${(err && err.stack) || err}\n`);
    process.exit(1);
  },
);
