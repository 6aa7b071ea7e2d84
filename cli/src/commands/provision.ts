import { Flags } from '@oclif/core';
import { BaseCommand } from '../command/oclif';

export default class Provision extends BaseCommand {
  static override summary = 'Re-provision existing machines';
  static override description = 'Runs provisioning again: installs Docker if missing, issues a new server certificate and rewrites the daemon configuration. The SSH host key recorded at create must match unless --reset-host-key is given.';
  static override strict = false;
  static override args = {};
  static override flags = {
    'reset-host-key': Flags.boolean({ description: 'Accept and record the host key the machine presents now (after a deliberate rebuild)' }),
  };

  async run(): Promise<void> {
    const { reported } = await import('../lifecycle/command-env');
    return reported(async () => {
      const ctx = await this.context();
      const { argv, flags } = await this.parse(Provision);
      const { actionEnv, checkNames } = await import('../lifecycle/command-env');
      const { runAction } = await import('../lifecycle/actions');
      const names = ctx.targetNames(argv as string[]);
      checkNames(names);
      await runAction(actionEnv(ctx), 'provision', names, { resetHostKey: flags['reset-host-key'] });
    });
  }
}
