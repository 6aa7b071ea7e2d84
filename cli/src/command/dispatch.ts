/**
 * The fast path: the commands scripts call in loops run here without
 * loading @oclif/core. Anything this parser does not accept cleanly (help,
 * unknown flags, bad values, missing arguments) returns undefined and
 * bin/run.js hands the same argv to oclif, so help and parse errors are
 * oclif's on both paths by construction.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GLOBAL_FLAGS } from './global-flags';
import { splitArgv } from './argv';
import { CommandContext, globalOptionsFrom } from './context';
import { reportError } from './report';
import { resolveFlags, type CommandSpec, type FlagDefs, type ParsedFlags } from './spec';

/**
 * Command id → its spec. Static requires inside functions: only the command
 * asked for is loaded, and a bundler can still follow them.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
export const FAST_COMMANDS: Record<string, () => CommandSpec> = {
  active: () => (require('../commands/active') as SpecModule).spec,
  config: () => (require('../commands/config') as SpecModule).spec,
  env: () => (require('../commands/env') as SpecModule).spec,
  inspect: () => (require('../commands/inspect') as SpecModule).spec,
  ip: () => (require('../commands/ip') as SpecModule).spec,
  ls: () => (require('../commands/ls') as SpecModule).spec,
  status: () => (require('../commands/status') as SpecModule).spec,
  url: () => (require('../commands/url') as SpecModule).spec,
  version: () => (require('../commands/version') as SpecModule).spec,
  'driver ls': () => (require('../commands/driver/ls') as SpecModule).spec,
  'driver inspect': () => (require('../commands/driver/inspect') as SpecModule).spec,
};
/* eslint-enable @typescript-eslint/no-require-imports */

interface SpecModule {
  spec: CommandSpec;
}

export function loadSpec(id: string): CommandSpec | undefined {
  return Object.prototype.hasOwnProperty.call(FAST_COMMANDS, id) ? FAST_COMMANDS[id]() : undefined;
}

type Options = NonNullable<ParseArgsConfig['options']>;

function parseOptions(defs: FlagDefs): Options {
  const o: Options = {};
  for (const [name, def] of Object.entries(defs)) {
    o[name] = { type: def.type === 'boolean' ? 'boolean' : 'string', multiple: def.type === 'string' && def.multiple === true };
    if (def.char) o[name].short = def.char;
    if (def.type === 'boolean' && def.allowNo) o[`no-${name}`] = { type: 'boolean' };
  }
  return o;
}

/** Parses argv against a spec; undefined when oclif should take over. */
export function fastParse(spec: CommandSpec, rest: string[]): { flags: ParsedFlags; global: ParsedFlags; args: string[] } | undefined {
  const defs: FlagDefs = { ...GLOBAL_FLAGS, ...spec.flags };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options: parseOptions(defs), allowPositionals: true, strict: true, tokens: false });
  } catch {
    return undefined;
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const flags: ParsedFlags = {};
  const global: ParsedFlags = {};
  for (const [name, def] of Object.entries(defs)) {
    let v: string | boolean | number | string[] | undefined = values[name];
    if (def.type === 'boolean' && def.allowNo && values[`no-${name}`]) v = false;
    if (def.type === 'integer' && typeof v === 'string') {
      if (!/^-?\d+$/.test(v)) return undefined;
      v = Number(v);
      if (def.min !== undefined && v < def.min) return undefined;
    }
    if (def.type === 'string' && def.options && v !== undefined) {
      const vs = Array.isArray(v) ? v : [v as string];
      if (vs.some((x) => !def.options?.includes(x))) return undefined;
    }
    if (name in GLOBAL_FLAGS) global[name] = v;
    else flags[name] = v;
  }
  const args = parsed.positionals;
  if (!spec.variadic && args.length > spec.args.length) return undefined;
  if (spec.args.some((a, i) => a.required && args[i] === undefined)) return undefined;
  return { flags, global, args };
}

/** Runs argv on the fast path; resolves to the exit code, or undefined to defer to oclif. */
export async function runFast(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  const { id, rest } = splitArgv(argv);
  if (rest.some((a) => a === '--help' || a === '-h')) return undefined;
  const spec = loadSpec(id.join(' '));
  if (!spec) return undefined;
  const parsed = fastParse(spec, rest);
  if (!parsed) return undefined;
  return runSpec(spec, parsed, env);
}

/** Shared by both paths once argv is parsed. */
export async function runSpec(
  spec: CommandSpec,
  parsed: { flags: ParsedFlags; global: ParsedFlags; args: string[] },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const err = (s: string): void => {
    process.stderr.write(s + '\n');
  };
  let ctx: CommandContext | undefined;
  let debug = false;
  try {
    const global = globalOptionsFrom(parsed.global, env);
    debug = global.debug;
    ctx = new CommandContext({ global, env, driverCloseGraceMs: spec.readOnly ? 3000 : undefined });
    const flags = resolveFlags(spec.flags, parsed.flags, env);
    const code = await spec.run(ctx, { flags, args: parsed.args });
    return code ?? 0;
  } catch (e) {
    return reportError(e, err, debug);
  } finally {
    if (ctx) await ctx.close();
  }
}
