#!/usr/bin/env node
// Bundles the driver with the SDK's bundler (proto/scripts/bundle-driver.js),
// after pointing ssh2 at a stub: docker-modem requires it at load time for
// ssh:// engines, and its native addons cannot go into a bundle.
'use strict';
const path = require('node:path');
const Module = require('node:module');

const stub = path.join(__dirname, 'ssh2-stub.js');
const esbuildPath = require.resolve('esbuild');
const esbuild = require(esbuildPath);
// The shared bundler takes no options; its esbuild call gets the alias here.
Module._cache[esbuildPath].exports = {
  ...esbuild,
  build: (options) => esbuild.build({ ...options, alias: { ...(options.alias || {}), ssh2: stub } }),
};

process.argv = [process.argv[0], require.resolve('@machine/driver-sdk/scripts/bundle-driver.js'), 'lib/main.js', 'dist/main.js'];
require('@machine/driver-sdk/scripts/bundle-driver.js');
