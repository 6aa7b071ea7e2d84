// What lifecycle commands hand to the lifecycle functions, built from the
// shared command context.
import type { CommandContext } from '../fast/context';
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
