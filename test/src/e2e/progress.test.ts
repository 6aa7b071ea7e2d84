// create's progress, through the real CLI: under a real pseudo-terminal
// (util-linux's `script`) a live line with its running clock, each finished
// step kept with its duration; piped, the plain lines scripts have always
// read, unchanged. The none driver makes a machine without a host, so only
// the rendering differs between the two runs.
/* eslint-disable no-control-regex -- the tests read terminal control sequences */
import { strict as assert } from 'node:assert';
import { CLI, explain, Sandbox } from './generic-support';
import { runInTerminal, screen } from '../support/terminal';

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
