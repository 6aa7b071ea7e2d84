import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { processStartTime, sweepStaleLaunches } from './launch-record';
import { isProcessAlive } from './process-alive';

/** A pid that ran and has ended: a host killed outright. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  assert.ok(r.pid && !isProcessAlive(r.pid));
  return r.pid;
}

/** Like a go-plugin driver: serves on a socket outside our directory, and SIGTERM ends it without removing the socket. */
async function orphanDriver(socket: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => console.log('up'))`], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise((resolve) => child.stdout?.once('data', resolve));
  return child;
}

describe('sweepStaleLaunches', function () {
  this.timeout(20_000);
  let tmp: string;
  let previousTmp: string | undefined;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'launch-record-'));
    previousTmp = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
  });
  afterEach(() => {
    if (previousTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmp;
    for (const c of children.splice(0)) c.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** A socket directory and the record a host wrote for it. */
  function launchDir(hostPid: number, record?: object): string {
    const dir = path.join(tmp, `machine-${hostPid}-Ab12Cd`);
    fs.mkdirSync(dir, { mode: 0o700 });
    if (record) {
      const runDir = path.join(tmp, `machine-launches-${process.getuid?.() ?? ''}`.replace(/-$/, ''));
      fs.mkdirSync(runDir, { recursive: true, mode: 0o700 });
      const driverPid = (record as { driverPid: number }).driverPid;
      fs.writeFileSync(path.join(runDir, `${hostPid}-${driverPid}.json`), JSON.stringify({ dir, ...record }));
    }
    return dir;
  }

  function records(): string[] {
    const runDir = path.join(tmp, `machine-launches-${process.getuid?.() ?? ''}`.replace(/-$/, ''));
    return fs.existsSync(runDir) ? fs.readdirSync(runDir) : [];
  }

  it('ends the driver of a host that is gone and removes its outside socket and directory', async () => {
    const socket = path.join(tmp, 'plugin123');
    const driver = await orphanDriver(socket);
    children.push(driver);
    const host = deadPid();
    const dir = launchDir(host, { hostPid: host, driverPid: driver.pid, driverStart: processStartTime(driver.pid as number), socket });
    await sweepStaleLaunches();
    assert.equal(isProcessAlive(driver.pid as number), false, 'the orphaned driver still runs');
    assert.equal(fs.existsSync(socket), false, 'its socket is left');
    assert.equal(fs.existsSync(dir), false, 'the launch directory is left');
    assert.deepEqual(records(), [], 'the record is left');
    assert.deepEqual(fs.readdirSync(tmp), [], 'the empty run directory is left');
  });

  it('leaves the launches of a running host alone', async () => {
    const socket = path.join(tmp, 'plugin456');
    const driver = await orphanDriver(socket);
    children.push(driver);
    const dir = launchDir(process.ppid, { hostPid: process.ppid, hostStart: processStartTime(process.ppid), driverPid: driver.pid, driverStart: processStartTime(driver.pid as number), socket });
    await sweepStaleLaunches();
    assert.ok(isProcessAlive(driver.pid as number));
    assert.ok(fs.existsSync(socket) && fs.existsSync(dir));
    assert.equal(records().length, 1);
  });

  it('treats a host pid reused by another process as gone', async () => {
    const dir = launchDir(process.ppid, { hostPid: process.ppid, hostStart: '1', driverPid: deadPid() });
    await sweepStaleLaunches();
    assert.equal(fs.existsSync(dir), false);
    assert.deepEqual(records(), []);
  });

  it('keeps its records even when the socket directory is gone already', async () => {
    const socket = path.join(tmp, 'plugin789');
    const driver = await orphanDriver(socket);
    children.push(driver);
    const host = deadPid();
    const dir = launchDir(host, { hostPid: host, driverPid: driver.pid, driverStart: processStartTime(driver.pid as number), socket });
    fs.rmSync(dir, { recursive: true });
    await sweepStaleLaunches();
    assert.equal(isProcessAlive(driver.pid as number), false);
    assert.equal(fs.existsSync(socket), false);
  });

  it('never signals a pid that now belongs to another process, and removes only sockets', async () => {
    const bystander = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(bystander);
    const file = path.join(tmp, 'not-a-socket');
    fs.writeFileSync(file, 'data');
    const host = deadPid();
    launchDir(host, { hostPid: host, driverPid: bystander.pid, driverStart: '1', socket: file });
    await sweepStaleLaunches();
    await delay(50);
    assert.ok(isProcessAlive(bystander.pid as number), 'a process the record does not describe was signalled');
    assert.ok(fs.existsSync(file), 'a file that is not a socket was removed');
  });
});
