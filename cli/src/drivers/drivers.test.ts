import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DriverContext } from '@machine/driver-sdk';
import { GenericDriver, hostPort } from './generic/driver';
import { hostOfURL, NoneDriver } from './none/driver';

function context(dir: string): DriverContext {
  const noop = () => undefined;
  return {
    machine: { name: 'm', storePath: path.dirname(path.dirname(dir)), machineDir: dir },
    signal: new AbortController().signal,
    progress: noop,
    warn: noop,
    log: { debug: noop, info: noop, warn: noop, error: noop },
  };
}

describe('generic driver', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'generic-test-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('requires an address and validates ports, naming the flag', () => {
    const d = new GenericDriver();
    assert.throws(() => d.configure(context(dir), {}), (e: Error & { flag?: string }) => e.flag === 'generic-ip-address');
    assert.throws(() => d.configure(context(dir), { 'generic-ip-address': '192.0.2.1', 'generic-ssh-port': 70000 }), (e: Error & { flag?: string }) => e.flag === 'generic-ssh-port');
  });

  it('keeps the reference\'s state fields and copies the key into the machine directory', async () => {
    const key = path.join(dir, 'user-key');
    fs.writeFileSync(key, 'PRIVATE', { mode: 0o644 });
    fs.writeFileSync(`${key}.pub`, 'PUBLIC');
    const machineDir = path.join(dir, 'machines', 'm');
    const sshd = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => sshd.listen(0, '127.0.0.1', r));
    const sshPort = (sshd.address() as net.AddressInfo).port;
    try {
      const d = new GenericDriver();
      const ctx = context(machineDir);
      const state = d.configure(ctx, { 'generic-ip-address': '127.0.0.1', 'generic-ssh-key': key, 'generic-ssh-user': 'ubuntu', 'generic-ssh-port': sshPort, 'generic-engine-port': 2377 });
      assert.deepEqual(Object.keys(state).sort(), ['EnginePort', 'IPAddress', 'MachineName', 'SSHKey', 'SSHKeyPath', 'SSHPort', 'SSHUser', 'StorePath', 'SwarmDiscovery', 'SwarmHost', 'SwarmMaster']);
      await d.preCreateCheck(ctx, state);
      await d.create(ctx, state);
      assert.equal(fs.readFileSync(path.join(machineDir, 'id_rsa'), 'utf8'), 'PRIVATE');
      assert.equal(fs.statSync(path.join(machineDir, 'id_rsa')).mode & 0o777, 0o600);
      assert.deepEqual(await d.getSSHInfo(ctx, state), { host: '127.0.0.1', port: sshPort, user: 'ubuntu', keyPath: path.join(machineDir, 'id_rsa') });
      assert.equal(await d.getURL(ctx, state), 'tcp://127.0.0.1:2377');
    } finally {
      await new Promise((r) => sshd.close(r));
    }
  });

  it('fails the pre-create check at once when the SSH port refuses, naming SSH and the address', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const closedPort = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const key = path.join(dir, 'user-key');
    fs.writeFileSync(key, 'PRIVATE', { mode: 0o600 });
    const d = new GenericDriver();
    const ctx = context(dir);
    const state = d.configure(ctx, { 'generic-ip-address': '127.0.0.1', 'generic-ssh-key': key, 'generic-ssh-port': closedPort });
    await assert.rejects(d.preCreateCheck(ctx, state), (e: Error & { flag?: string }) => {
      assert.equal(e.message, `cannot reach SSH on 127.0.0.1:${closedPort}: connection refused`);
      assert.equal(e.flag, 'generic-ssh-port');
      return true;
    });
  });

  it('is Running while its SSH port accepts connections, Stopped otherwise', async () => {
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const d = new GenericDriver();
    const ctx = context(dir);
    const state = d.configure(ctx, { 'generic-ip-address': '127.0.0.1', 'generic-ssh-port': port });
    assert.equal(await d.getState(ctx, state), 'Running');
    await new Promise((r) => server.close(r));
    assert.equal(await d.getState(ctx, state), 'Stopped');
    await assert.rejects(d.start(ctx, state), /cannot power it on/);
    await assert.rejects(d.stop(), /does not support stop/);
  });

  it('brackets IPv6 addresses in URLs', () => {
    assert.equal(hostPort('2001:db8::1', 2376), '[2001:db8::1]:2376');
    assert.equal(hostPort('192.0.2.1', 2376), '192.0.2.1:2376');
  });
});

describe('none driver', () => {
  it('registers a URL and reports it as a running machine without SSH', async () => {
    const d = new NoneDriver();
    const ctx = context(os.tmpdir());
    assert.throws(() => d.configure(ctx, {}), /--url option is required when no driver is selected$/);
    assert.throws(() => d.configure(ctx, { url: 'http://x' }), /tcp:\/\/HOST:PORT/);
    const state = d.configure(ctx, { url: 'tcp://[2001:db8::5]:2376' });
    assert.equal(await d.getIP(ctx, state), '2001:db8::5');
    assert.equal(await d.getURL(ctx, state), 'tcp://[2001:db8::5]:2376');
    assert.equal(await d.getState(ctx, state), 'Running');
    assert.equal(await d.getState(ctx, { ...state, URL: '' }), 'Not Found');
    // config.json's Driver holds the reference's field set, in its order.
    assert.deepEqual(Object.keys(state), ['IPAddress', 'MachineName', 'SSHUser', 'SSHPort', 'SSHKeyPath', 'StorePath', 'SwarmMaster', 'SwarmHost', 'SwarmDiscovery', 'URL']);
    await assert.rejects(d.getSSHInfo(), /no SSH access/);
    await assert.rejects(d.stop(), /cannot be stopped/);
    assert.equal(hostOfURL('tcp://192.0.2.9:2376'), '192.0.2.9');
  });
});
