// env's output for each shell: how to set and unset a variable, the comment
// marker, and how to wrap the command for the "Run this command" hint. Every
// value and every word of the hint is quoted for the shell that evaluates
// it, since a store path or a machine name may hold spaces, quotes or `$`.
import * as path from 'node:path';
import { MachineError } from '../errors';
import { shellQuote } from '../format/quote';

export type ShellName = 'bash' | 'fish' | 'powershell' | 'cmd' | 'tcsh' | 'emacs';

export interface ShellSyntax {
  set(name: string, value: string): string;
  unset(name: string): string;
  comment: string;
  /** The hint's command, from the words as typed. */
  usage(words: string[]): string;
}

/** sh/bash "…": only these stay special inside double quotes. */
function bashDouble(v: string): string {
  return `"${v.replace(/["\\$`]/g, (c) => '\\' + c)}"`;
}

/** fish "…": backslash escapes `"`, `\` and `$`. */
function fishDouble(v: string): string {
  return `"${v.replace(/["\\$]/g, (c) => '\\' + c)}"`;
}

/** fish '…' for a hint word: only `'` and `\` are special. */
function fishWord(v: string): string {
  return /^[A-Za-z0-9_\-+=/.,:@%]+$/.test(v) ? v : `'${v.replace(/['\\]/g, (c) => '\\' + c)}'`;
}

/**
 * csh/tcsh: a backslash does not protect `$` or a backquote inside "…", so
 * those (and `"` itself) are written in '…' pieces glued to the "…" ones.
 */
function tcshDouble(v: string): string {
  return `"${v.replace(/["$`]/g, (c) => `"'${c}'"`)}"`;
}

/** PowerShell "…": the backquote is the escape character. */
function powershellDouble(v: string): string {
  return `"${v.replace(/[`"$]/g, (c) => '`' + c)}"`;
}

/** PowerShell '…' for a hint word: only `'` is special, written twice. */
function powershellWord(v: string): string {
  return /^[A-Za-z0-9_\-+=/.,:@]+$/.test(v) ? v : `'${v.replace(/'/g, "''")}'`;
}

/** cmd.exe: the caret escapes its operators, and `%` against variable expansion. */
function cmdEscape(v: string): string {
  return v.replace(/[\^&|<>()%!"]/g, (c) => '^' + c);
}

/** Emacs Lisp string literal. */
function elispString(v: string): string {
  return `"${v.replace(/["\\]/g, (c) => '\\' + c)}"`;
}

const SHELLS: Record<ShellName, ShellSyntax> = {
  bash: {
    set: (n, v) => `export ${n}=${bashDouble(v)}`,
    unset: (n) => `unset ${n}`,
    comment: '#',
    usage: (w) => `eval $(${w.map(shellQuote).join(' ')})`,
  },
  fish: {
    set: (n, v) => `set -gx ${n} ${fishDouble(v)};`,
    unset: (n) => `set -e ${n};`,
    comment: '#',
    usage: (w) => `eval (${w.map(fishWord).join(' ')})`,
  },
  powershell: {
    set: (n, v) => `$Env:${n} = ${powershellDouble(v)}`,
    unset: (n) => `Remove-Item Env:\\\\${n}`,
    comment: '#',
    usage: (w) => `& ${w.map(powershellWord).join(' ')} | Invoke-Expression`,
  },
  cmd: {
    set: (n, v) => `SET ${n}=${cmdEscape(v)}`,
    unset: (n) => `SET ${n}=`,
    comment: 'REM',
    usage: (w) => `\t@FOR /f "tokens=*" %i IN ('${w.map((x) => (/[\s"]/.test(x) ? `"${x.replace(/"/g, '""')}"` : cmdEscape(x))).join(' ')}') DO @%i`,
  },
  tcsh: {
    set: (n, v) => `setenv ${n} ${tcshDouble(v)};`,
    unset: (n) => `unsetenv ${n};`,
    comment: ':',
    usage: (w) => `eval \`${w.map(shellQuote).join(' ')}\``,
  },
  emacs: {
    set: (n, v) => `(setenv ${elispString(n)} ${elispString(v)})`,
    unset: (n) => `(setenv ${elispString(n)} nil)`,
    comment: ';;',
    // shell-command hands the string to /bin/sh.
    usage: (w) => `(with-temp-buffer (shell-command ${elispString(w.map(shellQuote).join(' '))} (current-buffer)) (eval-buffer))`,
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
    // The reference leaves a blank line after the hint.
    out(SHELL_HINT + '\n');
    throw new MachineError('usage', 'Error: Unknown shell');
  }
  return path.basename(sh);
}
