/**
 * The dispatcher: commands marked `fastPath` (those scripts call in loops)
 * run here without loading @oclif/core. Anything this parser does not accept cleanly (help,
 * unknown flags, bad values, missing arguments) returns undefined and
 * bin/run.js hands the same argv to oclif, so help and parse errors are
 * oclif's on both paths by construction.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GLOBAL_FLAGS } from './global-flags';
import { splitArgv } from './argv';
import { CommandContext, globalOptionsFrom } from './context';
import { writeErr, writeOut, writeOutRaw } from './output';
import { reportError } from './report';
import { resolveFlags, type FlagDefs, type ParsedFlags } from './flags';
import type { CommandSpec } from './spec';
import { loadSpec } from './table';

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
  if (!spec.variadic && !spec.extraWords && args.length > spec.args.length) return undefined;
  if (spec.args.some((a, i) => a.required && args[i] === undefined)) return undefined;
  return { flags, global, args };
}

/**
 * The global flags in argv that also holds flags not known yet (create's
 * driver flags): unknown flags are skipped, not rejected.
 */
export function scanGlobalFlags(argv: string[]): ParsedFlags {
  const dd = argv.indexOf('--');
  const parsed = parseArgs({ args: dd >= 0 ? argv.slice(0, dd) : argv, options: parseOptions(GLOBAL_FLAGS), allowPositionals: true, strict: false });
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const global: ParsedFlags = {};
  for (const [name, def] of Object.entries(GLOBAL_FLAGS)) {
    let v = values[name];
    if (def.type === 'boolean' && def.allowNo && values[`no-${name}`] === true) v = false;
    // An option seen without its value comes back as true under strict: false.
    if (def.type !== 'boolean' && typeof v === 'boolean') v = undefined;
    global[name] = v;
  }
  return global;
}

/** Runs argv on the fast path; resolves to the exit code, or undefined to defer to oclif. */
export async function runFast(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  const { id, rest } = splitArgv(argv);
  if (id.length === 1 && id[0] === '__complete') {
    // Shell completion (completion/complete.ts): not a command of the table, so help never lists it.
    const { runCompletion } = await import('../completion/complete');
    return runCompletion(rest, env, writeOut);
  }
  if (rest.some((a) => a === '--help' || a === '-h')) return undefined;
  const spec = loadSpec(id.join(' '));
  if (!spec?.fastPath) return undefined;
  const parsed = fastParse(spec, rest);
  if (!parsed) return undefined;
  return runSpec(spec, parsed, env);
}

export interface ParsedArgv {
  flags: ParsedFlags;
  global: ParsedFlags;
  args: string[];
  passed?: string[];
}

/** Builds the context a command runs in, from its parsed global flags. */
export function contextFor(spec: CommandSpec, global: ParsedFlags, env: NodeJS.ProcessEnv): CommandContext {
  return new CommandContext({ global: globalOptionsFrom(global, env), env, driverCloseGraceMs: spec.readOnly ? 3000 : undefined });
}

/**
 * Shared by both paths once argv is parsed: runs the command, reports a
 * failure as the reference does, closes its drivers. `prepared` carries a
 * context and flag definitions made earlier (commands with extraFlags).
 */
export async function runSpec(
  spec: CommandSpec,
  parsed: ParsedArgv,
  env: NodeJS.ProcessEnv = process.env,
  prepared?: { ctx: CommandContext; flagDefs: FlagDefs },
): Promise<number> {
  const err = writeErr;
  let ctx: CommandContext | undefined = prepared?.ctx;
  let debug = ctx?.global.debug ?? false;
  try {
    ctx ??= contextFor(spec, parsed.global, env);
    debug = ctx.global.debug;
    const flags = resolveFlags(prepared?.flagDefs ?? spec.flags, parsed.flags, env);
    const code = await spec.run(ctx, { flags, args: parsed.args, passed: parsed.passed ?? [] });
    return code ?? 0;
  } catch (e) {
    // Failing because a signal is closing the drivers under the command (a
    // read whose driver was still starting, say): the signal's handler ends
    // the process with 128 + n once they are closed, as it does for create,
    // and this failure is only its echo.
    if (ctx?.interruptedBy()) await new Promise<never>(() => undefined);
    return reportError(e, err, debug, writeOutRaw);
  } finally {
    if (ctx) await ctx.close();
  }
}
