import { BaseCommand } from '../base-command';

export default class Kill extends BaseCommand {
  static override summary = 'Kill (abruptly force stop) a machine';
  static override description = 'Forcefully stops the named machines (default: "default").';
  static override strict = false;
  static override args = {};
  static override flags = {};

  async run(): Promise<void> {
    const { reported } = await import('../lifecycle/command-env');
    return reported(async () => {
      const ctx = await this.context();
      const { argv } = await this.parse(Kill);
      const { actionEnv, checkNames } = await import('../lifecycle/command-env');
      const { runAction } = await import('../lifecycle/actions');
      const names = ctx.targetNames(argv as string[]);
      checkNames(names);
      await runAction(actionEnv(ctx), 'kill', names);
    });
  }
}
