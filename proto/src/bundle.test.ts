import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchDriver } from './host';

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
});
