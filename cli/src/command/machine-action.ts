// What lifecycle commands hand to the lifecycle functions, built from the
// shared command context.
import type { CommandContext } from '../command/context';
import { MachineError } from '../errors';
import { machineNameProblem } from '../names';
import type { ActionEnv } from './actions';

export function actionEnv(ctx: CommandContext, signal?: AbortSignal): ActionEnv {
  return { store: ctx.store, registry: ctx.registry, out: ctx.out, err: ctx.err, signal };
}

/** Rejects invalid names with the rule they break, before anything else runs. */
export function checkNames(names: string[]): void {
  for (const n of names) {
    const problem = machineNameProblem(n);
    if (problem) throw new MachineError('invalid-name', `Invalid machine name "${n}": ${problem}.`);
  }
}

/**
 * Runs a command body so that every failure reaches the user as a
 * MachineError: its message on stderr and exit code 1 (3 for pre-create),
 * instead of oclif's generic error block. oclif's own exits pass through.
 */
export async function reported<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof MachineError) throw err;
    if ((err as { oclif?: { exit?: number } }).oclif?.exit !== undefined) throw err;
    if ((err as { name?: string }).name === 'MachineError') throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new MachineError('driver', message.startsWith('Error') ? message : `Error: ${message}`, { cause: err });
  }
}
