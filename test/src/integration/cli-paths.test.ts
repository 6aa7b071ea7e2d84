import * as assert from 'node:assert/strict';
import { addFakeMachine, sandbox, waitGone, type Sandbox } from './cli-support';

// Every script-facing command runs on two paths: bin/run.js's own parser and
// oclif (MACHINE_NO_FAST_PATH=1). Both must give the same output, errors and
// exit codes for the same argv.
describe('fast path and oclif path agree', function () {
  this.timeout(180_000);
  let sb: Sandbox;
  before(() => {
    sb = sandbox();
    addFakeMachine(sb, 'm1');
    addFakeMachine(sb, 'm2', { power: 'Stopped' });
  });
  after(async () => {
    assert.deepEqual(await waitGone(sb), []);
    sb.cleanup();
  });

  const cases: string[][] = [
    ['ls'],
    ['ls', '-q'],
    ['ls', '--format', '{{.Name}}={{.State}}'],
    ['ls', '--filter', 'bogus=1'],
    ['ls', '--bogus'],
    ['ls', '--timeout', 'abc'],
    ['ls', 'extra-arg'],
    ['status', 'm2'],
    ['url', 'nosuch'],
    ['inspect', '-f', '{{.DriverName}} {{.Name}}', 'm1'],
    ['inspect', '-f', '{{.Name', 'm1'],
    ['ip', 'm1', 'm2'],
    ['config', 'm1', 'm2'],
    ['env', '-u'],
    ['env', '--help'],
    ['version'],
    ['--version'],
    ['active'],
    ['-s', '/nonexistent-store', 'ls', '-q'],
    ['--native-ssh=false', 'ls', '-q'],
    ['driver', 'inspect'],
  ];

  for (const argv of cases) {
    it(`machine ${argv.join(' ')}`, async () => {
      const fast = await sb.run(argv);
      const slow = await sb.run(argv, { MACHINE_NO_FAST_PATH: '1' });
      const norm = (s: string): string => s.replace(/\d+(\.\d+)?(ms|µs|s)\b/g, 'T');
      assert.equal(fast.code, slow.code, `exit codes differ\nfast: ${fast.stderr}\noclif: ${slow.stderr}`);
      assert.equal(norm(fast.stdout), norm(slow.stdout));
      assert.equal(norm(fast.stderr), norm(slow.stderr));
    });
  }

  it('help and parse errors come from oclif with exit code 1', async () => {
    const help = await sb.run(['ls', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /USAGE\n {2}\$ machine ls/);
    assert.match(help.stdout, /GLOBAL FLAGS/);
    const bad = await sb.run(['ls', '--bogus']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Nonexistent flag: --bogus/);
    const unknown = await sb.run(['frobnicate']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /machine: 'frobnicate' is not a machine command\. See 'machine --help'\./);
  });
});
