/**
 * The oclif side of the one command model: commandFromSpec turns a command's
 * spec (commands/<name>.ts) into an oclif Command class, so oclif's help,
 * `plugins` and parse errors see the same flags, arguments and run() as the
 * dispatcher. oclif-commands.ts lists the classes for oclif.
 */
import { Args, Command, Flags, type Interfaces } from '@oclif/core';
import type { CommandContext } from './context';
import { contextFor, runSpec, scanGlobalFlags } from './dispatch';
import { describeFlag, type FlagDefs, type ParsedFlags } from './flags';
import { GLOBAL_FLAGS } from './global-flags';
import { reportError } from './report';
import type { CommandSpec } from './spec';

type OclifFlags = Interfaces.FlagInput;

/**
 * oclif flag definitions for help and parsing; env and defaults are applied
 * by resolveFlags, not oclif, so both paths agree. A required flag whose
 * environment variable is set is not required on the command line.
 */
export function toOclifFlags(defs: FlagDefs, env: NodeJS.ProcessEnv = process.env, helpGroup?: string): OclifFlags {
  const out: OclifFlags = {};
  for (const [name, def] of Object.entries(defs)) {
    const common = {
      description: describeFlag(def),
      char: def.char as Interfaces.AlphabetLowercase | Interfaces.AlphabetUppercase | undefined,
      hidden: def.hidden,
      helpGroup: def.helpGroup ?? helpGroup,
      required: def.required === true && !(def.env && env[def.env]),
    };
    if (def.type === 'boolean') out[name] = Flags.boolean({ ...common, allowNo: def.allowNo === true });
    else if (def.type === 'integer') out[name] = Flags.integer({ ...common, min: def.min, helpValue: def.helpValue });
    else if (def.multiple) {
      out[name] = Flags.string({ ...common, multiple: true, multipleNonGreedy: def.oneValueEach === true, options: def.options, helpValue: def.helpValue });
    } else out[name] = Flags.string({ ...common, options: def.options, helpValue: def.helpValue });
  }
  return out;
}

export const globalOclifFlags = toOclifFlags(GLOBAL_FLAGS, process.env, 'GLOBAL');

function pick(flags: Record<string, unknown>, names: string[]): ParsedFlags {
  const out: ParsedFlags = {};
  for (const n of names) out[n] = flags[n] as ParsedFlags[string];
  return out;
}

/** An oclif Command class whose parsing and run come from `spec`. */
export function commandFromSpec(spec: CommandSpec): typeof Command {
  const args: Interfaces.ArgInput = {};
  for (const a of spec.args) args[a.name] = Args.string({ description: a.description, required: a.required === true });
  const flags = toOclifFlags(spec.flags);
  class SpecCommand extends Command {
    static override summary = spec.summary;
    static override description = spec.description;
    // Not strict, oclif would show the last argument as a list.
    static override usage = spec.usage ?? (spec.extraWords ? [spec.id, ...spec.args.map((a) => `[${a.name.toUpperCase()}]`), '[FLAGS]'].join(' ') : undefined);
    static override examples = spec.examples ?? [];
    static override aliases = spec.aliases ?? [];
    static override flags = flags;
    static override baseFlags = globalOclifFlags;
    static override args = args;
    static override strict = !spec.variadic && !spec.extraWords;

    async run(): Promise<void> {
      const split = spec.passThrough ? spec.passThrough(this.argv) : { parse: this.argv, passed: [] };
      let prepared: { ctx: CommandContext; flagDefs: FlagDefs } | undefined;
      if (spec.extraFlags) {
        // The extra flags depend on the global ones (storage path, debug): parse those first.
        const ctx = contextFor(spec, scanGlobalFlags(split.parse), process.env);
        try {
          prepared = { ctx, flagDefs: { ...spec.flags, ...(await spec.extraFlags(ctx, split.parse)) } };
        } catch (err) {
          await ctx.close();
          this.exit(reportError(err, (s) => process.stderr.write(s + '\n'), ctx.global.debug, (s) => process.stdout.write(s)));
        }
      }
      const flagDefs = prepared?.flagDefs ?? spec.flags;
      let parsed;
      try {
        parsed = await this.parse({ flags: prepared ? toOclifFlags(flagDefs) : flags, baseFlags: globalOclifFlags, args, strict: !spec.variadic && !spec.extraWords }, split.parse);
      } catch (err) {
        await prepared?.ctx.close();
        throw err;
      }
      const all = parsed.flags as Record<string, unknown>;
      const positional = spec.variadic || spec.extraWords ? (parsed.argv as string[]) : spec.args.map((a) => (parsed.args as Record<string, string | undefined>)[a.name]).filter((v): v is string => v !== undefined);
      const code = await runSpec(
        spec,
        { flags: pick(all, Object.keys(flagDefs)), global: pick(all, Object.keys(GLOBAL_FLAGS)), args: positional, passed: split.passed },
        process.env,
        prepared,
      );
      if (code !== 0) this.exit(code);
    }
  }
  Object.defineProperty(SpecCommand, 'name', { value: spec.id.split(' ').map((w) => w[0].toUpperCase() + w.slice(1)).join('') });
  return SpecCommand;
}
