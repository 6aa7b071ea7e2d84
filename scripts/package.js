#!/usr/bin/env node
// Builds standalone driver executables with Node's single-executable
// applications (see docs/packaging.md): bundle -> SEA blob -> postject into a
// copy of this node. Run after `npm run build`. Output: dist/bin/.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'dist', 'bin');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function bundledDrivers() {
  const found = [];
  for (const dir of fs.readdirSync(path.join(root, 'plugins'))) {
    const pkgDir = path.join(root, 'plugins', dir);
    const manifest = path.join(pkgDir, 'package.json');
    if (!fs.existsSync(manifest)) continue;
    const drivers = (JSON.parse(fs.readFileSync(manifest, 'utf8')).machine || {}).drivers || {};
    // bundle-driver.js writes a code-cache loader as main.js and the code as
    // main.bundle.js; SEA has its own code cache, so it takes the code alone.
    const bundle = path.join(pkgDir, 'dist', 'main.bundle.js');
    for (const name of Object.keys(drivers)) {
      if (fs.existsSync(bundle)) found.push({ name, bundle });
      else process.stderr.write(`skipping ${name}: ${path.relative(root, bundle)} is missing; run npm run build first\n`);
    }
  }
  return found;
}

function packageOne({ name, bundle }) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `machine-sea-${name}-`));
  try {
    const blob = path.join(work, 'sea.blob');
    const config = path.join(work, 'sea-config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }),
    );
    execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'ignore' });
    const target = path.join(outDir, `machine-driver-${name}`);
    const partial = `${target}.partial`;
    fs.copyFileSync(process.execPath, partial);
    fs.chmodSync(partial, 0o755);
    execFileSync(
      process.execPath,
      [require.resolve('postject/dist/cli.js'), partial, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE],
      { stdio: 'ignore' },
    );
    // Rename last, so an interrupted build never leaves a broken binary under the real name.
    fs.renameSync(partial, target);
    process.stdout.write(`${path.relative(root, target)}\n`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

fs.mkdirSync(outDir, { recursive: true });
const drivers = bundledDrivers();
if (drivers.length === 0) {
  process.stderr.write('error: no bundled drivers found; run npm run build first\n');
  process.exit(1);
}
drivers.forEach(packageOne);
