import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as sinon from 'sinon';
import type { DriverClient, LaunchOptions } from '@machine/driver-sdk';
import { discoverDrivers, findDriver } from './discover';
import { DriverRegistry } from './registry';

function exe(p: string): void {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
}

const madeLayouts: string[] = [];
after(() => {
  for (const root of madeLayouts) fs.rmSync(root, { recursive: true, force: true });
});

function layout(): { root: string; env: NodeJS.ProcessEnv; cliRoot: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'discovery-test-'));
  madeLayouts.push(root);
  const cliRoot = path.join(root, 'cli');
  fs.mkdirSync(cliRoot);
  fs.writeFileSync(path.join(cliRoot, 'package.json'), JSON.stringify({ name: '@machine/cli', machine: { drivers: { generic: 'bin/machine-driver-generic', none: 'bin/machine-driver-none' } } }));
  exe(path.join(cliRoot, 'bin', 'machine-driver-generic'));
  exe(path.join(cliRoot, 'bin', 'machine-driver-none'));
  const plug = path.join(root, 'plugins', 'driver-docker');
  fs.mkdirSync(plug, { recursive: true });
  fs.writeFileSync(path.join(plug, 'package.json'), JSON.stringify({ name: '@machine/driver-docker', machine: { drivers: { docker: 'bin/machine-driver-docker' } } }));
  exe(path.join(plug, 'bin', 'machine-driver-docker'));
  // An oclif user plugin in the data dir that brings a "docker" driver too.
  const data = path.join(root, 'data');
  fs.mkdirSync(path.join(data, 'node_modules', 'machine-plugin-x'), { recursive: true });
  fs.writeFileSync(path.join(data, 'package.json'), JSON.stringify({ oclif: { plugins: [{ type: 'user', name: 'machine-plugin-x' }] } }));
  fs.writeFileSync(path.join(data, 'node_modules', 'machine-plugin-x', 'package.json'), JSON.stringify({ name: 'machine-plugin-x', oclif: {}, machine: { drivers: { docker: 'bin/d', cloudy: 'bin/c' } } }));
  exe(path.join(data, 'node_modules', 'machine-plugin-x', 'bin', 'd'));
  exe(path.join(data, 'node_modules', 'machine-plugin-x', 'bin', 'c'));
  exe(path.join(root, 'mdp', 'machine-driver-none'));
  exe(path.join(root, 'pathdir', 'machine-driver-onpath'));
  exe(path.join(root, 'pathdir', 'machine-driver-generic'));
  fs.writeFileSync(path.join(root, 'pathdir', 'machine-driver-notexec'), '', { mode: 0o644 });
  const env = { MACHINE_DRIVER_PATH: path.join(root, 'mdp'), MACHINE_DATA_DIR: data, PATH: path.join(root, 'pathdir') };
  return { root, env, cliRoot };
}

describe('driver discovery', () => {
  it('searches MACHINE_DRIVER_PATH, oclif plugins, bundled, PATH; first match wins, later ones are shadowed', () => {
    const { env, cliRoot, root } = layout();
    const { drivers, searched } = discoverDrivers({ env, cliRoot });
    const winners = drivers.filter((d) => !d.shadowedBy).map((d) => `${d.name}:${d.source}`);
    assert.deepEqual(winners, ['none:MACHINE_DRIVER_PATH', 'docker:plugin', 'cloudy:plugin', 'generic:bundled', 'onpath:PATH']);
    const shadowed = drivers.filter((d) => d.shadowedBy).map((d) => `${d.name}:${d.source}`);
    assert.deepEqual(shadowed, ['none:bundled', 'docker:bundled', 'generic:PATH']);
    assert.equal(drivers.find((d) => d.name === 'docker' && d.shadowedBy)?.shadowedBy, path.join(root, 'data', 'node_modules', 'machine-plugin-x', 'bin', 'd'));
    assert.ok(!drivers.some((d) => d.name === 'notexec'), 'non-executable files are skipped');
    assert.ok(searched.some((s) => s.startsWith('MACHINE_DRIVER_PATH')));
  });

  it('an unknown driver lists what was found and where it looked', () => {
    const { env, cliRoot } = layout();
    assert.equal(findDriver('generic', { env, cliRoot }).source, 'bundled');
    // The one-name search agrees with the full discovery for every name.
    for (const d of discoverDrivers({ env, cliRoot }).drivers.filter((x) => !x.shadowedBy)) {
      assert.equal(findDriver(d.name, { env, cliRoot }).path, d.path, d.name);
    }
    assert.throws(
      () => findDriver('nosuch', { env, cliRoot }),
      (e: Error) => /Driver "nosuch" not found\. Drivers found: cloudy, docker, generic, none, onpath\./.test(e.message) && /MACHINE_DRIVER_PATH: /.test(e.message) && /PATH: machine-driver-NAME/.test(e.message),
    );
  });
});

describe('DriverRegistry', () => {
  function stubClient(name: string): DriverClient & { close: sinon.SinonStub } {
    return {
      name,
      path: `/x/${name}`,
      pid: undefined,
      metadata: { name, version: '1', description: '', protocolVersions: [1], capabilities: [], stateVersion: 1, sdk: 't' },
      close: sinon.stub().resolves(),
    } as unknown as DriverClient & { close: sinon.SinonStub };
  }

  it('launches each driver once per command and closes all', async () => {
    const { env, cliRoot } = layout();
    const clients: Record<string, DriverClient & { close: sinon.SinonStub }> = {};
    const launch = sinon.spy(async (o: LaunchOptions) => (clients[o.name] = stubClient(o.name)));
    const reg = new DriverRegistry({ env, cliRoot, launch });
    const got = await Promise.all([reg.get('generic'), reg.get('generic'), reg.get('none'), reg.get('generic')]);
    assert.equal(launch.callCount, 2);
    assert.equal(got[0], got[1]);
    await reg.closeAll();
    assert.equal(clients.generic.close.callCount, 1);
    assert.equal(clients.none.close.callCount, 1);
    await assert.rejects(reg.get('generic'), /closed/);
  });

  it('a failed launch is reported and retried, never cached', async () => {
    const { env, cliRoot } = layout();
    let n = 0;
    const reg = new DriverRegistry({
      env,
      cliRoot,
      launch: async (o) => {
        if (n++ === 0) throw new Error('handshake failed');
        return stubClient(o.name);
      },
    });
    await assert.rejects(reg.get('none'), /Cannot start driver "none" .*handshake failed/);
    assert.equal((await reg.get('none')).name, 'none');
    await assert.rejects(reg.get('nosuch'), /Driver "nosuch" not found/);
    await reg.closeAll();
  });
});
