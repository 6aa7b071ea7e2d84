import { BaseCommand } from '../base-command';

export default class Stop extends BaseCommand {
  static override summary = 'Stop a machine';
  static override description = 'Stops the named machines (default: "default").';
  static override strict = false;
  static override args = {};
  static override flags = {};

  async run(): Promise<void> {
    const { reported } = await import('../lifecycle/command-env');
    return reported(async () => {
      const ctx = await this.context();
      const { argv } = await this.parse(Stop);
      const { actionEnv, checkNames } = await import('../lifecycle/command-env');
      const { runAction } = await import('../lifecycle/actions');
      const names = ctx.targetNames(argv as string[]);
      checkNames(names);
      await runAction(actionEnv(ctx), 'stop', names);
    });
  }
}
