// create's progress, through the real CLI: under a real pseudo-terminal
// (util-linux's `script`) a live line with its running clock, each finished
// step kept with its duration; piped, the plain lines scripts have always
// read, unchanged. The none driver makes a machine without a host, so only
// the rendering differs between the two runs.
/* eslint-disable no-control-regex -- the tests read terminal control sequences */
import { strict as assert } from 'node:assert';
import { CLI, explain, run, Sandbox } from './generic-support';

/**
 * The lines a terminal would end up showing: carriage returns and
 * column-1 moves go back to the line's start, erase sequences erase, other
 * control sequences (colours, modes) draw nothing.
 */
function screen(output: string): string {
  const lines: string[] = [''];
  let col = 0;
  const put = (ch: string) => {
    const line = lines[lines.length - 1];
    lines[lines.length - 1] = line.slice(0, col).padEnd(col) + ch + line.slice(col + 1);
    col++;
  };
  for (let i = 0; i < output.length; i++) {
    const ch = output[i];
    if (ch === '\x1b') {
      const m = /^\x1b(?:\[([0-9;?]*)([A-Za-z])|[78])/.exec(output.slice(i));
      if (!m) continue;
      i += m[0].length - 1;
      const [, arg, op] = m;
      if (op === 'G') col = Math.max(0, Number(arg || '1') - 1);
      else if (op === 'K' && arg === '2') lines[lines.length - 1] = '';
      else if (op === 'K' || op === 'J') lines[lines.length - 1] = lines[lines.length - 1].slice(0, col);
    } else if (ch === '\r') col = 0;
    else if (ch === '\n') {
      lines.push('');
      col = 0;
    } else put(ch);
  }
  return lines.join('\n');
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

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
    const command = [process.execPath, CLI, ...createArgs('on-tty')].map(shellQuote).join(' ');
    // script runs the command on a new pseudo-terminal and copies what it draws to stdout.
    const r = await run('script', ['-qefc', command, '/dev/null'], { env: sb.env({ TERM: 'xterm' }) });
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, /\x1b\[\?7l/, 'the live line is drawn (line wrapping off while it is)');
    assert.match(r.stdout, /\x1b\[\?7h/, 'and the terminal restored');
    const shown = screen(r.stdout);
    assert.match(shown, /^Running pre-create checks\.\.\. \d+\.\ds$/m, 'the finished step with its duration');
    assert.match(shown, /^Creating machine\.\.\. \d+\.\ds$/m);
    assert.match(shown, /^To see how to connect your Docker Client to the Docker Engine running on this virtual machine, run: machine env on-tty$/m);
  });

  it('on a terminal with --quiet: the plain lines', async () => {
    const command = [process.execPath, CLI, ...createArgs('quiet-tty'), '--quiet'].map(shellQuote).join(' ');
    const r = await run('script', ['-qefc', command, '/dev/null'], { env: sb.env({ TERM: 'xterm' }) });
    assert.equal(r.code, 0, explain(r));
    assert.equal(
      r.stdout.replace(/\r\n/g, '\n'),
      'Running pre-create checks...\nCreating machine...\nTo see how to connect your Docker Client to the Docker Engine running on this virtual machine, run: machine env quiet-tty\n',
    );
    const ls = await sb.ok(['ls', '-q']);
    assert.deepEqual(ls.stdout.trim().split('\n'), ['on-tty', 'piped', 'quiet-tty', 'warm-up']);
  });
});
