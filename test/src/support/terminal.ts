// Running the real CLI on a pseudo-terminal (util-linux's `script`) and
// reading back what the terminal ends up showing: shared by the progress
// e2e tests of create and of the docker driver's `image build`.
/* eslint-disable no-control-regex -- this reads terminal control sequences */
import { strict as assert } from 'node:assert';
import { run, type Result } from './run';

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs FILE ARGS on a new pseudo-terminal; stdout is what it drew there, wallSeconds how long it took. */
export async function runInTerminal(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Result & { wallSeconds: number }> {
  const command = [file, ...args].map(shellQuote).join(' ');
  const started = Date.now();
  const r = await run('script', ['-qefc', command, '/dev/null'], { env });
  return { ...r, wallSeconds: (Date.now() - started) / 1000 };
}

/**
 * Checks that a kept line is `words` and a duration (`Creating machine...
 * 0.6s`) of at least `atLeast` seconds, the time the step is known to take,
 * and under `wallSeconds`, the whole command's: a loaded machine stretches a
 * step, so a fixed upper bound would fail for no fault of the code.
 */
export function assertKeptDuration(line: string | undefined, words: string, atLeast: number, wallSeconds: number): void {
  const escaped = words.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const m = new RegExp(`^${escaped} (\\d+\\.\\d)s$`).exec(line ?? '');
  assert.ok(m, `expected "${words}" kept with its duration, got ${JSON.stringify(line)}`);
  const seconds = Number(m[1]);
  assert.ok(seconds >= atLeast && seconds < wallSeconds, `"${words}" took ${seconds}s: expected at least ${atLeast}s and under the command's ${wallSeconds}s`);
}

/**
 * The lines a terminal would end up showing: carriage returns and
 * column-1 moves go back to the line's start, erase sequences erase, other
 * control sequences (colours, modes) draw nothing.
 */
export function screen(output: string): string {
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
