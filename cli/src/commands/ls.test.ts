import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Description, DriverClient } from '@machine/driver-sdk';
import { CommandContext } from '../command/context';
import type { DriverRegistry } from '../discovery/registry';
import { newHostConfig } from '../store/host';
import { Store } from '../store/store';
import { spec } from './ls';

/** Records when the driver is asked for and when the store is listed. */
function recordingContext(root: string, events: string[], out: string[]): CommandContext {
  const driver = {
    name: 'fake',
    describe: async (): Promise<Description> => ({ state: 'Stopped', ip: '', url: '' }),
  } as unknown as DriverClient;
  const registry = {
    get: async (name: string): Promise<DriverClient> => {
      events.push(`get ${name}`);
      return driver;
    },
    closeAll: async (): Promise<void> => undefined,
  } as unknown as DriverRegistry;
  const ctx = new CommandContext({ global: { storagePath: root, debug: false, nativeSsh: true }, env: {}, out: (s) => out.push(s), registry });
  const list = ctx.store.list.bind(ctx.store);
  ctx.store.list = () => {
    events.push('list');
    return list();
  };
  return ctx;
}

describe('ls start-up order', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-order-'));
    const store = new Store(root);
    for (const name of ['a', 'b']) store.save(newHostConfig({ storeRoot: root, name, driverName: 'fake' }));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('starts the first machine\'s driver before it reads the whole store', async () => {
    const events: string[] = [];
    const out: string[] = [];
    await spec.run(recordingContext(root, events, out), { flags: { timeout: 10 }, args: [], passed: [] });
    assert.deepEqual(events.slice(0, 2), ['get fake', 'list']);
    assert.match(out.join('\n'), /^a +- +fake +Stopped/m);
  });

  it('starts no driver for ls -q, nor ahead of time when filters may leave the machine out', async () => {
    const quiet: string[] = [];
    await spec.run(recordingContext(root, quiet, []), { flags: { timeout: 10, quiet: true }, args: [], passed: [] });
    assert.deepEqual(quiet, ['list']);
    const filtered: string[] = [];
    await spec.run(recordingContext(root, filtered, []), { flags: { timeout: 10, filter: ['name=a'] }, args: [], passed: [] });
    assert.equal(filtered[0], 'list');
  });
});
