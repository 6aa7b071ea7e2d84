import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as sinon from 'sinon';
import * as net from 'node:net';
import { generateEd25519HostKey, type DriverClient, type OperationOutcome, type Provisioning } from '@machine/driver-sdk';
import { Server as SshServer } from 'ssh2';
import { Store } from '../store/store';
import { createMachine, type CreateRequest } from './create';

/** A DriverClient whose calls are sinon stubs. */
type FakeDriver = { [K in keyof DriverClient]: DriverClient[K] extends (...args: never[]) => unknown ? sinon.SinonStub : DriverClient[K] };

function fakeDriver(name: string, overrides: Partial<Record<keyof DriverClient, sinon.SinonStub>> = {}, provisioning: Provisioning = 'ssh'): FakeDriver {
  const ok: OperationOutcome = { warnings: [] };
  const base = {
    name,
    path: `/fake/${name}`,
    pid: 1,
    metadata: { name, version: '0', description: '', protocolVersions: [1], capabilities: [], stateVersion: 1, sdk: 'test', provisioning },
    schema: sinon.stub().resolves([]),
    configure: sinon.stub().resolves({ state: { IPAddress: '192.0.2.10' }, stateVersion: 1, warnings: [] }),
    preCreateCheck: sinon.stub().resolves(ok),
    create: sinon.stub().resolves({ state: { IPAddress: '192.0.2.10', Created: true }, stateVersion: 1, warnings: [] }),
    start: sinon.stub().resolves(ok),
    restart: sinon.stub().resolves(ok),
    stop: sinon.stub().resolves(ok),
    kill: sinon.stub().resolves(ok),
    remove: sinon.stub().resolves(ok),
    getState: sinon.stub().resolves('Running'),
    getIP: sinon.stub().resolves('192.0.2.10'),
    getURL: sinon.stub().resolves('tcp://192.0.2.10:2376'),
    getSSHInfo: sinon.stub().rejects(new Error('no SSH here')),
    describe: sinon.stub().resolves({ state: 'Running', ip: '192.0.2.10', url: 'tcp://192.0.2.10:2376' }),
    upgradeState: sinon.stub().resolves({ state: {}, stateVersion: 1, warnings: [] }),
    stderrTail: () => [],
    close: sinon.stub().resolves(),
    ...overrides,
  };
  return base as unknown as FakeDriver;
}

describe('createMachine', () => {
  let root: string;
  let store: Store;
  let lines: string[];

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'create-test-'));
    store = new Store(root);
    lines = [];
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const request = (driver: FakeDriver, extra: Partial<CreateRequest> = {}): CreateRequest => ({
    store,
    driver: driver as unknown as DriverClient,
    name: 'm1',
    driverFlags: {},
    engine: { Labels: ['team=a'] },
    swarm: {},
    tlsSans: ['m1.example'],
    tls: {},
    keepOnFailure: false,
    progress: { step: (s) => lines.push(s), line: (s) => lines.push(s) },
    ...extra,
  });

  it('records an unprovisioned (none-like) machine with the driver state and options, whatever the driver is called', async () => {
    const driver = fakeDriver('gonone', {}, 'none');
    const result = await createMachine(request(driver));
    assert.equal(result.host.DriverName, 'gonone');
    const saved = store.load('m1');
    assert.deepEqual(saved.Driver, { IPAddress: '192.0.2.10', Created: true });
    assert.deepEqual(saved.HostOptions.EngineOptions.Labels, ['team=a']);
    assert.deepEqual(saved.HostOptions.AuthOptions.ServerCertSANs, ['m1.example']);
    assert.equal(saved.Machine?.LastURL, 'tcp://192.0.2.10:2376');
    assert.ok(fs.existsSync(path.join(root, 'certs', 'ca.pem')), 'the CA was bootstrapped');
    assert.ok(lines.includes('Running pre-create checks...'));
    assert.ok(lines.includes('Creating machine...'));
    assert.ok(driver.getSSHInfo.notCalled, 'nothing is provisioned');
  });

  it('provisions over SSH a driver that declares it, even one called "none"', async () => {
    const driver = fakeDriver('none');
    await assert.rejects(createMachine(request(driver)), /no SSH here/);
    assert.ok(driver.getSSHInfo.called, 'provisioning asked for SSH access');
    assert.ok(driver.remove.calledOnce, 'and rolled back when it failed');
  });

  it('fails a pre-create check with exit code 3 and leaves nothing behind', async () => {
    const driver = fakeDriver('generic', { preCreateCheck: sinon.stub().rejects(new Error('quota exceeded')) });
    await assert.rejects(createMachine(request(driver)), (e: Error & { exitCode?: number }) => e.exitCode === 3 && /Error with pre-create check: "quota exceeded"/.test(e.message));
    assert.ok(driver.create.notCalled);
    assert.ok(driver.remove.notCalled, 'nothing was made, so nothing is removed');
    assert.ok(!store.exists('m1'));
  });

  it('rolls back the driver and the store when a later step fails', async () => {
    const driver = fakeDriver('generic');
    await assert.rejects(createMachine(request(driver)), /no SSH here/);
    assert.ok(driver.create.calledOnce);
    assert.ok(driver.remove.calledOnce, 'the driver removes what it made');
    const call = driver.remove.firstCall.args[0] as { state: Record<string, unknown> };
    assert.equal(call.state.Created, true, 'removal gets the state create returned');
    assert.ok(!store.exists('m1'));
    assert.ok(lines.some((l) => /Rolled back: "m1" was removed/.test(l)));
  });

  it('keeps everything with --keep-on-failure', async () => {
    const driver = fakeDriver('generic', { create: sinon.stub().rejects(new Error('boom')) });
    await assert.rejects(createMachine(request(driver, { keepOnFailure: true })), /boom/);
    assert.ok(driver.remove.notCalled);
    assert.ok(store.exists('m1'));
    assert.equal(store.load('m1').DriverName, 'generic', 'the record written before the driver ran is kept');
  });

  it('keeps the record when the driver cannot remove what it made, so rm -f can retry', async () => {
    const driver = fakeDriver('generic', {
      create: sinon.stub().rejects(new Error('half made')),
      remove: sinon.stub().rejects(new Error('API down')),
    });
    await assert.rejects(createMachine(request(driver)), /half made/);
    assert.ok(store.exists('m1'));
    assert.ok(lines.some((l) => /Rollback incomplete: .*API down/.test(l)));
  });

  it('rolls back when interrupted while the driver creates', async () => {
    const abort = new AbortController();
    const driver = fakeDriver('generic', {
      create: sinon.stub().callsFake((_call: unknown, opts: { signal: AbortSignal }) => {
        abort.abort();
        return Promise.reject(Object.assign(new Error('cancelled'), { aborted: opts.signal.aborted }));
      }),
    });
    await assert.rejects(createMachine(request(driver, { signal: abort.signal })), /cancelled/);
    assert.ok(driver.remove.calledOnce);
    const opts = driver.remove.firstCall.args[1] as { signal?: AbortSignal };
    assert.equal(opts.signal, undefined, 'removal is not tied to the aborted signal');
    assert.ok(!store.exists('m1'));
  });

  it('refuses a name that exists and leaves the existing machine alone', async () => {
    await createMachine(request(fakeDriver('none', {}, 'none')));
    const driver = fakeDriver('none', {}, 'none');
    await assert.rejects(createMachine(request(driver)), /already exists/);
    assert.ok(driver.remove.notCalled);
    assert.ok(store.exists('m1'));
  });

  it('fails with the driver\'s error when GetURL fails before provisioning, and rolls back', async () => {
    const driver = fakeDriver('fake', {
      getSSHInfo: sinon.stub().resolves({ host: '192.0.2.10', port: 22, user: 'root', keyPath: '' }),
      getURL: sinon.stub().rejects(new Error('the engine port is not published')),
    });
    await assert.rejects(createMachine(request(driver)), /Cannot get the Docker URL of "m1" from the fake driver: the engine port is not published/);
    assert.ok(driver.remove.calledOnce, 'rolled back');
    assert.ok(!store.exists('m1'));
  });

  it('fails with the driver\'s error when GetURL fails for an unprovisioned machine', async () => {
    const driver = fakeDriver('none', { getURL: sinon.stub().rejects(new Error('no URL recorded')) }, 'none');
    await assert.rejects(createMachine(request(driver)), /Cannot get the Docker URL of "m1" from the none driver: no URL recorded/);
    assert.ok(!store.exists('m1'));
  });

  it('verifies the host key the driver reports at create instead of trusting the first one', async () => {
    // A real SSH server on loopback presenting one key, while the driver reports another.
    const presented = generateEd25519HostKey('root@presented');
    const reported = generateEd25519HostKey('root@reported');
    const server = new SshServer({ hostKeys: [presented.privateKey] }, (client) => {
      client.on('error', () => undefined);
      client.on('authentication', (auth) => auth.reject());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const keyPath = path.join(root, 'id_rsa');
    fs.writeFileSync(keyPath, generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey, { mode: 0o600 });
    try {
      const driver = fakeDriver('fake', {
        getSSHInfo: sinon.stub().resolves({ host: '127.0.0.1', port, user: 'root', keyPath, hostKey: reported.publicKey }),
        getIP: sinon.stub().resolves('127.0.0.1'),
        getURL: sinon.stub().resolves('tcp://127.0.0.1:2376'),
      });
      await assert.rejects(createMachine(request(driver)), /The SSH host key of 127\.0\.0\.1:\d+ has changed: expected SHA256:/);
      assert.ok(driver.remove.calledOnce, 'rolled back');
      assert.ok(!store.exists('m1'));
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
