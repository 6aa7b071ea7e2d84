// Signals, locks and interrupted creates, with the real CLI and the fake
// driver: SIGINT, SIGTERM and SIGHUP to the whole process group roll a create
// back alike; a driver killed mid-create is relaunched to finish the
// rollback; a create killed outright stays visible until `rm -f`; `rm -f`
// never removes under a live holder; the lock records no secret.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, REPO, addFakeMachine, isRunning, sandbox, type Sandbox } from './cli-support';

interface Running {
  child: ChildProcess;
  output(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The CLI as the leader of its own process group, as a shell runs a job. */
function startCli(sb: Sandbox, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...sb.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exit };
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function tmpOf(sb: Sandbox): string {
  return path.join(sb.root, 'tmp');
}

/** What a run may leave in the store's lock directory and the socket base: nothing. */
function leftovers(sb: Sandbox): string[] {
  const locks = path.join(sb.store.root, 'locks');
  const inLocks = fs.existsSync(locks) ? fs.readdirSync(locks).filter((f) => !f.startsWith('.certs')) : [];
  const sockets = fs.readdirSync(tmpOf(sb)).filter((f) => f.startsWith('machine-'));
  return [...inLocks.map((f) => `locks/${f}`), ...sockets.map((f) => `tmp/${f}`)];
}

const SLOW_CREATE = ['create', '-d', 'fake', '--fake-create-delay-ms', '20000', '--fake-token', 'very-secret-token'];

describe('signals, locks and interrupted creates (real CLI, fake driver)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    sb = sandbox();
    fs.mkdirSync(tmpOf(sb));
    env = { TMPDIR: tmpOf(sb) };
    sb.env.TMPDIR = tmpOf(sb);
  });
  afterEach(async () => {
    await waitFor('driver processes to exit', () => sb.alive().length === 0, 10_000).catch(() => undefined);
    assert.deepEqual(sb.alive(), [], 'no driver process is left');
    sb.cleanup();
  });

  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${sig} to the process group during create rolls back and exits ${code}, leaving no lock, socket directory or process`, async () => {
      const run = startCli(sb, [...SLOW_CREATE, 'sig'], env);
      await waitFor('the driver to start creating', () => /Creating fake machine/.test(run.output()));
      assert.ok(fs.existsSync(path.join(sb.store.machineDir('sig'), 'fake-machine.json')), 'the fake driver made its resource');
      process.kill(-(run.child.pid as number), sig);
      const { code: exitCode } = await run.exit;
      assert.equal(exitCode, code, run.output());
      assert.match(run.output(), /Rolled back: "sig" was removed/);
      assert.equal(fs.existsSync(sb.store.machineDir('sig')), false, 'no machine directory is left');
      await waitFor('the drivers to exit', () => sb.alive().length === 0, 10_000);
      assert.deepEqual(leftovers(sb), []);
    });
  }

  for (const [sig, code] of [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${sig} to a read command while its driver starts ends it with ${code} and nothing on stderr, leaving nothing`, async () => {
      addFakeMachine(sb, 'slow');
      // The driver takes its time to start, so that the signal lands while it does.
      const wrapper = path.join(sb.driverDir, 'machine-driver-fake');
      fs.writeFileSync(wrapper, fs.readFileSync(wrapper, 'utf8').replace(/^exec /m, 'sleep 1\nexec '));
      const run = startCli(sb, ['status', 'slow'], env);
      await waitFor('the driver to be spawned', () => sb.spawned().length === 1);
      process.kill(run.child.pid as number, sig);
      const { code: exitCode } = await run.exit;
      assert.equal(exitCode, code, run.output());
      assert.equal(run.output(), '');
      await waitFor('the drivers to exit', () => sb.alive().length === 0, 10_000);
      assert.deepEqual(leftovers(sb), []);
    });
  }

  it('a driver killed with SIGKILL during create is relaunched to finish the rollback', async () => {
    const run = startCli(sb, [...SLOW_CREATE, 'crash'], env);
    await waitFor('the driver to start creating', () => /Creating fake machine/.test(run.output()));
    const driverPid = sb.spawned()[0];
    process.kill(driverPid, 'SIGKILL');
    const { code } = await run.exit;
    assert.equal(code, 1, run.output());
    assert.match(run.output(), /relaunched it to finish the rollback/);
    assert.match(run.output(), /Rolled back: "crash" was removed/);
    assert.equal(fs.existsSync(sb.store.machineDir('crash')), false);
    assert.equal(sb.spawned().length, 2, 'one relaunch');
    await waitFor('the drivers to exit', () => sb.alive().length === 0, 10_000);
    assert.deepEqual(leftovers(sb), []);
  });

  it('a create killed with SIGKILL is an error in ls, blocks a new create with a hint, and rm -f finishes it', async () => {
    const run = startCli(sb, [...SLOW_CREATE, 'killed'], env);
    await waitFor('the driver to start creating', () => /Creating fake machine/.test(run.output()));
    process.kill(-(run.child.pid as number), 'SIGKILL');
    await run.exit;
    const ls = await sb.run(['ls', '--format', '{{.Name}} {{.Error}}'], env);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^killed create was interrupted \(process \d+ is gone\).*machine rm -f killed/m);
    const again = await sb.run(['create', '-d', 'fake', 'killed'], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /"killed" already exists: its create did not finish\. Remove it with "machine rm -f killed"/);
    const rm = await sb.run(['rm', '-f', 'killed'], env);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(fs.existsSync(sb.store.machineDir('killed')), false);
    assert.deepEqual(leftovers(sb).filter((f) => f.startsWith('locks/')), []);
  });

  it('the lock records the pid and the command name, never flag values; rm -f refuses while its holder lives', async () => {
    const run = startCli(sb, [...SLOW_CREATE, 'busy'], env);
    await waitFor('the driver to start creating', () => /Creating fake machine/.test(run.output()));
    const locks = path.join(sb.store.root, 'locks');
    const onDisk = fs
      .readdirSync(locks)
      .filter((f) => f.endsWith('.holder'))
      .map((f) => fs.readFileSync(path.join(locks, f), 'utf8'))
      .join('\n');
    assert.doesNotMatch(onDisk, /very-secret-token|fake-create-delay/);
    const holder = JSON.parse(onDisk) as { pid: number; command: string };
    assert.equal(holder.pid, run.child.pid);
    assert.equal(holder.command, 'create');

    const rm = await sb.run(['rm', '-f', 'busy'], env);
    assert.notEqual(rm.code, 0, rm.stdout);
    assert.match(rm.stderr, new RegExp(`process ${run.child.pid} \\(machine create\\) is using it`));
    assert.doesNotMatch(rm.stderr, /very-secret-token/);
    assert.ok(fs.existsSync(path.join(sb.store.machineDir('busy'), 'config.json')), 'rm -f left the machine of a live holder alone');

    process.kill(-(run.child.pid as number), 'SIGINT');
    assert.equal((await run.exit).code, 130, run.output());
    assert.equal(fs.existsSync(sb.store.machineDir('busy')), false);
  });

  it('a lock whose holder died is taken over at once; a live one is never broken, however old', async () => {
    const { lockFile, tryLockFile } = (await import(path.join(REPO, 'proto', 'lib', 'lock.js'))) as typeof import('@machine/driver-sdk/lock');
    const file = path.join(sb.root, 'l.lock');
    // A live holder in another process, its lock directory's mtime set far in the past.
    const holder = spawn(process.execPath, ['-e', `const l=require(${JSON.stringify(path.join(REPO, 'proto', 'lib', 'lock.js'))});l.lockFile(process.argv[1],{command:'hold'}).then(()=>{process.stdout.write('held\\n');setInterval(()=>{},1000)})`, file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let said = '';
    holder.stdout?.on('data', (d: Buffer) => (said += d.toString()));
    await waitFor('the holder', () => said.includes('held'));
    const past = new Date(Date.now() - 3_600_000);
    fs.utimesSync(file, past, past);
    const busy = tryLockFile(file);
    assert.equal(typeof busy, 'object');
    assert.equal((busy as { holder?: { pid: number } }).holder?.pid, holder.pid);
    holder.kill('SIGKILL');
    await waitFor('the holder to die', () => !isRunning(holder.pid as number));
    const release = await lockFile(file, { waitMs: 0 });
    release();
    assert.deepEqual(fs.readdirSync(sb.root).filter((f) => f.startsWith('l.lock')), []);
  });
});
