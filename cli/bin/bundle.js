// Bundles the fast path (lib/command/dispatch.js and what it reaches) into one
// file, lib/fast-bundle.js: resolving and compiling ~40 small modules costs
// more at start-up than the code itself. Heavy dependencies stay external and
// are still loaded only when a command needs them. run.js uses the bundle
// only while it is newer than the last tsc build.
// lib/fast-bundle.js is the SDK's code-cache loader (as drivers use): the
// bundle itself is lib/fast-bundle.bundle.js, compiled from a V8 code cache
// per command kept beside it (see docs/benchmarks.md for what that saves).
'use strict';

const path = require('node:path');

const root = path.resolve(__dirname, '..');

/**
 * Commands not on the fast path stay outside the bundle, loaded from lib/
 * when oclif runs them, so the bundle holds only what the fast path runs.
 */
function slowCommandsExternal() {
  const { COMMAND_TABLE } = require(path.join(root, 'lib', 'command', 'table.js'));
  const slow = new Set();
  for (const [id, load] of Object.entries(COMMAND_TABLE)) {
    if (!load().fastPath) slow.add(id.replace(/ /g, '/'));
  }
  return {
    name: 'slow-commands-external',
    setup(build) {
      build.onResolve({ filter: /^\.\.\/commands\// }, (args) => {
        const id = args.path.slice('../commands/'.length);
        return slow.has(id) ? { path: `./commands/${id}`, external: true } : undefined;
      });
    },
  };
}

/**
 * The SDK stays external (the host side loads gRPC), except modules that are
 * light and that a fast-path command runs without any driver: bundled, they
 * skip Node's package-exports resolution (it loads the ESM resolver, about
 * 4 ms) and whatever else the SDK's entry modules load.
 */
const BUNDLED_SDK_MODULES = new Set(['@machine/driver-sdk/launch-record']);

function sdkExternal() {
  return {
    name: 'sdk-external',
    setup(build) {
      build.onResolve({ filter: /^@machine\/driver-sdk(\/|$)/ }, (args) => (BUNDLED_SDK_MODULES.has(args.path) ? undefined : { path: args.path, external: true }));
    },
  };
}

async function bundle() {
  const esbuild = require('esbuild');
  await esbuild.build({
    entryPoints: [path.join(root, 'lib', 'command', 'dispatch.js')],
    outfile: path.join(root, 'lib', 'fast-bundle.bundle.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['node-forge', '@oclif/core', 'ssh2', '@grpc/*'],
    plugins: [slowCommandsExternal(), sdkExternal()],
    logLevel: 'warning',
  });
  const { writeCodeCacheLoader } = require('@machine/driver-sdk/scripts/bundle-driver.js');
  // A cache per command word: "driver ls" and "driver rm" share "driver"'s.
  const { COMMAND_TABLE } = require(path.join(root, 'lib', 'command', 'table.js'));
  const words = [...new Set(Object.keys(COMMAND_TABLE).map((id) => id.split(' ')[0]))];
  writeCodeCacheLoader(path.join(root, 'lib', 'fast-bundle.js'), path.join(root, 'lib', 'fast-bundle.bundle.js'), { perCommand: words });
}

module.exports = { bundle };

if (require.main === module) {
  bundle().then(
    () => process.stdout.write('lib/fast-bundle.js written\n'),
    (e) => {
      process.stderr.write(`bundle failed: ${e.stack || e}\n`);
      process.exit(1);
    },
  );
}
