/**
 * What the shell completion scripts ask the CLI for the words only it knows:
 * machine names (`ssh <TAB>`, `rm <TAB>`), driver names (`create -d <TAB>`)
 * and the values of flags with a fixed list. oclif's autocomplete plugin
 * completes command names and flags from its cache; the scripts it writes
 * are extended (hooks/completion.ts) to call
 *
 *   machine __complete -- WORD... CURRENT
 *
 * first, with the words after the program name up to the one being
 * completed. The answer is in the exit code:
 *   0  the candidates, one per line (possibly none)
 *   1  not ours: the script falls back to oclif's completion
 *   2  a file name: the script falls back to the shell's file completion
 * Runs on the fast path (no @oclif/core) and never starts a driver.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { discoverDrivers } from '../discovery/discover';
import { GLOBAL_FLAGS, globalFlagArity } from '../command/global-flags';
import type { FlagDefs } from '../command/flags';
import { defaultStoragePath } from '../store/paths';
import { loadSpec } from '../command/table';

/** The hidden command the scripts call. */
export const COMPLETE_COMMAND = '__complete';

export const CompletionExit = { Candidates: 0, Defer: 1, Files: 2 } as const;
export type CompletionExit = (typeof CompletionExit)[keyof typeof CompletionExit];

type ArgKind = 'machine' | 'driver' | 'file' | 'none';

/** Positional arguments by command: the kinds in order, then the kind of any further ones. */
interface ArgShape {
  first: ArgKind[];
  rest: ArgKind;
}

const MACHINES: ArgShape = { first: [], rest: 'machine' };
const ONE_MACHINE: ArgShape = { first: ['machine'], rest: 'none' };

const ARGUMENTS: Record<string, ArgShape> = {
  config: ONE_MACHINE,
  env: ONE_MACHINE,
  export: ONE_MACHINE,
  inspect: ONE_MACHINE,
  status: ONE_MACHINE,
  url: ONE_MACHINE,
  use: ONE_MACHINE,
  version: ONE_MACHINE,
  // The words after the machine are the remote command.
  ssh: { first: ['machine'], rest: 'file' },
  'swarm init': ONE_MACHINE,
  'swarm join': ONE_MACHINE,
  'swarm leave': ONE_MACHINE,
  'swarm ls': ONE_MACHINE,
  ip: MACHINES,
  kill: MACHINES,
  provision: MACHINES,
  'regenerate-certs': MACHINES,
  restart: MACHINES,
  rm: MACHINES,
  start: MACHINES,
  stop: MACHINES,
  upgrade: MACHINES,
  'driver inspect': { first: ['driver'], rest: 'none' },
  'driver test': { first: ['driver'], rest: 'none' },
  create: { first: ['none'], rest: 'none' },
  import: { first: ['file'], rest: 'none' },
  scp: { first: [], rest: 'file' },
  mount: { first: [], rest: 'file' },
};

/** Flags whose value is a machine or a driver, by name. */
const FLAG_VALUES: Record<string, ArgKind> = { driver: 'driver', manager: 'machine', 'swarm-join': 'machine' };

const SHELLS = ['bash', 'zsh', 'fish', 'powershell', 'cmd', 'tcsh', 'emacs'];

export interface CompletionSources {
  machines(storagePath: string): string[];
  drivers(): string[];
}

export interface CompletionAnswer {
  exit: CompletionExit;
  candidates: string[];
}

const defer: CompletionAnswer = { exit: CompletionExit.Defer, candidates: [] };
const files: CompletionAnswer = { exit: CompletionExit.Files, candidates: [] };

/** The flag definition a word names (`--driver`, `-d`), if the word is a flag without its value attached. */
function flagNamed(word: string, defs: FlagDefs): { name: string; takesValue: boolean } | undefined {
  if (!word.startsWith('-') || word === '-' || word === '--' || word.includes('=')) return undefined;
  const long = word.startsWith('--') ? word.slice(2) : undefined;
  for (const [name, def] of Object.entries(defs)) {
    const matches = long !== undefined ? long === name || (def.type === 'boolean' && def.allowNo === true && long === `no-${name}`) : word === `-${def.char ?? ''}` && def.char !== undefined;
    if (matches) return { name, takesValue: def.type !== 'boolean' };
  }
  return undefined;
}

/** The command's spec and where its own words start, or undefined for words that name no core command yet. */
function commandAt(words: string[], start: number): { id: string; next: number } | undefined {
  const one = words[start];
  if (one === undefined) return undefined;
  const two = words[start + 1] !== undefined ? `${one} ${words[start + 1]}` : undefined;
  if (two && loadSpec(two)) return { id: two, next: start + 2 };
  if (loadSpec(one)) return { id: one, next: start + 1 };
  return undefined;
}

export function complete(words: string[], env: NodeJS.ProcessEnv, sources: CompletionSources): CompletionAnswer {
  if (words.length === 0) return defer;
  const current = words[words.length - 1];
  const before = words.slice(0, -1);

  // Global flags may come first (`machine -s DIR ssh <TAB>`).
  const arity = globalFlagArity();
  let storagePath: string | undefined;
  let i = 0;
  while (i < before.length && arity.has(before[i].split('=')[0])) {
    const [flag, attached] = before[i].split(/=(.*)/s);
    if (arity.get(flag) && attached === undefined) {
      if (flag === '-s' || flag === '--storage-path') storagePath = before[i + 1];
      i += 2;
    } else {
      if (flag === '--storage-path') storagePath = attached;
      i += 1;
    }
  }
  if (i >= before.length) {
    // The word being completed is the command, or a global flag's value.
    return i > before.length ? files : defer;
  }
  const command = commandAt(before, i);
  if (!command) return defer;
  const spec = loadSpec(command.id);
  if (!spec) return defer;
  const defs: FlagDefs = { ...GLOBAL_FLAGS, ...spec.flags };

  const given = before.slice(command.next);
  const positionals: string[] = [];
  let valueOf: string | undefined;
  for (let j = 0; j < given.length; j++) {
    const w = given[j];
    const flag = flagNamed(w, defs);
    if (flag) {
      if (flag.takesValue) {
        if (j === given.length - 1) valueOf = flag.name;
        else if (flag.name === 'storage-path') storagePath = given[j + 1];
        j++;
      }
      continue;
    }
    if (w.startsWith('-') && w !== '-') {
      if (w.startsWith('--storage-path=')) storagePath = w.slice('--storage-path='.length);
      // A flag we do not know (create's driver flags): its value, if any, is a file as far as we can tell.
      if (j === given.length - 1 && !w.includes('=')) return files;
      continue;
    }
    positionals.push(w);
  }

  const machines = (): string[] => sources.machines(path.resolve(storagePath || env.MACHINE_STORAGE_PATH || defaultStoragePath(env)));
  const answer = (kind: ArgKind, exclude: string[] = []): CompletionAnswer => {
    let all: string[];
    if (kind === 'file') return files;
    if (kind === 'machine') all = machines().filter((m) => !exclude.includes(m));
    else if (kind === 'driver') all = sources.drivers();
    else all = [];
    return { exit: CompletionExit.Candidates, candidates: all.filter((c) => c.startsWith(current)) };
  };

  if (valueOf !== undefined) {
    const kind = FLAG_VALUES[valueOf];
    if (kind) return answer(kind);
    const def = defs[valueOf];
    const options = def.type === 'string' ? def.options : undefined;
    if (options) return { exit: CompletionExit.Candidates, candidates: options.filter((o) => o.startsWith(current)) };
    if (valueOf === 'shell') return { exit: CompletionExit.Candidates, candidates: SHELLS.filter((s) => s.startsWith(current)) };
    return def.type === 'integer' ? { exit: CompletionExit.Candidates, candidates: [] } : files;
  }
  // Flags are oclif's (its cache knows every command's).
  if (current.startsWith('-')) return defer;
  const shape = ARGUMENTS[command.id] ?? { first: [], rest: 'none' };
  const kind = shape.first[positionals.length] ?? shape.rest;
  // A machine named once is not offered again in a list of machines.
  return answer(kind, shape.rest === 'machine' ? positionals : []);
}

/** Machine names in the store: directories of machines/ that hold a config.json. */
export function storeMachines(storagePath: string): string[] {
  const dir = path.join(storagePath, 'machines');
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => !n.startsWith('.') && fs.existsSync(path.join(dir, n, 'config.json'))).sort();
}

/** Driver names that can be used, in search order, without starting any. */
export function usableDrivers(env: NodeJS.ProcessEnv): string[] {
  return [...new Set(discoverDrivers({ env }).drivers.filter((d) => !d.shadowedBy).map((d) => d.name))].sort();
}

/** `machine __complete -- WORD...`: prints the candidates and returns the exit code. */
export function runCompletion(rest: string[], env: NodeJS.ProcessEnv, out: (line: string) => void): number {
  const dd = rest.indexOf('--');
  const words = dd >= 0 ? rest.slice(dd + 1) : rest;
  let result: CompletionAnswer;
  try {
    result = complete(words, env, { machines: storeMachines, drivers: () => usableDrivers(env) });
  } catch {
    // Completion must never print an error into the user's command line.
    return CompletionExit.Defer;
  }
  for (const c of result.candidates) out(c);
  return result.exit;
}
