import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchDriver } from './host';

// create ignores cancellation for a while, then writes into the machine
// directory with a recursive mkdir, as writeSSHKeyPair does.
const LATE_DRIVER = (sdk: string) => `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const { serveDriver } = require(${JSON.stringify(sdk)});
serveDriver({
  info: { name: 'late', version: '0.0.1' },
  schema: () => [],
  configure: () => ({}),
  create: async (ctx, s) => {
    await new Promise((r) => setTimeout(r, 800));
    fs.mkdirSync(ctx.machine.machineDir, { recursive: true });
    fs.writeFileSync(path.join(ctx.machine.machineDir, 'id_rsa'), 'key');
    return s;
  },
  start: async () => {}, stop: async () => {}, restart: async () => {}, kill: async () => {},
  remove: async (ctx) => fs.rmSync(ctx.machine.machineDir, { recursive: true, force: true }),
  getState: async () => 'Running',
  getIP: async () => '127.0.0.1',
  getURL: async () => '',
  getSSHInfo: async () => ({ host: '127.0.0.1', port: 22, user: 'root', keyPath: '' }),
});
`;

describe('a driver under the host (signals, cancelled creates)', function () {
  this.timeout(30_000);
  let dir: string;
  let driverPath: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-signals-'));
    driverPath = path.join(dir, 'machine-driver-late');
    fs.writeFileSync(driverPath, LATE_DRIVER(path.join(__dirname, 'index.js')), { mode: 0o755 });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('ignores SIGINT, SIGTERM and SIGHUP sent to it while the host holds the lifeline', async () => {
    const client = await launchDriver({ name: 'late', path: driverPath });
    try {
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.kill(client.pid as number, sig);
      await new Promise((r) => setTimeout(r, 300));
      const call = { machine: { name: 'm', storePath: dir, machineDir: path.join(dir, 'm') }, state: {}, stateVersion: 0 };
      assert.equal(await client.getState(call), 'Running');
    } finally {
      await client.close();
    }
  });

  it('runs a Remove only after the cancelled create of the same machine has settled', async () => {
    const client = await launchDriver({ name: 'late', path: driverPath });
    try {
      const machineDir = path.join(dir, 'm');
      fs.mkdirSync(machineDir);
      const call = { machine: { name: 'm', storePath: dir, machineDir }, state: {}, stateVersion: 0 };
      const abort = new AbortController();
      const creating = client.create(call, { signal: abort.signal });
      await new Promise((r) => setTimeout(r, 200));
      abort.abort();
      await assert.rejects(creating);
      await client.remove(call);
      // The cancelled create wrote its key before the removal, never after it.
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(fs.existsSync(machineDir), false, 'the machine directory came back after Remove');
    } finally {
      await client.close();
    }
  });
});
