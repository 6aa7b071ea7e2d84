/**
 * The oclif side. Two ways to make a command:
 *
 *  - from a CommandSpec (command/spec.ts), as the read-only commands do:
 *      export default commandFromSpec(spec);
 *    the same spec drives bin/run.js's fast path;
 *
 *  - by extending BaseCommand, for commands that build flags dynamically
 *    (create's driver flags) or never need the fast path:
 *      export default class Stop extends BaseCommand {
 *        static override flags = { ... };
 *        async run() { const ctx = await this.context(); ... }
 *      }
 *    BaseCommand adds the global flags (--storage-path, --debug, --native-ssh,
 *    --tls-*), builds the CommandContext, closes drivers when the command
 *    ends, and prints MachineErrors as the fast path does (message, exit code).
 */
import { Args, Command, Flags, type Interfaces } from '@oclif/core';
import { CommandContext, globalOptionsFrom } from './context';
import { GLOBAL_FLAGS } from './global-flags';
import { reportError } from './report';
import { runSpec } from './dispatch';
import { describeFlag, type CommandSpec, type FlagDefs, type ParsedFlags } from './spec';

type OclifFlags = Interfaces.FlagInput;

/** oclif flag definitions for help and parsing; env and defaults are applied by resolveFlags, not oclif. */
export function toOclifFlags(defs: FlagDefs, helpGroup?: string): OclifFlags {
  const out: OclifFlags = {};
  for (const [name, def] of Object.entries(defs)) {
    const common = {
      description: describeFlag(def),
      char: def.char as Interfaces.AlphabetLowercase | Interfaces.AlphabetUppercase | undefined,
      hidden: def.hidden,
      helpGroup,
    };
    if (def.type === 'boolean') out[name] = Flags.boolean({ ...common, allowNo: def.allowNo === true });
    else if (def.type === 'integer') out[name] = Flags.integer({ ...common, min: def.min, helpValue: def.helpValue });
    else if (def.multiple) out[name] = Flags.string({ ...common, multiple: true, options: def.options, helpValue: def.helpValue });
    else out[name] = Flags.string({ ...common, options: def.options, helpValue: def.helpValue });
  }
  return out;
}

export const globalOclifFlags = toOclifFlags(GLOBAL_FLAGS, 'GLOBAL');

function pick(flags: Record<string, unknown>, names: string[]): ParsedFlags {
  const out: ParsedFlags = {};
  for (const n of names) out[n] = flags[n] as ParsedFlags[string];
  return out;
}

export abstract class BaseCommand extends Command {
  static override baseFlags = globalOclifFlags;
  private ctx: CommandContext | undefined;

  /** Parses global flags (once) and returns the shared context. */
  protected async context(): Promise<CommandContext> {
    if (!this.ctx) {
      const { flags } = await this.parse({ flags: (this.constructor as typeof BaseCommand).flags ?? {}, baseFlags: globalOclifFlags, strict: false, args: {} });
      this.ctx = new CommandContext({ global: globalOptionsFrom(pick(flags, Object.keys(GLOBAL_FLAGS)), process.env) });
    }
    return this.ctx;
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    if (this.ctx) await this.ctx.close();
    return super.finally(err);
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    // Parse errors and help stay oclif's; our own errors print like the fast path.
    if ((err as { name?: string }).name === 'MachineError') {
      const code = reportError(err, (s) => process.stderr.write(s + '\n'), this.ctx?.global.debug ?? false);
      if (this.ctx) await this.ctx.close();
      this.exit(code);
    }
    return super.catch(err);
  }
}

/** An oclif Command class whose parsing and run come from `spec`. */
export function commandFromSpec(spec: CommandSpec): typeof Command {
  const args: Interfaces.ArgInput = {};
  for (const a of spec.args) args[a.name] = Args.string({ description: a.description, required: a.required === true });
  const flags = toOclifFlags(spec.flags);
  class SpecCommand extends Command {
    static override summary = spec.summary;
    static override description = spec.description;
    static override examples = spec.examples ?? [];
    static override aliases = spec.aliases ?? [];
    static override flags = flags;
    static override baseFlags = globalOclifFlags;
    static override args = args;
    static override strict = !spec.variadic;

    async run(): Promise<void> {
      const parsed = await this.parse(SpecCommand);
      const all = parsed.flags as Record<string, unknown>;
      const positional = spec.variadic ? (parsed.argv as string[]) : spec.args.map((a) => (parsed.args as Record<string, string | undefined>)[a.name]).filter((v): v is string => v !== undefined);
      const code = await runSpec(spec, { flags: pick(all, Object.keys(spec.flags)), global: pick(all, Object.keys(GLOBAL_FLAGS)), args: positional }, process.env);
      if (code !== 0) this.exit(code);
    }
  }
  Object.defineProperty(SpecCommand, 'name', { value: spec.id.split(' ').map((w) => w[0].toUpperCase() + w.slice(1)).join('') });
  return SpecCommand;
}
