import { Flags } from '@oclif/core';
import { BaseCommand } from '../command/oclif';

export default class RegenerateCerts extends BaseCommand {
  static override summary = 'Regenerate TLS Certificates for a machine';
  static override description =
    'Issues a new server certificate for the machine\'s current address and installs it. The engine restarts with live-restore, so its containers keep running.';
  static override strict = false;
  static override args = {};
  static override flags = {
    force: Flags.boolean({ char: 'f', description: 'Force rebuild and do not prompt' }),
    'client-certs': Flags.boolean({ description: 'Also regenerate the client certificate' }),
  };

  async run(): Promise<void> {
    const { reported } = await import('../lifecycle/command-env');
    return reported(async () => {
      const ctx = await this.context();
      const { argv, flags } = await this.parse(RegenerateCerts);
      const { actionEnv, checkNames } = await import('../lifecycle/command-env');
      const names = ctx.targetNames(argv as string[]);
      checkNames(names);
      for (const n of names) ctx.loadHost(n);
      if (!flags.force) {
        const { confirm } = await import('../lifecycle/prompt');
        if (!(await confirm('Regenerate TLS machine certs?  Warning: this is irreversible. (y/n): '))) return;
      }
      const { runAction } = await import('../lifecycle/actions');
      await runAction(actionEnv(ctx), 'regenerate-certs', names, { clientCerts: flags['client-certs'] });
    });
  }
}
