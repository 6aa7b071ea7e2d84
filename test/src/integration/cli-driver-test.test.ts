import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { addScriptDriver, sandbox, waitGone, REPO, type Sandbox } from './cli-support';

// Says an unknown machine (state {}) is Running: the kit's unknown-machine rule says Not Found.
const SLOPPY_DRIVER = `const { serveDriver } = require(${JSON.stringify(path.join(REPO, 'proto', 'lib', 'index.js'))});
serveDriver({
  info: { name: 'sloppy', version: '0.0.1' },
  schema: () => [],
  configure: () => ({}),
  create: async (_c, s) => s, start: async () => {}, stop: async () => {}, restart: async () => {}, kill: async () => {}, remove: async () => {},
  getState: async () => 'Running',
  getIP: async () => '', getURL: async () => '',
  getSSHInfo: async () => ({ host: '127.0.0.1', port: 22, user: 'root', keyPath: '' }),
});
`;

describe('machine driver test (real CLI)', function () {
  this.timeout(300_000);
  let sb: Sandbox;
  beforeEach(() => {
    sb = sandbox();
  });
  afterEach(async () => {
    assert.deepEqual(await waitGone(sb), []);
    sb.cleanup();
  });

  it('passes a conforming driver found by name, with the cancellation check and a lifecycle run', async () => {
    const r = await sb.run([
      'driver', 'test', 'fake',
      '--create-flag', 'fake-create-delay-ms=20000',
      '--lifecycle-flag', 'fake-ip=10.9.8.7', '--lifecycle-flag', 'fake-labels=a', '--lifecycle-flag', 'fake-labels=b',
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /a cancelled Create ends with CANCELLED/);
    assert.match(r.stdout, /creates, reports, stops, starts, restarts, kills and removes a machine/);
    assert.match(r.stdout, /\b1[67] passing\b/);
    assert.doesNotMatch(r.stdout, /\d+ failing/);
  });

  it('fails a driver given by path that breaks a rule, naming the rule, and refuses an unknown flag', async () => {
    addScriptDriver(sb, 'sloppy', SLOPPY_DRIVER);
    const exe = path.join(sb.driverDir, 'machine-driver-sloppy');
    const r = await sb.run(['driver', 'test', exe]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /GetState answers NOT_FOUND or the state "Not Found"/);
    assert.match(r.stdout, /An unknown machine \(driver state \{\}, never configured or created\) must read as not found/);
    assert.match(r.stderr, /conformance checks? failed/);

    const unknown = await sb.run(['driver', 'test', exe, '--create-flag', 'region=x']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /the driver has no create flag "region"/);
  });
});
