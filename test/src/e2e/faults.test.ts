// Failures on purpose, with the real CLI and real hosts: SSH dying in the
// middle of provisioning, a host going away during `ls`, a corrupt record,
// Ctrl-C during create, and creates running in parallel. After each, the
// store must be consistent and no process of the run may be left.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startHost, type TestHost } from '../hosts';
import { explain, genericFlags, Sandbox } from './generic-support';

const DISTRO = ['--engine-install-url', 'distro', '--engine-storage-driver', 'vfs'];

/** Resolves once the child's output matches `re` (rejects if it exits first). */
function waitForOutput(child: ReturnType<Sandbox['spawnCli']>, re: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (re.test(child.output())) {
        cleanup();
        resolve();
      }
    };
    const onExit = () => {
      cleanup();
      reject(new Error(`the command exited before printing ${re}:\n${child.output()}`));
    };
    const cleanup = () => {
      child.stdout?.off('data', check);
      child.stderr?.off('data', check);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', onExit);
    check();
  });
}

function exitOf(child: ReturnType<Sandbox['spawnCli']>): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

describe('faults, end to end on real hosts', function () {
  this.timeout(600_000);
  const sb = new Sandbox();
  const hosts: TestHost[] = [];

  after(async () => {
    for (const name of sb.machines()) await sb.cli(['rm', '-f', name]);
    await Promise.all(hosts.map((h) => h.remove().catch(() => undefined)));
    sb.cleanup();
  });

  afterEach(async function () {
    // Whatever a test did, it must leave the store readable and no process behind.
    assert.deepEqual(await sb.leftoverProcesses(), [], `processes left by "${this.currentTest?.title}"`);
    assert.deepEqual(sb.storeProblems(), [], `store problems after "${this.currentTest?.title}"`);
  });

  it('SSH dying in the middle of provisioning fails the create and rolls it back', async () => {
    const host = await startHost({ flavour: 'nodocker' });
    hosts.push(host);
    const child = sb.spawnCli(['create', ...genericFlags(host), ...DISTRO, 'ssh-dies']);
    await waitForOutput(child, /Installing Docker\.\.\./);
    // sshd and every session it serves, as a crash would.
    await host.exec('systemctl stop ssh.socket ssh.service 2>/dev/null; pkill -KILL -x sshd; true');
    const { code } = await exitOf(child);
    assert.notEqual(code, 0, child.output());
    assert.match(child.output(), /Installing Docker failed|Error creating machine/);
    assert.match(child.output(), /Rolled back: "ssh-dies" was removed/);
    assert.ok(!sb.machines().includes('ssh-dies'), 'the failed machine is not left in the store');
  });

  it('Ctrl-C during create stops it and removes what it made', async () => {
    const host = await startHost({ flavour: 'nodocker' });
    hosts.push(host);
    const child = sb.spawnCli(['create', ...genericFlags(host), ...DISTRO, 'interrupted']);
    await waitForOutput(child, /Installing Docker\.\.\./);
    child.kill('SIGINT');
    const { code } = await exitOf(child);
    assert.equal(code, 130, child.output());
    assert.match(child.output(), /Interrupted; cleaning up/);
    assert.match(child.output(), /Rolled back: "interrupted" was removed/);
    assert.ok(!sb.machines().includes('interrupted'));
    // The store is usable afterwards: the name can be created again.
    await host.exec('systemctl start ssh 2>/dev/null || true');
  });

  describe('with two hosts that have Docker', () => {
    let one: TestHost;
    let two: TestHost;

    before(async () => {
      [one, two] = await Promise.all([startHost({ flavour: 'docker' }), startHost({ flavour: 'docker' })]);
      hosts.push(one, two);
    });

    it('creates two machines in parallel, and refuses a second create of the same name', async () => {
      const [a, b, dup] = await Promise.all([
        sb.cli(['create', ...genericFlags(one), 'par-a']),
        sb.cli(['create', ...genericFlags(two), 'par-b']),
        // Same name as par-b, racing it: exactly one of the two may win.
        new Promise((r) => setTimeout(r, 50)).then(() => sb.cli(['create', ...genericFlags(two), 'par-b'])),
      ]);
      assert.equal(a.code, 0, explain(a));
      const winners = [b, dup].filter((r) => r.code === 0);
      const losers = [b, dup].filter((r) => r.code !== 0);
      assert.equal(winners.length, 1, `one create of par-b wins:\n${explain(b)}\n${explain(dup)}`);
      // Depending on timing the loser finds the machine made, or the winner still holding its lock.
      assert.match(losers[0].stderr, /already exists|being created|is locked|in use|"par-b" is busy: process \d+ \(machine create/i, explain(losers[0]));
      assert.deepEqual(sb.machines(), ['par-a', 'par-b']);
      const ls = await sb.ok(['ls']);
      assert.match(ls.stdout, /^par-a\s+-\s+generic\s+Running/m);
      assert.match(ls.stdout, /^par-b\s+-\s+generic\s+Running/m);
    });

    it('shows a corrupt config.json as an error row and keeps listing the others', async () => {
      const dir = path.join(sb.store, 'machines', 'corrupt');
      fs.mkdirSync(dir, { mode: 0o700 });
      fs.writeFileSync(path.join(dir, 'config.json'), '{"ConfigVersion": 3, "Driver": {', { mode: 0o600 });
      const ls = await sb.ok(['ls']);
      const row = ls.stdout.split('\n').find((l) => l.startsWith('corrupt '));
      assert.ok(row, ls.stdout);
      assert.match(row, /Error/);
      assert.match(ls.stdout, /^par-a\s+-\s+generic\s+Running/m);
      const start = await sb.cli(['start', 'corrupt']);
      assert.notEqual(start.code, 0);
      assert.match(start.stderr, /config\.json/);
      assert.match(start.stderr, /rm -f corrupt/);
      // -f removes what cannot even be read.
      await sb.ok(['rm', '-f', 'corrupt']);
      assert.ok(!sb.machines().includes('corrupt'));
    });

    it('a host that goes away during ls shows as not running while the others still show', async () => {
      const listing = sb.cli(['ls', '--timeout', '5']);
      await one.kill();
      const ls = await listing;
      assert.equal(ls.code, 0, explain(ls));
      assert.match(ls.stdout, /^par-b\s+-\s+generic\s+Running/m);
      // Whether ls saw it before or after it went: a row either way, never a missing one.
      assert.match(ls.stdout, /^par-a\s+/m);
      const after = await sb.ok(['ls', '--timeout', '5']);
      assert.match(after.stdout, /^par-a\s+-\s+generic\s+(Stopped|Timeout|Error)/m);
      assert.match(after.stdout, /^par-b\s+-\s+generic\s+Running/m);
      // rm -f works for a machine whose host is gone.
      await sb.ok(['rm', '-f', 'par-a']);
      await sb.ok(['rm', '-y', 'par-b']);
      assert.deepEqual(sb.machines(), []);
    });
  });
});
