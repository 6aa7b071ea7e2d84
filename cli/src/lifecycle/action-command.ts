// The commands that run one lifecycle action on each named machine (start,
// stop, restart, kill, upgrade) differ only in the action and their help, so
// each command file is one call to this factory.
import { BaseCommand } from '../command/oclif';
import type { ActionName } from './actions';

export function actionCommand(action: ActionName, help: { summary: string; description: string }): typeof BaseCommand {
  return class extends BaseCommand {
    static override summary = help.summary;
    static override description = help.description;
    static override strict = false;
    static override args = {};
    static override flags = {};

    async run(): Promise<void> {
      const { reported, actionEnv, checkNames } = await import('./command-env');
      return reported(async () => {
        const ctx = await this.context();
        const { argv } = await this.parse(this.constructor as typeof BaseCommand);
        const { runAction } = await import('./actions');
        const names = ctx.targetNames(argv as string[]);
        checkNames(names);
        await runAction(actionEnv(ctx), action, names);
      });
    }
  };
}
