/**
 * Flag definitions as every command declares them, and how a parsed value is
 * completed from the environment and defaults (resolveFlags). Both entry
 * paths parse against these definitions and then call resolveFlags, so a
 * command sees the same values whichever path ran it.
 */

interface FlagBase {
  description: string;
  char?: string;
  /** Environment variable consulted when the flag is absent. */
  env?: string;
  hidden?: boolean;
  /** Help section; the global flags use GLOBAL, a driver's flags "<NAME> DRIVER". */
  helpGroup?: string;
  /** Must be given on the command line (or through `env`). */
  required?: boolean;
}

export interface BooleanFlagDef extends FlagBase {
  type: 'boolean';
  default?: boolean;
  /** Accept --no-NAME (and --NAME=false, which bin/run.js rewrites to it). */
  allowNo?: boolean;
}

export interface StringFlagDef extends FlagBase {
  type: 'string';
  default?: string | string[];
  options?: string[];
  multiple?: boolean;
  /** With `multiple`: one value per occurrence (`--opt a --opt b`), so positional arguments may follow. */
  oneValueEach?: boolean;
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
  if (def.default !== undefined && def.default !== false && def.default !== '' && !(Array.isArray(def.default) && def.default.length === 0)) {
    d += ` [default: ${String(def.default)}]`;
  }
  if (def.env) d += ` [env: ${def.env}]`;
  return d;
}
