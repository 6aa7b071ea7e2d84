import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { addFakeMachine, sandbox, waitGone, type Sandbox } from './cli-support';

// bin/run.js starts the driver of `status/ip/url NAME` and `ls` before the
// rest of the CLI loads (cli/src/prelaunch.ts). Seen from outside, that must
// change nothing but the time: one driver process per command, the same
// output, and nothing left behind, also when the command never uses the
// driver it started.
describe('drivers started ahead by the CLI (real CLI, fake driver)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let tmp: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    sb = sandbox();
    // A private temp dir: socket directories and launch records land here, so
    // the test sees everything a command leaves.
    tmp = path.join(sb.root, 'tmp');
    fs.mkdirSync(tmp);
    env = { TMPDIR: tmp };
    addFakeMachine(sb, 'dev', { ip: '127.0.0.1' });
    addFakeMachine(sb, 'off', { ip: '127.0.0.1', power: 'Stopped' });
  });
  afterEach(async () => {
    assert.deepEqual(await waitGone(sb), [], 'driver processes left behind');
    sb.cleanup();
  });

  /** What the command left in the temp dir, launch-record directories included. */
  function leftInTmp(): string[] {
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        out.push(path.relative(tmp, p));
        if (e.isDirectory()) walk(p);
      }
    };
    walk(tmp);
    return out;
  }

  for (const [args, stdout] of [
    [['status', 'dev'], 'Running\n'],
    [['status', 'off', '--json'], '{\n  "Name": "off",\n  "State": "Stopped"\n}\n'],
    [['ip', 'dev'], '127.0.0.1\n'],
  ] as const) {
    it(`${args.join(' ')}: one driver process, the same output as without, nothing left`, async () => {
      const before = sb.spawned().length;
      const r = await sb.run([...args], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, stdout);
      assert.equal(r.stderr, '');
      assert.equal(sb.spawned().length - before, 1, 'the driver started ahead is the one the command used');
      assert.deepEqual(await waitGone(sb), []);
      assert.deepEqual(leftInTmp(), []);

      const off = await sb.run([...args], { ...env, MACHINE_NO_PRELAUNCH: '1' });
      assert.deepEqual(off, r);
      assert.equal(sb.spawned().length - before, 2);
    });
  }

  it('plain ls: one driver process for all machines of the first machine\'s driver, the same table as without', async () => {
    const before = sb.spawned().length;
    const r = await sb.run(['ls'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME +ACTIVE +DRIVER +STATE +URL/);
    assert.match(r.stdout, /^dev +- +fake +Running +tcp:\/\/127\.0\.0\.1:2376 /m);
    assert.match(r.stdout, /^off +- +fake +Stopped +/m);
    assert.equal(sb.spawned().length - before, 1, 'the driver started ahead is the one ls used');
    assert.deepEqual(await waitGone(sb), []);
    assert.deepEqual(leftInTmp(), []);

    const off = await sb.run(['ls'], { ...env, MACHINE_NO_PRELAUNCH: '1' });
    assert.deepEqual(off, r);
    assert.equal(sb.spawned().length - before, 2);
  });

  it('a driver started for a command that then fails is stopped, and its files removed', async () => {
    // Readable enough for the early guess (it names the fake driver), refused by the store.
    const file = path.join(sb.store.machineDir('dev'), 'config.json');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), ConfigVersion: 99 }));
    const before = sb.spawned().length;
    const r = await sb.run(['status', 'dev'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /config version 99 of machine "dev" is from the future/);
    assert.equal(sb.spawned().length - before, 1, 'the early guess started the driver');
    assert.deepEqual(await waitGone(sb), [], 'and the CLI stopped it on its way out');
    assert.deepEqual(leftInTmp(), []);
  });

  it('starts nothing ahead for forms it does not know, and the command still works', async () => {
    const before = sb.spawned().length;
    for (const args of [['ls', '-q'], ['status', 'dev', '--no-such-flag'], ['inspect', 'dev'], ['status', 'missing']]) await sb.run(args, env);
    assert.equal(sb.spawned().length - before, 0);
    const r = await sb.run(['--debug', 'status', 'dev'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Running\n');
    assert.equal(sb.spawned().length - before, 1);
  });
});
