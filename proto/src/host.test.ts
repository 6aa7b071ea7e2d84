import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeAllDrivers, launchDriver, liveDriverCount } from './host';
import { isDriverCallError, type DriverCallError } from './errors';
import type { DriverClient, MachineCall } from './client';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from './constants';
import { closeAllDrivers as closeAllFromIndex } from './index';

const MINI = path.join(__dirname, 'testing', 'mini-driver.js');
const machine = { name: 'm', storePath: '/tmp/store', machineDir: '/tmp/store/machines/m' };

function launchMini(extra: Partial<Parameters<typeof launchDriver>[0]> = {}): Promise<DriverClient> {
  return launchDriver({ name: 'mini', path: process.execPath, args: [MINI], ...extra });
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // An exited child of a dead host may linger as a zombie until reaped.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function rejects(p: Promise<unknown>): Promise<DriverCallError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isDriverCallError(err), `expected a DriverCallError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('launchDriver and serveDriver', function () {
  this.timeout(30_000);
  let d: DriverClient;
  before(async () => {
    d = await launchMini();
  });
  after(async () => {
    await closeAllDrivers();
  });

  it('completes the handshake and reads metadata', () => {
    assert.equal(d.metadata.name, 'mini');
    assert.equal(d.metadata.version, '1.2.3');
    assert.deepEqual(d.metadata.protocolVersions, [1]);
    assert.equal(d.metadata.stateVersion, 3);
    assert.ok(d.metadata.capabilities.includes('upgrade-state'));
    assert.match(d.metadata.sdk, /^@machine\/driver-sdk /);
    assert.ok(alive(d.pid));
  });

  it('carries the recorded host key to the driver and a known host key back in SSHInfo', async () => {
    const base = { state: {}, stateVersion: 3 };
    const unknown = await d.getSSHInfo({ machine, ...base });
    assert.deepEqual(unknown, { host: '10.0.0.9', port: 22, user: 'root', keyPath: '/tmp/store/machines/m/id_rsa' });
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyForTheTest';
    const known = await d.getSSHInfo({ machine: { ...machine, sshHostKey: key }, ...base });
    assert.equal(known.hostKey, key);
  });

  it('round-trips the schema with every flag type', async () => {
    const flags = await d.schema();
    assert.deepEqual(
      flags.map((f) => [f.name, f.type]),
      [
        ['mini-mode', 'string'],
        ['mini-delay', 'int'],
        ['mini-need', 'string'],
        ['mini-list', 'string-list'],
        ['mini-bool', 'bool'],
      ],
    );
    assert.equal(flags[0].default, 'ok');
    assert.equal(flags[1].default, 0);
    assert.equal(flags[2].required, true);
    assert.equal(flags[4].default, false);
  });

  it('configures, returning state and warnings', async () => {
    const res = await d.configure(machine, { 'mini-need': 'x', 'mini-delay': 5, 'mini-list': ['a', 'b'], 'mini-bool': true });
    assert.deepEqual(res.state, { mode: 'ok', delayMs: 5 });
    assert.equal(res.stateVersion, 3);
    assert.deepEqual(res.warnings, [{ severity: 'warning', summary: 'configured with a warning' }]);
  });

  it('maps a DriverError to a typed error with its flag and detail', async () => {
    const err = await rejects(d.configure(machine, { 'mini-need': 'bad' }));
    assert.equal(err.code, 'invalid-argument');
    assert.equal(err.summary, 'mini-need is bad');
    assert.equal(err.detail, 'use good');
    assert.equal(err.flag, 'mini-need');
    assert.equal(err.driver, 'mini');
    assert.equal(err.call, 'Configure');
    assert.match(err.message, /^\(mini\) mini-need is bad/);
  });

  it('rejects a missing required flag and a wrongly typed one', async () => {
    const missing = await rejects(d.configure(machine, {}));
    assert.equal(missing.code, 'invalid-argument');
    assert.equal(missing.flag, 'mini-need');
    const typed = await rejects(d.configure(machine, { 'mini-need': 'x', 'mini-delay': 'soon' }));
    assert.equal(typed.flag, 'mini-delay');
  });

  it('streams progress and returns the new state', async () => {
    const progress: string[] = [];
    const res = await d.create({ machine, state: { mode: 'ok', delayMs: 0 }, stateVersion: 3 }, { onProgress: (m) => progress.push(m) });
    assert.deepEqual(progress, ['step 1', 'step 2']);
    assert.deepEqual(res.state, { mode: 'ok', delayMs: 0, created: true });
    assert.deepEqual(res.warnings.map((w) => w.summary), ['create warning']);
  });

  it('maps a plain exception to an internal error with its message', async () => {
    const err = await rejects(d.create({ machine, state: { mode: 'throw', delayMs: 0 }, stateVersion: 3 }));
    assert.equal(err.code, 'internal');
    assert.equal(err.summary, 'plain failure');
  });

  it('cancels a streaming call through an AbortSignal and the driver sees the abort', async () => {
    const ac = new AbortController();
    const p = d.create({ machine, state: { mode: 'wait-abort', delayMs: 0 }, stateVersion: 3 }, { onProgress: () => ac.abort(), signal: ac.signal });
    const err = await rejects(p);
    assert.equal(err.code, 'cancelled');
    for (let i = 0; i < 300 && !d.stderrTail().some((l) => l.includes('create aborted')); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(d.stderrTail().some((l) => l.includes('create aborted')), d.stderrTail().join('\n'));
  });

  it('applies per-call deadlines', async () => {
    const err = await rejects(d.create({ machine, state: { mode: 'ok', delayMs: 5000 }, stateVersion: 3 }, { timeoutMs: 200 }));
    assert.equal(err.code, 'deadline-exceeded');
  });

  it('describes a machine in one call, with per-field errors and the default URL', async () => {
    const call: MachineCall = { machine, state: { mode: 'ok', delayMs: 0 }, stateVersion: 3 };
    assert.deepEqual(await d.describe(call), { state: 'Running', ip: '10.0.0.9', url: 'tcp://10.0.0.9:2376' });
    assert.equal(await d.getURL(call), 'tcp://10.0.0.9:2376');
    const broken = await d.describe({ ...call, state: { mode: 'state-error', delayMs: 0 } });
    assert.equal(broken.state, 'Error');
    assert.equal(broken.stateError, 'cloud is down');
    assert.deepEqual(await d.describe({ ...call, state: {} }), { state: 'Not Found', ip: '', url: '' });
    assert.equal(await d.getURL({ ...call, state: { mode: 'missing', delayMs: 0 } }), '');
  });

  it('upgrades old state, explicitly and before other calls', async () => {
    const up = await d.upgradeState({ machine, state: { mode: 'ok' }, stateVersion: 1 });
    assert.deepEqual(up.state, { mode: 'ok', delayMs: 0, upgradedFrom: 1 });
    assert.equal(up.stateVersion, 3);
    const newer = await rejects(d.getState({ machine, state: { mode: 'ok' }, stateVersion: 9 }));
    assert.equal(newer.code, 'failed-precondition');
  });

  it('keeps stdout for the handshake: console output goes to stderr as JSON log lines', () => {
    const tail = d.stderrTail().join('\n');
    assert.match(tail, /\[INFO\] this console\.log must not reach stdout/);
    assert.match(tail, /\[INFO\] neither must this/);
  });

  it('reports a driver that dies mid-call with its name and last stderr lines', async () => {
    const d2 = await launchMini();
    const err = await rejects(d2.create({ machine, state: { mode: 'crash', delayMs: 0 }, stateVersion: 3 }));
    assert.equal(err.code, 'unavailable');
    assert.match(err.message, /^\(mini\) the driver exited unexpectedly \(exit code 7\) during Create/);
    assert.ok(err.stderrTail.includes('mini: about to crash'), err.stderrTail.join('\n'));
    await d2.close();
  });

  it('close() shuts the driver down, removes its socket directory and is idempotent', async () => {
    const d2 = await launchMini();
    const pid = d2.pid;
    assert.ok(alive(pid));
    const before = liveDriverCount();
    await Promise.all([d2.close(), d2.close()]);
    await d2.close();
    assert.equal(alive(pid), false);
    assert.equal(liveDriverCount(), before - 1);
    const err = await rejects(d2.getState({ machine, state: {}, stateVersion: 0 }));
    assert.equal(err.code, 'unavailable');
  });

  for (const [how, script] of [
    ['is killed with SIGKILL', 'process.kill(process.pid, "SIGKILL")'],
    ['exits without closing it', 'process.exit(0)'],
  ]) {
    it(`leaves no driver behind when the host ${how}`, async () => {
      const host = `const { launchDriver } = require(${JSON.stringify(path.join(__dirname, 'host.js'))});
        let address = '';
        const onLog = (e) => { if (typeof e.fields.address === 'string') address = e.fields.address; };
        launchDriver({ name: 'mini', path: process.execPath, args: [${JSON.stringify(MINI)}], onLog }).then((d) => {
          const finish = () => {
            if (!address) return setTimeout(finish, 20);
            process.stdout.write(d.pid + ' ' + address + '\\n');
            ${script};
          };
          finish();
        });`;
      const r = spawnSync(process.execPath, ['-e', host], { encoding: 'utf8', timeout: 20_000 });
      const [pidText, address] = r.stdout.trim().split(' ');
      const pid = Number(pidText);
      assert.ok(pid > 0 && address, `host output: ${r.stdout} ${r.stderr}`);
      for (let i = 0; i < 300 && alive(pid); i++) await new Promise((res) => setTimeout(res, 50));
      assert.equal(alive(pid), false, `driver ${pid} outlived its host`);
      const hostDir = path.dirname(path.dirname(address));
      for (let i = 0; i < 200 && fs.existsSync(hostDir); i++) await new Promise((res) => setTimeout(res, 50));
      assert.equal(fs.existsSync(hostDir), false, `socket directory ${hostDir} left behind`);
    });
  }

  it('closeAllDrivers from the gRPC-free entry point stops every driver', async () => {
    const a = await launchMini();
    const b = await launchMini();
    await closeAllFromIndex();
    assert.equal(liveDriverCount(), 0);
    assert.equal(alive(a.pid), false);
    assert.equal(alive(b.pid), false);
    d = await launchMini();
  });

  it('refuses to run without the magic cookie, with an explanation', () => {
    const env = { ...process.env };
    delete env[MAGIC_COOKIE_KEY];
    const r = spawnSync(process.execPath, [MINI], { env, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /not meant to be run by hand/);
  });

  it('fails when no protocol version is common, naming both sides', async () => {
    const r = spawnSync(process.execPath, [MINI], {
      env: { ...process.env, [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: '5,6' },
      encoding: 'utf8',
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /speaks 1, the host asked for 5, 6/);
    const err = await rejects(launchMini({ protocolVersions: [5, 6] }));
    assert.equal(err.call, 'launch');
    assert.match(err.message, /exited \(exit code 1\) before completing the handshake/);
    assert.ok(err.stderrTail.some((l) => l.includes('speaks 1, the host asked for 5, 6')));
  });

  it('explains a missing executable and a handshake timeout', async () => {
    const missing = await rejects(launchDriver({ name: 'nope', path: '/nonexistent/machine-driver-nope' }));
    assert.equal(missing.code, 'not-found');
    const before = liveDriverCount();
    const slow = await rejects(
      launchDriver({
        name: 'sleepy',
        path: process.execPath,
        args: ['-e', 'setTimeout(() => {}, 10000)'],
        env: { ...process.env, MACHINE_PLUGIN_START_TIMEOUT: '0.3' },
      }),
    );
    assert.equal(slow.code, 'deadline-exceeded');
    assert.match(slow.message, /did not complete the handshake within 0\.3 s/);
    assert.match(slow.message, /raise MACHINE_PLUGIN_START_TIMEOUT/);
    assert.equal(liveDriverCount(), before, 'the slow process must be stopped');
  });

  it('rejects a bad handshake line with a clear message', async () => {
    const err = await rejects(launchDriver({ name: 'chatty', path: process.execPath, args: ['-e', 'console.log("hello there"); setTimeout(() => {}, 5000)'] }));
    assert.match(err.message, /printed "hello there" instead of the handshake line/);
    const core = await rejects(launchDriver({ name: 'old', path: process.execPath, args: ['-e', 'console.log("2|1|unix|/x|grpc|"); setTimeout(() => {}, 5000)'] }));
    assert.match(core.message, /core protocol "2"/);
  });

  it('reports a driver nobody answers for by its health check, not by the metadata call sent alongside', async () => {
    const socket = path.join(os.tmpdir(), `machine-test-nobody-${process.pid}.sock`);
    const err = await rejects(
      launchDriver({ name: 'mute', path: process.execPath, args: ['-e', `console.log(${JSON.stringify(`1|1|unix|${socket}|grpc|`)}); setTimeout(() => {}, 5000)`] }),
    );
    assert.equal(err.code, 'unavailable');
    assert.equal(err.call, 'launch');
    assert.match(err.message, /the driver at .* did not report healthy: /);
  });

  it('serves over loopback TCP with AutoMTLS when asked', async () => {
    const d2 = await launchMini({ env: { ...process.env, MACHINE_PLUGIN_TRANSPORT: 'tcp' } });
    assert.equal(await d2.getState({ machine, state: { mode: 'ok', delayMs: 0 }, stateVersion: 3 }), 'Running');
    await d2.close();
  });

  it('removes the private socket directory on close', async () => {
    let address = '';
    const d2 = await launchMini({ onLog: (e) => (address = typeof e.fields.address === 'string' ? e.fields.address : address) });
    for (let i = 0; i < 400 && !address; i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(fs.existsSync(address), `socket ${address} should exist while the driver runs`);
    assert.equal(fs.statSync(path.dirname(address)).mode & 0o777, 0o700);
    await d2.close();
    assert.equal(fs.existsSync(path.dirname(path.dirname(address))), false);
  });
});
