#!/usr/bin/env node
// Builds standalone executables with Node's single-executable applications
// (see docs/packaging.md). Run after `npm run build`. Output: dist/bin/.
//
//   node scripts/package.js [--only drivers|cli]
//
// - dist/bin/machine-driver-NAME for every bundled driver: the driver's
//   bundle, bundled once more so that code it loads lazily from its dist/
//   (amazonec2's ./aws) is inside the one script SEA takes.
// - dist/bin/machine-linux-x64: the CLI with its bundled drivers. Its
//   installed tree is an asset of the executable, unpacked once into a cache
//   directory; the drivers run as the same executable in driver mode
//   (scripts/sea/cli-main.js).
//
// Every output is rebuilt only when its inputs changed (their SHA-256 is kept
// in dist/bin/.inputs.json), so test runs can call this freely.
'use strict';
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'dist', 'bin');
const inputsFile = path.join(outDir, '.inputs.json');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
// The SEA binaries run exactly this node: its version is an input of every binary.
const RUNTIME_KEY = `${process.version} ${process.arch} ${fs.statSync(process.execPath).size}`;
const SELF_KEY = sha256(fs.readFileSync(__filename)) + sha256(fs.readFileSync(path.join(__dirname, 'sea', 'cli-main.js')));

// A driver wrapper keeps stray group signals from killing a driver that is
// still loading under the stdin lifeline; a SEA has no wrapper, so its script starts with the same guard.
const LIFELINE_GUARD =
  "if (process.env.MACHINE_PLUGIN_LIFELINE === 'stdin') for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => undefined);";

function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function readInputs() {
  try {
    return readJson(inputsFile);
  } catch {
    return {};
  }
}

/** Records one output's input hash; other keys are read again, as a concurrent `--only` run may have written them. */
function recordInputs(output, key) {
  const inputs = { ...readInputs(), [output]: key };
  const tmp = `${inputsFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(inputs, null, 2) + '\n');
  fs.renameSync(tmp, inputsFile);
}

/** Every driver the repository bundles, with the loader-less bundle its wrapper runs. */
function bundledDrivers() {
  const found = [];
  const cliDrivers = readJson(path.join(root, 'cli', 'package.json')).machine.drivers;
  for (const name of Object.keys(cliDrivers)) found.push({ name, bundle: path.join(root, 'cli', 'dist', 'drivers', `${name}.bundle.js`) });
  for (const dir of fs.readdirSync(path.join(root, 'plugins')).sort()) {
    const manifest = path.join(root, 'plugins', dir, 'package.json');
    if (!fs.existsSync(manifest)) continue;
    const drivers = (readJson(manifest).machine || {}).drivers || {};
    // bundle-driver.js writes a code-cache loader as main.js and the code as
    // main.bundle.js; SEA has its own code cache, so it takes the code alone.
    for (const name of Object.keys(drivers)) found.push({ name, bundle: path.join(root, 'plugins', dir, 'dist', 'main.bundle.js') });
  }
  for (const d of found) {
    if (!fs.existsSync(d.bundle)) throw new Error(`${path.relative(root, d.bundle)} is missing; run npm run build first`);
  }
  return found;
}

/**
 * The driver as one script. esbuild follows the require() calls the driver's
 * own bundle left to run time (amazonec2 keeps the AWS SDK in dist/aws.js so
 * that its metadata calls stay cheap); they stay lazy, as esbuild wraps each
 * module in a function run on first require. Native addons (ssh2's optional
 * crypto binding) stay out: SEA cannot load them, and their users fall back
 * to JavaScript. import() becomes require(): Node 20 runs a SEA's script
 * without a dynamic-import hook ("A dynamic import callback was not
 * specified"), and the AWS SDK imports node:http that way.
 */
async function singleScript(bundle, outFile) {
  const esbuild = require('esbuild');
  await esbuild.build({
    entryPoints: [bundle],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    legalComments: 'none',
    logLevel: 'error',
    banner: { js: LIFELINE_GUARD },
    supported: { 'dynamic-import': false },
    plugins: [nativeAddonsExternal()],
  });
}

function nativeAddonsExternal() {
  return {
    name: 'native-addons-external',
    setup(build) {
      build.onResolve({ filter: /\.node$/ }, (args) => ({ path: args.path, external: true }));
    },
  };
}

/** Preparation blob, then postject into a copy of this node; renamed last, so an interrupted build never leaves a broken binary under the real name. */
function makeExecutable(work, seaConfig, target) {
  const blob = path.join(work, 'sea.blob');
  const config = path.join(work, 'sea-config.json');
  fs.writeFileSync(config, JSON.stringify({ ...seaConfig, output: blob, disableExperimentalSEAWarning: true }));
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'ignore' });
  const partial = `${target}.partial`;
  fs.copyFileSync(process.execPath, partial);
  fs.chmodSync(partial, 0o755);
  execFileSync(process.execPath, [require.resolve('postject/dist/cli.js'), partial, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE], {
    stdio: 'ignore',
  });
  fs.renameSync(partial, target);
}

async function packageDriver({ name, bundle }, inputs) {
  const target = path.join(outDir, `machine-driver-${name}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `machine-sea-${name}-`));
  try {
    const script = path.join(work, `${name}.js`);
    await singleScript(bundle, script);
    const key = sha256(`${RUNTIME_KEY}\0${SELF_KEY}\0${sha256(fs.readFileSync(script))}`);
    if (inputs[path.basename(target)] === key && fs.existsSync(target)) {
      process.stdout.write(`${path.relative(root, target)} (unchanged)\n`);
      return;
    }
    // useCodeCache: V8 skips compiling the script at start-up.
    makeExecutable(work, { main: script, useCodeCache: true }, target);
    recordInputs(path.basename(target), key);
    process.stdout.write(`${path.relative(root, target)}\n`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// The CLI as one file.

/** Files of a workspace package that an install needs: package.json and its `files`, without tests, types and build state. */
function copyWorkspacePackage(from, to, only) {
  const manifest = readJson(path.join(from, 'package.json'));
  const entries = only || manifest.files || [];
  fs.mkdirSync(to, { recursive: true });
  fs.copyFileSync(path.join(from, 'package.json'), path.join(to, 'package.json'));
  for (const entry of entries) {
    if (entry.startsWith('!')) continue;
    const src = path.join(from, entry);
    if (!fs.existsSync(src)) continue;
    fs.cpSync(src, path.join(to, entry), {
      recursive: true,
      dereference: true,
      filter: (p) => !/(\.test\.js|\.test\.d\.ts|\.d\.ts|\.map|\.tsbuildinfo|\.v8cache)$/.test(p),
    });
  }
  return manifest;
}

/** Where `dep` resolves from a package at `fromDir`, the way Node looks it up (nearest node_modules first). */
function resolvePackage(dep, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', dep);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === path.dirname(dir)) return undefined;
  }
}

/**
 * Copies into `stage` every third-party package reachable from `manifests`
 * (dependencies, and optional dependencies that are installed; peer
 * dependencies are left to whoever depends on them too: the SDK's esbuild
 * is for driver authors only), at
 * the same place relative to the repository root as here.
 */
function copyDependencyClosure(stage, starts) {
  const seen = new Set();
  const queue = [...starts];
  while (queue.length) {
    const { dir, manifest } = queue.shift();
    const names = { ...manifest.optionalDependencies, ...manifest.dependencies };
    for (const dep of Object.keys(names)) {
      if (dep.startsWith('@machine/')) continue;
      const found = resolvePackage(dep, dir);
      if (!found || seen.has(found)) continue;
      seen.add(found);
      const rel = path.relative(root, found);
      const dest = path.join(stage, rel);
      if (!fs.existsSync(dest)) {
        fs.cpSync(found, dest, { recursive: true, dereference: true, filter: (p) => !p.endsWith('.map') && !p.endsWith('.d.ts') });
      }
      queue.push({ dir: found, manifest: readJson(path.join(found, 'package.json')) });
    }
  }
}

/**
 * A driver wrapper in the unpacked tree: the host that launches it may have
 * no node, so the wrapper starts the machine executable that unpacked it,
 * which runs the original wrapper (now NAME.js) in driver mode.
 */
function seaDriverWrapper(name) {
  return [
    '#!/bin/sh',
    '# Part of the single-file machine build (docs/packaging.md): runs this',
    '# driver inside the machine executable, which needs no installed node.',
    'if [ -z "$MACHINE_SEA_EXEC" ]; then',
    `  echo "machine-driver-${name}: started outside machine; it runs only inside the machine executable that unpacked it" >&2`,
    '  exit 1',
    'fi',
    'MACHINE_SEA_RUN="$0.js" exec "$MACHINE_SEA_EXEC" "$@"',
    '',
  ].join('\n');
}

function wrapDrivers(stage, pkgDir) {
  const drivers = (readJson(path.join(stage, pkgDir, 'package.json')).machine || {}).drivers || {};
  for (const [name, rel] of Object.entries(drivers)) {
    const wrapper = path.join(stage, pkgDir, rel);
    fs.renameSync(wrapper, `${wrapper}.js`);
    fs.writeFileSync(wrapper, seaDriverWrapper(name), { mode: 0o755 });
  }
}

/**
 * The tree the CLI executable unpacks: what `npm install -g` of the CLI
 * would give, plus the repository's other bundled drivers beside it (as in
 * a checkout, where discovery finds them). `machine plugins` is left out:
 * it runs npm, and this build is for hosts without Node.
 */
function stageCli(stage, commit) {
  const cli = copyWorkspacePackage(path.join(root, 'cli'), path.join(stage, 'cli'));
  const cliManifestFile = path.join(stage, 'cli', 'package.json');
  const manifest = readJson(cliManifestFile);
  delete manifest.dependencies['@oclif/plugin-plugins'];
  manifest.oclif.plugins = manifest.oclif.plugins.filter((p) => p !== '@oclif/plugin-plugins');
  delete manifest.devDependencies;
  fs.writeFileSync(cliManifestFile, JSON.stringify(manifest, null, 2) + '\n');
  // bin/run.js checks the build stamp; this tree has no compiler build info to compare.
  fs.writeFileSync(path.join(stage, 'cli', 'lib', 'build.json'), JSON.stringify({ commit, packaging: 'sea' }) + '\n');
  wrapDrivers(stage, 'cli');

  const starts = [{ dir: path.join(root, 'cli'), manifest }];
  for (const dep of Object.keys(cli.dependencies).filter((d) => d.startsWith('@machine/'))) {
    const real = fs.realpathSync(path.join(root, 'node_modules', dep));
    const dest = path.join(stage, 'node_modules', dep);
    const depManifest = copyWorkspacePackage(real, dest);
    starts.push({ dir: real, manifest: depManifest });
    wrapDrivers(stage, path.join('node_modules', dep));
  }
  copyDependencyClosure(stage, starts);

  // The other drivers are single bundles: their executables and dist/ are all they need.
  for (const dir of fs.readdirSync(path.join(root, 'plugins')).sort()) {
    const from = path.join(root, 'plugins', dir);
    if (!fs.existsSync(path.join(from, 'package.json'))) continue;
    const name = readJson(path.join(from, 'package.json')).name;
    if (Object.prototype.hasOwnProperty.call(cli.dependencies, name)) continue;
    copyWorkspacePackage(from, path.join(stage, 'plugins', dir), ['bin', 'dist']);
    wrapDrivers(stage, path.join('plugins', dir));
  }
}

/** Paths, modes and contents of a tree, for the input hash. */
function treeDigest(dir) {
  const hash = createHash('sha256');
  const walk = (rel) => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const p = path.join(rel, name);
      const st = fs.lstatSync(path.join(dir, p));
      if (st.isDirectory()) walk(p);
      else {
        hash.update(`${p}\0${st.mode & 0o777}\0`);
        hash.update(fs.readFileSync(path.join(dir, p)));
      }
    }
  };
  walk('');
  return hash.digest('hex');
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short=8', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}

async function packageCli(inputs) {
  const target = path.join(outDir, `machine-${process.platform}-${process.arch}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'machine-sea-cli-'));
  try {
    const stage = path.join(work, 'stage');
    const commit = gitCommit();
    stageCli(stage, commit);
    const main = path.join(work, 'cli-main.js');
    const esbuild = require('esbuild');
    await esbuild.build({
      entryPoints: [path.join(__dirname, 'sea', 'cli-main.js')],
      outfile: main,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minifyWhitespace: true,
      minifySyntax: true,
      legalComments: 'none',
      logLevel: 'error',
    });
    const id = sha256(`${RUNTIME_KEY}\0${SELF_KEY}\0${treeDigest(stage)}\0${sha256(fs.readFileSync(main))}`);
    if (inputs[path.basename(target)] === id && fs.existsSync(target)) {
      process.stdout.write(`${path.relative(root, target)} (unchanged)\n`);
      return;
    }
    const tar = require('tar');
    const archive = path.join(work, 'tree.tgz');
    tar.c({ file: archive, cwd: stage, gzip: { level: 9 }, portable: true, sync: true, noMtime: true }, fs.readdirSync(stage).sort());
    const version = readJson(path.join(root, 'cli', 'package.json')).version;
    const info = path.join(work, 'build.json');
    // The id names the unpacked tree, so two different builds never share one.
    fs.writeFileSync(info, JSON.stringify({ id: id.slice(0, 16), version, commit }));
    makeExecutable(work, { main, useCodeCache: true, assets: { 'tree.tgz': archive, 'build.json': info } }, target);
    recordInputs(path.basename(target), id);
    process.stdout.write(`${path.relative(root, target)}\n`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function main() {
  const args = process.argv.slice(2);
  const only = args[0] === '--only' ? args[1] : undefined;
  if ((args.length && !only) || (only && only !== 'drivers' && only !== 'cli')) {
    process.stderr.write('usage: node scripts/package.js [--only drivers|cli]\n');
    process.exit(2);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const inputs = readInputs();
  if (only !== 'cli') for (const d of bundledDrivers()) await packageDriver(d, inputs);
  if (only !== 'drivers') await packageCli(inputs);
}

main().catch((err) => {
  process.stderr.write(`package: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
});
