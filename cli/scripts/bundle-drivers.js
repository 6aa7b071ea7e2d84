#!/usr/bin/env node
// Bundles the generic and none drivers with the SDK's bundler
// (proto/scripts/bundle-driver.js) into dist/drivers/, which their bin
// wrappers prefer: one file starts much faster than hundreds of modules.
// ssh2 stays outside the bundle (native addons; only generic's restart
// loads it).
'use strict';
const path = require('node:path');
const { bundleDriver } = require('@machine/driver-sdk/scripts/bundle-driver.js');

async function main() {
  process.chdir(path.join(__dirname, '..'));
  for (const name of ['generic', 'none']) {
    const { out, bytes } = await bundleDriver({ entry: `lib/drivers/${name}/main.js`, out: `dist/drivers/${name}.js`, external: ['ssh2'] });
    process.stdout.write(`bundled ${path.relative(process.cwd(), out)} (${Math.round(bytes / 1024)} KiB)\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`bundle-drivers: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
});
