import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchDriver } from './host';

/**
 * A loader required by the test process itself. Without a code cache: a
 * cache written later by this long-lived process (one second in, or at its
 * exit) would recreate the directory the suite has removed by then.
 */
function requireLoader<T>(file: string): T {
  const before = process.env.MACHINE_NO_CODE_CACHE;
  process.env.MACHINE_NO_CODE_CACHE = '1';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file) as T;
  } finally {
    if (before === undefined) delete process.env.MACHINE_NO_CODE_CACHE;
    else process.env.MACHINE_NO_CODE_CACHE = before;
  }
}

describe('bundle-driver script', function () {
  this.timeout(60_000);
  let dir: string;
  let loader: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'machine-bundle-test-'));
    loader = path.join(dir, 'dist', 'mini.js');
    execFileSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'bundle-driver.js'), path.join(__dirname, 'testing', 'mini-driver.js'), loader]);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a small loader next to one self-contained bundle', () => {
    assert.deepEqual(fs.readdirSync(path.join(dir, 'dist')).sort(), ['mini.bundle.js', 'mini.js']);
    const bundle = fs.readFileSync(path.join(dir, 'dist', 'mini.bundle.js'), 'utf8');
    assert.doesNotMatch(bundle, /require\(["']@grpc\/grpc-js["']\)/, 'grpc-js must be inside the bundle');
    assert.ok(fs.statSync(loader).size < 4096);
  });

  it('serves from the bundle and leaves a V8 code cache that the next start accepts', async () => {
    const run = ['-e', `require(${JSON.stringify(loader)}).main()`];
    const first = await launchDriver({ name: 'mini', path: process.execPath, args: run });
    assert.equal(first.metadata.name, 'mini');
    await first.close();
    const caches = fs.readdirSync(path.join(dir, 'dist')).filter((f) => f.endsWith('.v8cache'));
    assert.deepEqual(caches, [`mini.bundle.js.${process.version}.v8cache`]);
    const cacheFile = path.join(dir, 'dist', caches[0]);
    const written = fs.statSync(cacheFile).mtimeMs;
    const second = await launchDriver({ name: 'mini', path: process.execPath, args: run });
    assert.deepEqual(await second.describe({ machine: { name: 'm', storePath: '/tmp', machineDir: '/tmp/m' }, state: { mode: 'ok', delayMs: 0 }, stateVersion: 3 }), {
      state: 'Running',
      ip: '10.0.0.9',
      url: 'tcp://10.0.0.9:2376',
    });
    await second.close();
    // A rejected cache would have been written again.
    assert.equal(fs.statSync(cacheFile).mtimeMs, written);
  });

  it('keeps one code cache for each command a loader was written with, and loads no node:module', () => {
    const work = path.join(dir, 'per-command');
    fs.mkdirSync(work, { recursive: true });
    fs.copyFileSync(path.join(dir, 'dist', 'mini.bundle.js'), path.join(work, 'cli.bundle.js'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { writeCodeCacheLoader } = require('../scripts/bundle-driver.js') as {
      writeCodeCacheLoader: (out: string, bundle: string, options?: { perCommand?: string[] }) => void;
    };
    writeCodeCacheLoader(path.join(work, 'cli.js'), path.join(work, 'cli.bundle.js'), { perCommand: ['inspect', 'ls'] });
    // As bin/run.js is: a script whose first argument is the command.
    fs.writeFileSync(
      path.join(work, 'run.js'),
      "require('./cli.js');\nprocess.stdout.write(JSON.stringify(process.moduleLoadList.includes('NativeModule module')));\n",
    );
    const run = (...args: string[]): string => execFileSync(process.execPath, [path.join(work, 'run.js'), ...args], { encoding: 'utf8' });
    const caches = (): string[] => fs.readdirSync(work).filter((f) => f.endsWith('.v8cache')).sort();

    assert.equal(run('inspect', 'box'), 'false');
    run('ls');
    // Not one of its commands: the shared cache, never a file per typo or a path built from argv.
    run('--debug', 'ls');
    run('lss');
    run('../../escape');
    const v = process.version;
    assert.deepEqual(caches(), [`cli.bundle.js.inspect.${v}.v8cache`, `cli.bundle.js.ls.${v}.v8cache`, `cli.bundle.js.${v}.v8cache`].sort());
    const inspectCache = path.join(work, `cli.bundle.js.inspect.${v}.v8cache`);
    const written = fs.statSync(inspectCache).mtimeMs;
    run('inspect', 'other');
    // Accepted by the next start of the same command (a rejected one is written again).
    assert.equal(fs.statSync(inspectCache).mtimeMs, written);
    assert.throws(() => writeCodeCacheLoader(path.join(work, 'x.js'), path.join(work, 'cli.bundle.js'), { perCommand: ['../x'] }), /perCommand takes command words/);
  });

  it('a process that lives on takes its cache one second in, not at exit, and a short one at exit', () => {
    const work = path.join(dir, 'long-lived');
    fs.mkdirSync(work, { recursive: true });
    fs.copyFileSync(path.join(dir, 'dist', 'mini.bundle.js'), path.join(work, 'x.bundle.js'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { writeCodeCacheLoader } = require('../scripts/bundle-driver.js') as { writeCodeCacheLoader: (out: string, bundle: string) => void };
    writeCodeCacheLoader(path.join(work, 'x.js'), path.join(work, 'x.bundle.js'));
    const cache = path.join(work, `x.bundle.js.${process.version}.v8cache`);
    // A long-lived process (a create, a test runner) whose later garbage
    // collections may flush bytecode: the cache is there at 1.5 s, while it
    // still runs, and exit writes no other.
    const probe = `require(${JSON.stringify(path.join(work, 'x.js'))});
setTimeout(() => { process.stdout.write(String(require('fs').existsSync(${JSON.stringify(cache)}))); }, 1500);`;
    assert.equal(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }), 'true');
    const written = fs.statSync(cache).mtimeMs;
    execFileSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(work, 'x.js'))})`]);
    assert.equal(fs.statSync(cache).mtimeMs, written, 'an accepted cache is not written again');
    // A short run, gone before the second: at exit.
    fs.rmSync(cache);
    execFileSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(work, 'x.js'))})`]);
    assert.ok(fs.existsSync(cache));
  });

  it('never runs an older bundle from a temp-dir cache, even when the new bundle has the same length', () => {
    const work = path.join(dir, 'upgrade');
    const tmp = path.join(work, 'tmp');
    fs.mkdirSync(tmp, { recursive: true });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { writeCodeCacheLoader } = require('../scripts/bundle-driver.js') as { writeCodeCacheLoader: (out: string, bundle: string) => void };
    const bundle = path.join(work, 'x.bundle.js');
    const besideBundle = `${bundle}.${process.version}.v8cache`;
    const build = (answer: string): void => {
      fs.rmSync(besideBundle, { recursive: true, force: true });
      fs.writeFileSync(bundle, `exports.answer = () => '${answer}';\n`);
      writeCodeCacheLoader(path.join(work, 'x.js'), bundle);
    };
    // A directory where the cache beside the bundle would go: as for a
    // read-only install, the loader falls back to the temp dir.
    const run = (): string => {
      fs.mkdirSync(besideBundle, { recursive: true });
      return execFileSync(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(path.join(work, 'x.js'))}).answer())`], {
        encoding: 'utf8',
        env: { ...process.env, TMPDIR: tmp },
      });
    };
    build('one');
    assert.equal(run(), 'one');
    assert.equal(run(), 'one');
    assert.equal(fs.readdirSync(path.join(tmp, 'machine-v8cache')).length, 1);
    build('two');
    assert.equal(run(), 'two');
  });

  it('stubs a module (--alias), leaves one to run time (--external) and can skip the loader (--no-loader)', () => {
    const work = path.join(dir, 'options');
    fs.mkdirSync(path.join(work, 'out'), { recursive: true });
    fs.writeFileSync(path.join(work, 'entry.js'), "exports.native = require('native-thing').name;\nexports.late = () => require('./late');\n");
    fs.writeFileSync(path.join(work, 'stub.js'), "exports.name = 'stub';\n");
    const script = path.join(__dirname, '..', 'scripts', 'bundle-driver.js');
    const run = (...args: string[]) => execFileSync(process.execPath, [script, ...args], { cwd: work, encoding: 'utf8', stdio: 'pipe' });

    run('entry.js', 'out/driver.js', '--alias', 'native-thing=stub.js', '--external', './late');
    const bundle = fs.readFileSync(path.join(work, 'out', 'driver.bundle.js'), 'utf8');
    assert.match(bundle, /require\(["']\.\/late["']\)/);
    assert.doesNotMatch(bundle, /native-thing/);
    fs.writeFileSync(path.join(work, 'out', 'late.js'), "module.exports = 'late';\n");
    const loaded = requireLoader<{ native: string; late: () => string }>(path.join(work, 'out', 'driver.js'));
    assert.equal(loaded.native, 'stub');
    assert.equal(loaded.late(), 'late');

    run('entry.js', 'out/plain.js', '--alias', 'native-thing=stub.js', '--external', './late', '--no-loader');
    assert.ok(!fs.existsSync(path.join(work, 'out', 'plain.bundle.js')));
    assert.doesNotMatch(fs.readFileSync(path.join(work, 'out', 'plain.js'), 'utf8'), /v8cache/);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    assert.equal((require(path.join(work, 'out', 'plain.js')) as { native: string }).native, 'stub');

    assert.throws(() => run('entry.js', 'out/x.js', '--stub', 'x'), (err: { status?: number; stderr?: string }) => err.status === 2 && /unknown option --stub/.test(String(err.stderr)));
  });

  it('gives the bundle a whole require: require.resolve with paths finds a package beside it', () => {
    const work = path.join(dir, 'resolve');
    fs.mkdirSync(path.join(work, 'node_modules', 'beside'), { recursive: true });
    fs.writeFileSync(path.join(work, 'node_modules', 'beside', 'package.json'), '{"name":"beside","version":"1.2.3"}');
    // A computed name, so that esbuild leaves the lookup to run time, as the CLI's plugin search does.
    fs.writeFileSync(path.join(work, 'entry.js'), "exports.find = (name) => require.resolve(name + '/package.json', { paths: [__dirname] });\n");
    execFileSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'bundle-driver.js'), 'entry.js', 'out/resolving.js'], { cwd: work, stdio: 'pipe' });
    const loaded = requireLoader<{ find: (name: string) => string }>(path.join(work, 'out', 'resolving.js'));
    assert.equal(loaded.find('beside'), path.join(work, 'node_modules', 'beside', 'package.json'));
  });

  it('loads zlib on first use only, and then it works as the real module', () => {
    const work = path.join(dir, 'lazy');
    fs.mkdirSync(work, { recursive: true });
    fs.writeFileSync(
      path.join(work, 'entry.js'),
      "const zlib = require('zlib');\nexports.gzipRoundTrip = (s) => zlib.gunzipSync(zlib.gzipSync(s)).toString();\nexports.keys = () => Object.keys(zlib);\n",
    );
    execFileSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'bundle-driver.js'), 'entry.js', 'out/lazy.js'], { cwd: work, stdio: 'pipe' });
    const probe = `
      const loaded = () => process.moduleLoadList.some((m) => m === 'NativeModule zlib');
      const m = require(${JSON.stringify(path.join(work, 'out', 'lazy.js'))});
      const before = loaded();
      const out = m.gzipRoundTrip('hello');
      process.stdout.write(JSON.stringify({ before, after: loaded(), out, hasGzip: m.keys().includes('gzip') }));`;
    const r = JSON.parse(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' })) as Record<string, unknown>;
    assert.deepEqual(r, { before: false, after: true, out: 'hello', hasGzip: true });
  });

  it('loads dns and tls on first use too, unless --eager keeps one as it was', () => {
    const work = path.join(dir, 'lazy-net');
    fs.mkdirSync(work, { recursive: true });
    fs.writeFileSync(
      path.join(work, 'entry.js'),
      "const tls = require('tls');\nconst dns = require('dns');\nconst net = require('net');\n" +
        'exports.isTlsSocket = (s) => s instanceof tls.TLSSocket;\nexports.lookupIsFunction = () => typeof dns.lookup === "function";\nexports.plain = () => new net.Socket();\n',
    );
    const bundle = (out: string, ...extra: string[]): void => {
      execFileSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'bundle-driver.js'), 'entry.js', out, ...extra], { cwd: work, stdio: 'pipe' });
    };
    bundle('out/lazy.js');
    bundle('out/eager.js', '--eager', 'tls');
    const probe = (file: string): Record<string, unknown> => {
      const js = `
        const loaded = (name) => process.moduleLoadList.includes('NativeModule ' + name);
        const m = require(${JSON.stringify(path.join(work, 'out', 'FILE'))});
        const before = { tls: loaded('tls'), dns: loaded('dns') };
        const plainIsTls = m.isTlsSocket(m.plain());
        process.stdout.write(JSON.stringify({ before, plainIsTls, lookup: m.lookupIsFunction(), after: { tls: loaded('tls'), dns: loaded('dns') } }));`;
      return JSON.parse(execFileSync(process.execPath, ['-e', js.replace('FILE', file)], { encoding: 'utf8' })) as Record<string, unknown>;
    };
    assert.deepEqual(probe('lazy.js'), { before: { tls: false, dns: false }, plainIsTls: false, lookup: true, after: { tls: true, dns: true } });
    assert.deepEqual(probe('eager.js'), { before: { tls: true, dns: false }, plainIsTls: false, lookup: true, after: { tls: true, dns: true } });
    assert.throws(() => bundle('out/x.js', '--eager', 'fs'), (err: { status?: number; stderr?: string }) => err.status === 2 && /--eager takes one of zlib, dns, tls, not fs/.test(String(err.stderr)));
  });
});
