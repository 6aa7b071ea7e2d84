// create's progress, through the real CLI: under a real pseudo-terminal
// (util-linux's `script`) a live line with its running clock, each finished
// step kept with its duration; piped, the plain lines scripts have always
// read, unchanged. The none driver makes a machine without a host, so only
// the rendering differs between the two runs.
/* eslint-disable no-control-regex -- the tests read terminal control sequences */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, explain, ROOT, Sandbox } from './generic-support';
import { assertKeptDuration, runInTerminal, screen } from '../support/terminal';

describe('create progress on a terminal and through a pipe', function () {
  this.timeout(120_000);
  const sb = new Sandbox();
  after(() => sb.cleanup());

  const createArgs = (name: string) => ['create', '-d', 'none', '--url', 'tcp://127.0.0.1:1', name];

  it('piped: the plain lines, one per step, no control sequences', async () => {
    await sb.ok(createArgs('warm-up')); // makes the CA, whose lines only the first create prints
    const r = await sb.cli(createArgs('piped'));
    assert.equal(r.code, 0, explain(r));
    assert.equal(
      r.stdout,
      'Running pre-create checks...\nCreating machine...\nTo see how to connect your Docker Client to the Docker Engine running on this virtual machine, run: machine env piped\n',
    );
    assert.doesNotMatch(r.stdout + r.stderr, /\x1b/);
  });

  it('on a terminal: a live line with a clock, each step kept with its duration', async () => {
    const r = await runInTerminal(process.execPath, [CLI, ...createArgs('on-tty')], sb.env({ TERM: 'xterm' }));
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, /\x1b\[\?7l/, 'the live line is drawn (line wrapping off while it is)');
    assert.match(r.stdout, /\x1b\[\?7h/, 'and the terminal restored');
    const shown = screen(r.stdout);
    assert.match(shown, /^Running pre-create checks\.\.\. \d+\.\ds$/m, 'the finished step with its duration');
    assert.match(shown, /^Creating machine\.\.\. \d+\.\ds$/m);
    assert.match(shown, /^To see how to connect your Docker Client to the Docker Engine running on this virtual machine, run: machine env on-tty$/m);
  });

  it('on a terminal with --quiet: the plain lines', async () => {
    const r = await runInTerminal(process.execPath, [CLI, ...createArgs('quiet-tty'), '--quiet'], sb.env({ TERM: 'xterm' }));
    assert.equal(r.code, 0, explain(r));
    assert.equal(
      r.stdout.replace(/\r\n/g, '\n'),
      'Running pre-create checks...\nCreating machine...\nTo see how to connect your Docker Client to the Docker Engine running on this virtual machine, run: machine env quiet-tty\n',
    );
    const ls = await sb.ok(['ls', '-q']);
    assert.deepEqual(ls.stdout.trim().split('\n'), ['on-tty', 'piped', 'quiet-tty', 'warm-up']);
  });
});

// A driver's own lines during create (the docker driver's image build sends
// its steps this way): the test fake driver says "Creating fake machine",
// takes 0.5 s, says "Fake machine is running", and then fails on purpose at
// getSSHInfo so that create ends quickly (rolled back) with nothing to reach.
describe('a driver\'s lines during create, on a terminal and through a pipe', function () {
  this.timeout(120_000);
  const sb = new Sandbox();
  const drivers = path.join(sb.dir, 'drivers');
  before(() => {
    fs.mkdirSync(drivers);
    fs.symlinkSync(path.join(ROOT, 'test', 'bin', 'machine-driver-fake'), path.join(drivers, 'machine-driver-fake'));
  });
  after(() => sb.cleanup());

  const env = (extra: NodeJS.ProcessEnv = {}) => sb.env({ MACHINE_DRIVER_PATH: drivers, ...extra });
  const createArgs = (name: string) => ['create', '-d', 'fake', '--fake-create-delay-ms', '500', '--fake-ip', '127.0.0.1', '--fake-fail-on', 'getSSHInfo', name];

  it('piped: the driver\'s lines as plain lines, in order, between the steps', async () => {
    await sb.cli(['ls'], { env: env() }); // any first command makes the CA; create then prints only its steps
    const r = await sb.cli(createArgs('piped'), { env: env() });
    assert.notEqual(r.code, 0, explain(r));
    assert.doesNotMatch(r.stdout + r.stderr, /\x1b/);
    const lines = r.stdout.split('\n');
    const at = lines.indexOf('Creating machine...');
    assert.deepEqual(lines.slice(at, at + 4), ['Creating machine...', '(piped) Creating fake machine', '(piped) Fake machine is running', 'Waiting for machine to be running, this may take a few minutes...'], r.stdout);
  });

  it('on a terminal: each driver line takes over the live line, then is kept with its duration', async () => {
    const r = await runInTerminal(process.execPath, [CLI, ...createArgs('on-tty')], env({ TERM: 'xterm' }));
    assert.notEqual(r.code, 0, explain(r));
    const shown = screen(r.stdout.replace(/\r\n/g, '\n')).split('\n');
    const at = shown.findIndex((l) => l.startsWith('(on-tty) Creating fake machine'));
    assert.ok(at > 0, shown.join('\n'));
    // The fake driver takes 0.5 s between the two lines; the step, longer.
    assertKeptDuration(shown[at], '(on-tty) Creating fake machine', 0.4, r.wallSeconds);
    assert.match(shown[at + 1], /^\(on-tty\) Fake machine is running \d+\.\ds$/);
    assertKeptDuration(shown[at + 2], 'Creating machine...', 0.5, r.wallSeconds);
    assert.equal(shown.filter((l) => l.includes('Creating fake machine')).length, 1, 'one line on the screen');
    // Drawn live beside the step's clock before it was kept.
    assert.match(r.stdout, /Creating machine\.\.\. \x1b\[2m\d+\.\ds\x1b\[0m \x1b\[2m›\x1b\[0m \(on-tty\) Creating fake machine \x1b\[2m0\.\ds/);
  });
});
