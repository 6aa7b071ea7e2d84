#!/usr/bin/env node
// Two bundles: dist/main.js, the driver without the AWS SDK (what GetSchema
// and friends load), and dist/aws.js, the SDK parts the driver uses, loaded
// on the first EC2 call. aws.js is built from the SDK's ES modules so the
// bundler can drop the EC2 commands the driver never sends.
'use strict';
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
};

async function main() {
  const results = await Promise.all([
    esbuild.build({ ...common, entryPoints: [path.join(root, 'lib/main.js')], outfile: path.join(root, 'dist/main.js'), external: ['./aws'] }),
    esbuild.build({ ...common, entryPoints: [path.join(root, 'src/aws.ts')], outfile: path.join(root, 'dist/aws.js'), mainFields: ['module', 'main'] }),
  ]);
  for (const r of results) {
    for (const [file, out] of Object.entries(r.metafile.outputs)) process.stdout.write(`bundled ${path.relative(process.cwd(), file)} (${Math.round(out.bytes / 1024)} KiB)\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`bundle: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
});
