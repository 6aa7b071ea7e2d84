/**
 * One definition per command, used by both entry paths: bin/run.js parses
 * argv against it directly (no @oclif/core loaded), and command/oclif.ts turns
 * it into an oclif Command class for help, completion and everything else.
 *
 *   export const spec: CommandSpec = {
 *     id: 'url', summary: 'Get the URL of a machine',
 *     args: [{ name: 'name', description: 'machine name' }],
 *     flags: { json: { type: 'boolean', description: 'print JSON' } },
 *     async run(ctx, { flags, args }) { ... },
 *   };
 *
 * Flag values reach run() with env vars and defaults applied (resolveFlags),
 * identically on both paths.
 */
import type { CommandContext } from './context';

interface FlagBase {
  description: string;
  char?: string;
  /** Environment variable consulted when the flag is absent. */
  env?: string;
  hidden?: boolean;
}

export interface BooleanFlagDef extends FlagBase {
  type: 'boolean';
  default?: boolean;
  /** Accept --no-NAME (and --NAME=false, which bin/run.js rewrites to it). */
  allowNo?: boolean;
}

export interface StringFlagDef extends FlagBase {
  type: 'string';
  default?: string;
  options?: string[];
  multiple?: boolean;
  helpValue?: string;
}

export interface IntegerFlagDef extends FlagBase {
  type: 'integer';
  default?: number;
  min?: number;
  helpValue?: string;
}

export type FlagDef = BooleanFlagDef | StringFlagDef | IntegerFlagDef;
export type FlagDefs = Record<string, FlagDef>;
export type FlagValue = string | boolean | number | string[] | undefined;
export type ParsedFlags = Record<string, FlagValue>;

export interface ArgDef {
  name: string;
  description: string;
  required?: boolean;
}

export interface CommandInput {
  flags: ParsedFlags;
  /** Positional arguments in order (variadic commands get all of them). */
  args: string[];
}

export interface CommandSpec {
  /** Space-separated id: "ls", "driver ls". */
  id: string;
  summary: string;
  description?: string;
  examples?: string[];
  aliases?: string[];
  flags: FlagDefs;
  args: ArgDef[];
  /** Accept more positional arguments than `args` lists (machine lists). */
  variadic?: boolean;
  /** Only reads: drivers still busy with a cancelled call are killed after a short grace at exit. */
  readOnly?: boolean;
  /** Returns the exit code (default 0). Throw MachineError for failures. */
  run(ctx: CommandContext, input: CommandInput): Promise<number | void>;
}

function parseBoolEnv(name: string, v: string): boolean {
  const s = v.trim().toLowerCase();
  if (['1', 't', 'true', 'yes', 'y', 'on'].includes(s)) return true;
  if (['0', 'f', 'false', 'no', 'n', 'off', ''].includes(s)) return false;
  throw new Error(`Error parsing boolean value from ${name}: "${v}" is not a boolean (use true or false)`);
}

/** Applies env vars and defaults to what the parser found; shared by both paths. */
export function resolveFlags(defs: FlagDefs, parsed: ParsedFlags, env: NodeJS.ProcessEnv): ParsedFlags {
  const out: ParsedFlags = {};
  for (const [name, def] of Object.entries(defs)) {
    let v = parsed[name];
    if (v === undefined && def.env && env[def.env] !== undefined && env[def.env] !== '') {
      const raw = env[def.env] as string;
      if (def.type === 'boolean') v = parseBoolEnv(def.env, raw);
      else if (def.type === 'integer') {
        const n = Number(raw);
        if (!Number.isInteger(n)) throw new Error(`${def.env}="${raw}" is not an integer`);
        v = n;
      } else v = def.multiple ? raw.split(',').map((s) => s.trim()).filter(Boolean) : raw;
    }
    if (v === undefined) v = def.default;
    if (v === undefined && def.type === 'string' && def.multiple) v = [];
    out[name] = v;
  }
  return out;
}

/** "[default: x]" / "[env: X]" suffixes, as help shows them. */
export function describeFlag(def: FlagDef): string {
  let d = def.description;
  if (def.default !== undefined && def.default !== false && def.default !== '') d += ` [default: ${String(def.default)}]`;
  if (def.env) d += ` [env: ${def.env}]`;
  return d;
}
