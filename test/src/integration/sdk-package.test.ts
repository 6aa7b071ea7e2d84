import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO } from './cli-support';

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  bin?: Record<string, string>;
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

// What a vendor gets from `npm install -D @machine/driver-sdk`: the packed
// tarball, installed beside nothing but what its package.json declares.
describe('the @machine/driver-sdk package as published', function () {
  this.timeout(120_000);
  let tmp: string;
  let pkgDir: string;
  let manifest: Manifest;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sdk-pack-'));
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tmp, '--loglevel=error'], { cwd: path.join(REPO, 'proto'), encoding: 'utf8' });
    const [{ filename }] = JSON.parse(out) as { filename: string }[];
    const modules = path.join(tmp, 'app', 'node_modules');
    pkgDir = path.join(modules, '@machine', 'driver-sdk');
    fs.mkdirSync(pkgDir, { recursive: true });
    execFileSync('tar', ['-xzf', path.join(tmp, filename), '-C', pkgDir, '--strip-components=1']);
    manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as Manifest;
    // Only what the package declares is installed beside it (each from the
    // repository's own install, so no registry is needed).
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) {
      const from = path.join(REPO, 'node_modules', dep);
      fs.mkdirSync(path.dirname(path.join(modules, dep)), { recursive: true });
      fs.symlinkSync(from, path.join(modules, dep));
    }
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('ships no tests, no test drivers and no build info', () => {
    const files = walk(pkgDir).map((f) => path.relative(pkgDir, f));
    assert.deepEqual(files.filter((f) => /\.test\.(js|d\.ts)$|^lib\/testing\/|tsbuildinfo/.test(f)), []);
    for (const needed of ['lib/index.js', 'lib/serve.js', 'lib/host.js', 'lib/conformance/index.js', 'scripts/bundle-driver.js', 'machine/driver/v1/driver.proto']) {
      assert.ok(files.includes(needed), `${needed} is shipped`);
    }
  });

  it('requires nothing it does not declare, and declares esbuild for machine-bundle-driver', () => {
    assert.equal(manifest.bin?.['machine-bundle-driver'], 'scripts/bundle-driver.js');
    assert.ok(manifest.peerDependencies?.esbuild, 'esbuild is declared');
    assert.equal(manifest.peerDependenciesMeta?.esbuild?.optional, true, 'and only bundling needs it');
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
    const builtins = new Set(builtinModules);
    const undeclared = new Set<string>();
    for (const file of walk(pkgDir).filter((f) => /\.js$/.test(f) && !f.includes(`${path.sep}dist${path.sep}`))) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/require\(['"]([^'"./][^'"]*)['"]\)/g)) {
        const spec = m[1].replace(/^node:/, '');
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!builtins.has(name) && !declared.has(name) && name !== manifest.name) undeclared.add(`${name} (${path.relative(pkgDir, file)})`);
      }
    }
    assert.deepEqual([...undeclared], []);
  });

  it('loads, serves and hosts with only its declared dependencies beside it', () => {
    const script = `
      const sdk = require('@machine/driver-sdk');
      const { launchDriver } = require('@machine/driver-sdk/host');
      require('@machine/driver-sdk/serve');
      require('@machine/driver-sdk/conformance');
      if (typeof sdk.serveDriver !== 'function' || typeof launchDriver !== 'function') throw new Error('missing exports');
      console.log(require.resolve('@machine/driver-sdk'));
    `;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: path.join(tmp, 'app'), env: { PATH: process.env.PATH }, encoding: 'utf8' });
    assert.equal(out.trim(), path.join(pkgDir, 'lib', 'index.js'));
  });
});
