#!/usr/bin/env node
// Bundles the generic and none drivers with the SDK's bundler
// (proto/scripts/bundle-driver.js) into dist/drivers/, which their bin
// wrappers prefer: one file starts much faster than hundreds of modules.
// ssh2 stays outside the bundle (native addons; only generic's restart
// loads it).
'use strict';
const path = require('node:path');
const Module = require('node:module');

const root = path.join(__dirname, '..');
process.chdir(root);
const esbuildPath = require.resolve('esbuild');
const esbuild = require(esbuildPath);
// The shared bundler takes no options; its esbuild call gets the external here.
Module._cache[esbuildPath].exports = {
  ...esbuild,
  build: (options) => esbuild.build({ ...options, external: [...(options.external || []), 'ssh2'] }),
};
const bundler = require.resolve('@machine/driver-sdk/scripts/bundle-driver.js');

for (const name of ['generic', 'none']) {
  process.argv = [process.argv[0], bundler, `lib/drivers/${name}/main.js`, `dist/drivers/${name}.js`];
  delete require.cache[bundler];
  require(bundler);
}
