// What lifecycle commands hand to the lifecycle functions, built from the
// shared command context.
import type { CommandContext } from './context';
import { MachineError } from '../errors';
import { machineNameProblem } from '../names';
import type { ActionEnv, ActionName, ActionOptions } from '../lifecycle/actions';

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
 * Runs one lifecycle action on the named machines (default: "default"): on
 * none of them unless every one loads, as the reference does.
 */
export async function runMachineAction(ctx: CommandContext, action: ActionName, args: string[], options: ActionOptions = {}): Promise<void> {
  const names = ctx.targetNames(args);
  ctx.loadHosts(names);
  const { runAction } = await import('../lifecycle/actions');
  await runAction(actionEnv(ctx), action, names, options);
}
