// The main script of the single-file CLI (dist/bin/machine-linux-x64, made by
// scripts/package.js). The executable carries the CLI's installed tree as an
// asset (tree.tgz); the first run unpacks it into a cache directory named by
// the build, and every run then starts the CLI from there, as an npm install
// would. Node itself is this executable, so the host needs none.
//
// Two modes, chosen by the environment:
// - CLI mode (the default): argv is a machine command line.
// - driver mode: MACHINE_SEA_RUN names a driver script of the unpacked tree.
//   The tree's driver executables are small sh wrappers that set it and exec
//   MACHINE_SEA_EXEC, the path of this executable, which CLI mode exports for
//   the drivers it launches. An environment variable rather than an argv
//   marker, because the driver protocol gives a driver's argv to the driver.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Module = require('node:module');
const sea = require('node:sea');

const build = JSON.parse(sea.getAsset('build.json', 'utf8'));

function cacheBases() {
  const bases = [];
  if (process.env.MACHINE_SEA_CACHE) bases.push(process.env.MACHINE_SEA_CACHE);
  else {
    const xdg = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
    bases.push(path.join(xdg, 'machine', 'sea'));
    // A read-only home still gets a working CLI.
    bases.push(path.join(os.tmpdir(), `machine-sea-${typeof process.getuid === 'function' ? process.getuid() : 'user'}`));
  }
  return bases;
}

const COMPLETE = '.complete';
const DAY_MS = 24 * 60 * 60 * 1000;
/** A tree no run has used for this long is removed when another build unpacks. */
const UNUSED_MS = 30 * DAY_MS;

/** The tree's last use, kept to the day in its .complete file's mtime. */
function markUsed(complete, st) {
  if (Date.now() - st.mtimeMs < DAY_MS) return;
  try {
    const now = new Date();
    fs.utimesSync(complete, now, now);
  } catch {
    // a read-only cache only loses the pruning
  }
}

/** Trees of other builds unused for UNUSED_MS, and partial trees a day old. */
function pruneOthers(base) {
  for (const name of fs.readdirSync(base)) {
    if (name === build.id) continue;
    const dir = path.join(base, name);
    try {
      const partial = name.startsWith('.');
      const since = fs.statSync(partial ? dir : path.join(dir, COMPLETE)).mtimeMs;
      if (Date.now() - since > (partial ? DAY_MS : UNUSED_MS)) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // not one of ours, or gone already
    }
  }
}

function unpackInto(base) {
  const dir = path.join(base, build.id);
  const complete = path.join(dir, COMPLETE);
  try {
    markUsed(complete, fs.statSync(complete));
    return dir;
  } catch {
    // not unpacked yet
  }
  fs.mkdirSync(base, { recursive: true, mode: 0o700 });
  // Unpacked beside the final place and renamed, so a concurrent or
  // interrupted first run never leaves a half tree under the real name.
  const partial = fs.mkdtempSync(path.join(base, `.${build.id}-`));
  try {
    const { UnpackSync } = require('tar');
    new UnpackSync({ cwd: partial, strict: true }).end(Buffer.from(sea.getAsset('tree.tgz')));
    fs.writeFileSync(path.join(partial, COMPLETE), `${build.version} ${build.commit}\n`);
    try {
      fs.renameSync(partial, dir);
    } catch (err) {
      // Another run got there first with the same tree.
      if (!fs.existsSync(path.join(dir, COMPLETE))) throw err;
    }
  } finally {
    fs.rmSync(partial, { recursive: true, force: true });
  }
  pruneOthers(base);
  return dir;
}

function unpacked() {
  const problems = [];
  for (const base of cacheBases()) {
    try {
      return unpackInto(base);
    } catch (err) {
      problems.push(`${base}: ${err && err.message ? err.message : err}`);
    }
  }
  process.stderr.write(`machine: cannot unpack the CLI (${problems.join('; ')}); set MACHINE_SEA_CACHE to a writable directory\n`);
  process.exit(1);
}

/** Runs `script` as the main module, with argv as `node script ...args` would give it. */
function runMain(script) {
  process.argv = [process.execPath, script, ...process.argv.slice(2)];
  Module.runMain(script);
}

const driverScript = process.env.MACHINE_SEA_RUN;
if (driverScript !== undefined) {
  delete process.env.MACHINE_SEA_RUN;
  // Driver mode runs only the tree's own driver scripts: this executable is
  // not a general-purpose node.
  const tree = fs.realpathSync(unpacked());
  let real;
  try {
    real = fs.realpathSync(driverScript);
  } catch {
    real = '';
  }
  if (!real.endsWith('.js') || !real.startsWith(tree + path.sep)) {
    process.stderr.write(`machine: MACHINE_SEA_RUN=${driverScript} is not a driver of this build\n`);
    process.exit(1);
  }
  runMain(real);
} else {
  const tree = unpacked();
  process.env.MACHINE_SEA_EXEC = process.execPath;
  runMain(path.join(tree, 'cli', 'bin', 'run.js'));
}
