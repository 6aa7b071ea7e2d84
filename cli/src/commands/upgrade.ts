import { BaseCommand } from '../base-command';

export default class Upgrade extends BaseCommand {
  static override summary = 'Upgrade a machine to the latest version of Docker';
  static override description = 'Upgrades the Docker engine of the named machines with their package manager, then restarts it.';
  static override strict = false;
  static override args = {};
  static override flags = {};

  async run(): Promise<void> {
    const { reported } = await import('../lifecycle/command-env');
    return reported(async () => {
      const ctx = await this.context();
      const { argv } = await this.parse(Upgrade);
      const { actionEnv, checkNames } = await import('../lifecycle/command-env');
      const { runAction } = await import('../lifecycle/actions');
      const names = ctx.targetNames(argv as string[]);
      checkNames(names);
      await runAction(actionEnv(ctx), 'upgrade', names);
    });
  }
}
