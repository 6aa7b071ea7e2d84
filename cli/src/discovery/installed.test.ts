import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as sinon from 'sinon';
import type { DriverClient, LaunchOptions } from '@machine/driver-sdk';
import { MachineError } from '../errors';
import { findDriver } from './discover';
import { RACY_MS, installDriver, removeInstalledDriver, sha256OfFile, verifyInstalledDriver } from './installed';

describe('installed standalone drivers', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let source: string;

  /** A launcher standing in for the SDK's: the "driver" reports `name`. */
  const reporting = (name: string) =>
    sinon.spy(async (o: LaunchOptions) => ({ name: o.name, path: o.path, pid: undefined, metadata: { name }, close: async () => undefined }) as unknown as DriverClient);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'installed-test-'));
    env = { MACHINE_DATA_DIR: path.join(dir, 'data'), PATH: '' };
    source = path.join(dir, 'download-linux-x64');
    fs.writeFileSync(source, '#!/bin/sh\necho driver\n', { mode: 0o755 });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const refusedWith = (re: RegExp) => (e: unknown) => {
    assert.ok(MachineError.is(e, 'driver'), String(e));
    assert.match((e as Error).message, re);
    assert.doesNotMatch((e as Error).message, /\n/, 'one line');
    return true;
  };

  it('installs under the name the driver reports, with a sha256sum-style digest, and finds it before bundled drivers', async () => {
    const launch = reporting('exo');
    const r = await installDriver(source, env, { launch });
    const target = path.join(env.MACHINE_DATA_DIR!, 'drivers', 'machine-driver-exo');
    assert.equal(r.path, target);
    assert.equal(r.sha256, crypto.createHash('sha256').update(fs.readFileSync(source)).digest('hex'));
    assert.equal(fs.readFileSync(`${target}.sha256`, 'utf8'), `${r.sha256}  machine-driver-exo\n`);
    assert.equal(launch.callCount, 1);
    assert.notEqual(launch.firstCall.args[0].path, source, 'the copy is what gets started and installed');
    assert.deepEqual(
      fs.readdirSync(path.dirname(target)).sort(),
      ['machine-driver-exo', 'machine-driver-exo.sha256'],
      'no partial file left',
    );
    const found = findDriver('exo', { env });
    assert.equal(found.source, 'installed');
    assert.equal(found.path, target);
    await verifyInstalledDriver(found);
  });

  it('refuses to replace without force, and a name that is not a plain driver name', async () => {
    await installDriver(source, env, { launch: reporting('exo') });
    await assert.rejects(installDriver(source, env, { launch: reporting('exo') }), /already installed.*--force/);
    await installDriver(source, env, { launch: reporting('exo'), force: true });
    await assert.rejects(installDriver(source, env, { launch: reporting('../evil') }), /reports the driver name "\.\.\/evil"/);
  });

  it('hashes only when the file changed, and refuses a changed file whatever its timestamps say', async () => {
    const { path: target } = await installDriver(source, env, { launch: reporting('exo') });
    const loc = { name: 'exo', path: target, source: 'installed' as const };
    const remembered = path.join(path.dirname(target), '.machine-driver-exo.verified');
    await verifyInstalledDriver(loc);
    assert.ok(!fs.existsSync(remembered), 'a file changed just now is not remembered (a second change could share its timestamps)');
    const later = () => Date.now() + RACY_MS + 1000;
    await verifyInstalledDriver(loc, { now: later });
    assert.ok(fs.existsSync(remembered));

    // The module object itself: the namespace import above only has getters onto it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const reading = sinon.spy(require('node:fs') as typeof fs, 'createReadStream');
    try {
      await verifyInstalledDriver(loc, { now: later });
      assert.equal(reading.callCount, 0, 'an unchanged file is not read again');
    } finally {
      reading.restore();
    }

    const st = fs.statSync(target);
    fs.writeFileSync(target, '#!/bin/sh\necho DRIVER\n');
    fs.utimesSync(target, st.atime, st.mtime);
    await assert.rejects(verifyInstalledDriver(loc, { now: later }), refusedWith(/Driver "exo" refused: .* does not match the SHA-256 recorded when it was installed .*machine driver rm exo/));
  });

  it('refuses a driver without a recorded digest', async () => {
    const { path: target } = await installDriver(source, env, { launch: reporting('exo') });
    fs.rmSync(`${target}.sha256`);
    await assert.rejects(verifyInstalledDriver({ name: 'exo', path: target, source: 'installed' }), refusedWith(/has no SHA-256 recorded in machine-driver-exo\.sha256/));
  });

  it('explains a file that is no driver, naming the file given', async () => {
    const launch = sinon.stub().rejects(new Error(`the driver at ${path.join(env.MACHINE_DATA_DIR!, 'drivers', '.x.partial')} exited`));
    await assert.rejects(installDriver(source, env, { launch }), (e: Error) => e.message.startsWith(`${source} is not a working machine driver: the driver at`));
    assert.deepEqual(fs.readdirSync(path.join(env.MACHINE_DATA_DIR!, 'drivers')), []);
  });

  it('driver rm removes the driver, its digest and what was remembered, and says when there is nothing to remove', async () => {
    const { path: target } = await installDriver(source, env, { launch: reporting('exo') });
    await verifyInstalledDriver({ name: 'exo', path: target, source: 'installed' }, { now: () => Date.now() + RACY_MS + 1000 });
    assert.equal(removeInstalledDriver('exo', env), target);
    assert.deepEqual(fs.readdirSync(path.dirname(target)), []);
    assert.throws(() => removeInstalledDriver('exo', env), /Driver "exo" is not installed/);
  });

  it('hashes like sha256sum', async () => {
    fs.writeFileSync(source, Buffer.alloc(3 << 20, 7));
    assert.equal(await sha256OfFile(source), crypto.createHash('sha256').update(fs.readFileSync(source)).digest('hex'));
  });
});
