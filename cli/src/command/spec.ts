/**
 * One definition per command, in cli/src/commands/<name>.ts, read by both
 * entry paths: the dispatcher (dispatch.ts) parses argv against it without
 * loading @oclif/core, and oclif.ts turns it into an oclif Command class for
 * help, `plugins` and everything the dispatcher leaves to oclif.
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
import type { FlagDefs, ParsedFlags } from './flags';

export type { BooleanFlagDef, FlagDef, FlagDefs, FlagValue, IntegerFlagDef, ParsedFlags, StringFlagDef } from './flags';

export interface ArgDef {
  name: string;
  description: string;
  required?: boolean;
}

export interface CommandInput {
  flags: ParsedFlags;
  /** Positional arguments in order (variadic commands get all of them). */
  args: string[];
  /** The words a `passThrough` command left unparsed (ssh's remote command). */
  passed: string[];
}

export interface CommandSpec {
  /** Space-separated id: "ls", "driver ls". */
  id: string;
  summary: string;
  description?: string;
  /** Usage line for help when the arguments are not a fixed list (ssh). */
  usage?: string;
  examples?: string[];
  aliases?: string[];
  flags: FlagDefs;
  args: ArgDef[];
  /** Accept more positional arguments than `args` lists (machine lists). */
  variadic?: boolean;
  /**
   * Words beyond `args` still reach run(), which refuses or ignores them as
   * the reference does ("Expected one machine name as an argument"); help
   * shows `args` as listed.
   */
  extraWords?: boolean;
  /**
   * Runs without loading @oclif/core when argv parses cleanly: the commands
   * scripts call in loops. Others always go through oclif.
   */
  fastPath?: boolean;
  /** Only reads: drivers still busy with a cancelled call are killed after a short grace at exit. */
  readOnly?: boolean;
  /**
   * Flags that depend on the command line itself (create: the chosen
   * driver's flags), known only once the global flags are parsed.
   */
  extraFlags?(ctx: CommandContext, argv: string[]): Promise<FlagDefs>;
  /** Splits argv into what is parsed as flags and arguments and what is passed on untouched. */
  passThrough?(argv: string[]): { parse: string[]; passed: string[] };
  /** Returns the exit code (default 0). Throw MachineError for failures. */
  run(ctx: CommandContext, input: CommandInput): Promise<number | void>;
}
