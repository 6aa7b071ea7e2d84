import { BaseCommand } from '../base-command';

export default class Start extends BaseCommand {
  static override summary = 'Start a machine';
  static override description = 'Starts the named machines (default: "default"). When a machine comes back with an address its certificate does not cover, its certificates are regenerated.';
  static override strict = false;
  static override args = {};
  static override flags = {};

  async run(): Promise<void> {
    const { reported } = await import('../lifecycle/command-env');
    return reported(async () => {
      const ctx = await this.context();
      const { argv } = await this.parse(Start);
      const { actionEnv, checkNames } = await import('../lifecycle/command-env');
      const { runAction } = await import('../lifecycle/actions');
      const names = ctx.targetNames(argv as string[]);
      checkNames(names);
      await runAction(actionEnv(ctx), 'start', names);
    });
  }
}
