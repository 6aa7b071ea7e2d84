import { BaseCommand } from '../base-command';

export default class Restart extends BaseCommand {
  static override summary = 'Restart a machine';
  static override description = 'Restarts the named machines (default: "default"); a stopped machine is started. A machine whose address changed gets new certificates.';
  static override strict = false;
  static override args = {};
  static override flags = {};

  async run(): Promise<void> {
    const { reported } = await import('../lifecycle/command-env');
    return reported(async () => {
      const ctx = await this.context();
      const { argv } = await this.parse(Restart);
      const { actionEnv, checkNames } = await import('../lifecycle/command-env');
      const { runAction } = await import('../lifecycle/actions');
      const names = ctx.targetNames(argv as string[]);
      checkNames(names);
      await runAction(actionEnv(ctx), 'restart', names);
    });
  }
}
