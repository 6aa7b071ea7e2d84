import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DriverClient, LaunchOptions, MachineCall } from '@machine/driver-sdk';
import type { Description } from '@machine/driver-sdk';
import { DriverRegistry } from '../discovery/registry';
import { newHostConfig } from '../store/host';
import { Store } from '../store/store';
import { CommandContext } from '../command/context';
import { gather } from './list';

function unimplemented(): Error {
  return Object.assign(new Error('Describe is not implemented'), { name: 'DriverCallError', code: 'unimplemented' });
}

describe('ls data gathering', () => {
  // Made in a hook, not as the file is read: a suite --grep skips runs no after hook to remove it.
  let root: string;
  let bin: string;
  let store: Store;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'list-test-'));
    bin = path.join(root, 'bin');
    fs.mkdirSync(bin);
    for (const d of ['modern', 'legacy']) fs.writeFileSync(path.join(bin, `machine-driver-${d}`), '#!/bin/sh\n', { mode: 0o755 });
    store = new Store(path.join(root, 'store'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const calls: string[] = [];

  function client(name: string): DriverClient {
    const describe = async (c: MachineCall): Promise<Description> => {
      calls.push(`${name}.describe ${c.machine.name}`);
      if (name === 'legacy') throw unimplemented();
      if (c.machine.name === 'slow') return new Promise(() => undefined);
      if (c.machine.name === 'bad') throw new Error('boom');
      return { state: 'Running', ip: '10.0.0.1', url: 'tcp://10.0.0.1:2376' };
    };
    return {
      name,
      describe,
      getURL: async (c: MachineCall) => (c.machine.name === 'off' ? '' : 'tcp://10.0.0.2:2376'),
      getState: async () => 'Stopped',
      getIP: async () => '10.0.0.2',
      close: async () => undefined,
    } as unknown as DriverClient;
  }

  it('one Describe per machine; Timeout, error and legacy-driver rows; one launch per driver', async () => {
    const names: [string, string][] = [['a', 'modern'], ['slow', 'modern'], ['bad', 'modern'], ['old', 'legacy'], ['off', 'legacy']];
    for (const [n, d] of names) store.save(newHostConfig({ storeRoot: store.root, name: n, driverName: d }));
    const launched: string[] = [];
    const registry = new DriverRegistry({
      env: { MACHINE_DRIVER_PATH: bin, PATH: '' },
      launch: async (o: LaunchOptions) => {
        launched.push(o.name);
        return client(o.name);
      },
    });
    const ctx = new CommandContext({ global: { storagePath: store.root, debug: false, nativeSsh: true }, env: {}, registry });
    const items = await gather(ctx, store.list(), { timeoutMs: 300, dockerVersion: false });
    await ctx.close();
    const by = Object.fromEntries(items.map((i) => [i.Name, i]));
    assert.deepEqual(launched.sort(), ['legacy', 'modern']);
    assert.equal(by.a.State, 'Running');
    assert.equal(by.a.URL, 'tcp://10.0.0.1:2376');
    assert.equal(by.slow.State, 'Timeout');
    assert.equal(by.slow.URL, '');
    assert.equal(by.bad.State, 'Error');
    assert.match(by.bad.Error, /boom/);
    assert.equal(by.old.State, 'Running', 'a URL means running, as the reference assumes');
    assert.equal(by.old.URL, 'tcp://10.0.0.2:2376');
    assert.equal(by.off.State, 'Stopped');
    assert.equal(calls.filter((c) => c.startsWith('modern.describe')).length, 3);
  });
});
