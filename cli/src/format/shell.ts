// env's output for each shell: how to set and unset a variable, the comment
// marker, and how to wrap the command for the "Run this command" hint.
import * as path from 'node:path';
import { MachineError } from '../errors';

export type ShellName = 'bash' | 'fish' | 'powershell' | 'cmd' | 'tcsh' | 'emacs';

export interface ShellSyntax {
  set(name: string, value: string): string;
  unset(name: string): string;
  comment: string;
  usage(command: string): string;
}

// Inside "...", bash-family shells still expand these; the reference did not escape them.
function dq(v: string): string {
  return v.replace(/["\\$`]/g, (c) => '\\' + c);
}

const SHELLS: Record<ShellName, ShellSyntax> = {
  bash: {
    set: (n, v) => `export ${n}="${dq(v)}"`,
    unset: (n) => `unset ${n}`,
    comment: '#',
    usage: (c) => `eval $(${c})`,
  },
  fish: {
    set: (n, v) => `set -gx ${n} "${v}";`,
    unset: (n) => `set -e ${n};`,
    comment: '#',
    usage: (c) => `eval (${c})`,
  },
  powershell: {
    set: (n, v) => `$Env:${n} = "${v}"`,
    unset: (n) => `Remove-Item Env:\\\\${n}`,
    comment: '#',
    usage: (c) => `& ${c} | Invoke-Expression`,
  },
  cmd: {
    set: (n, v) => `SET ${n}=${v}`,
    unset: (n) => `SET ${n}=`,
    comment: 'REM',
    usage: (c) => `\t@FOR /f "tokens=*" %i IN ('${c}') DO @%i`,
  },
  tcsh: {
    set: (n, v) => `setenv ${n} "${v}";`,
    unset: (n) => `unsetenv ${n};`,
    comment: ':',
    usage: (c) => `eval \`${c}\``,
  },
  emacs: {
    set: (n, v) => `(setenv "${n}" "${v}")`,
    unset: (n) => `(setenv "${n}" nil)`,
    comment: ';;',
    usage: (c) => `(with-temp-buffer (shell-command "${c}" (current-buffer)) (eval-buffer))`,
  },
};

/** A shell name as given (--shell or $SHELL's basename) → its syntax; unknown names get sh syntax, like the reference. */
export function shellSyntax(name: string): ShellSyntax {
  const n = name.toLowerCase();
  if (n in SHELLS) return SHELLS[n as ShellName];
  return SHELLS.bash;
}

export const SHELL_HINT = "The default lines below are for a sh/bash shell, you can specify the shell you're using, with the --shell flag.";

/** --shell, else $SHELL's basename; without either the reference prints a hint and fails. */
export function detectShell(flag: string | undefined, env: NodeJS.ProcessEnv, out: (s: string) => void): string {
  if (flag) return flag;
  const sh = env.SHELL;
  if (!sh) {
    out(SHELL_HINT);
    throw new MachineError('usage', 'Error: Unknown shell');
  }
  return path.basename(sh);
}

/** The command line as typed, argv[0] quoted when it has a space or a backslash. */
export function commandLine(words: string[]): string {
  const [first, ...rest] = words;
  const q = /[ \\]/.test(first) ? `"${first}"` : first;
  return [q, ...rest].join(' ');
}
