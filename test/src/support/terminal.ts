// Running the real CLI on a pseudo-terminal (util-linux's `script`) and
// reading back what the terminal ends up showing: shared by the progress
// e2e tests of create and of the docker driver's `image build`.
/* eslint-disable no-control-regex -- this reads terminal control sequences */
import { run, type Result } from './run';

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs FILE ARGS on a new pseudo-terminal; stdout is what it drew there. */
export function runInTerminal(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Result> {
  const command = [file, ...args].map(shellQuote).join(' ');
  return run('script', ['-qefc', command, '/dev/null'], { env });
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
