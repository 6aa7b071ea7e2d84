#!/usr/bin/env node
// Build step for a driver package that offers oclif commands of its own
// (its package.json `oclif` section): writes oclif.manifest.json in the
// package root, so the CLI lists and helps with those commands without
// loading their modules. @oclif/core is resolved from the driver package,
// which depends on it; the SDK does not.
// Usage (from the package root): node path/to/oclif-manifest.js
'use strict';
const fs = require('node:fs');
const path = require('node:path');

async function writeManifest(root) {
  const { Plugin } = require(require.resolve('@oclif/core', { paths: [root] }));
  const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, respectNoCacheDefault: true });
  await plugin.load();
  const file = path.join(root, 'oclif.manifest.json');
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(plugin.manifest, null, 2) + '\n');
  fs.renameSync(tmp, file);
  return Object.keys(plugin.manifest.commands);
}

module.exports = { writeManifest };

if (require.main === module) {
  writeManifest(process.cwd()).then(
    (ids) => process.stdout.write(`oclif.manifest.json: ${ids.join(', ') || 'no commands'}\n`),
    (e) => {
      process.stderr.write(`oclif manifest failed: ${(e && e.stack) || e}\n`);
      process.exit(1);
    },
  );
}
