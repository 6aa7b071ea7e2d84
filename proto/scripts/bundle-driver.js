#!/usr/bin/env node
// Bundles a driver's entry point into one CommonJS file for fast start-up:
//   node bundle-driver.js <entry.js> <out.js>
// Drivers call it from their "bundle" npm script; their bin prefers dist/
// and falls back to lib/. Resolving hundreds of small modules from
// node_modules is a large share of a driver's start time; one file is not.
'use strict';
const path = require('node:path');

async function main() {
  const [entry, out] = process.argv.slice(2);
  if (!entry || !out) {
    process.stderr.write('usage: bundle-driver <entry.js> <out.js>\n');
    process.exit(2);
  }
  const esbuild = require('esbuild');
  const result = await esbuild.build({
    entryPoints: [path.resolve(entry)],
    outfile: path.resolve(out),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
  });
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  process.stdout.write(`bundled ${path.relative(process.cwd(), path.resolve(out))} (${Math.round(bytes / 1024)} KiB)\n`);
}

main().catch((err) => {
  process.stderr.write(`bundle-driver: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
});
