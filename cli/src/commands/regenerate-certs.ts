import type { CommandSpec } from '../command/spec';
import { actionEnv, runMachineAction } from '../command/machine-action';

export const spec: CommandSpec = {
  id: 'regenerate-certs',
  summary: 'Regenerate TLS Certificates for a machine',
  description:
    'Issues a new server certificate for the machine\'s current address and installs it. The engine restarts with live-restore, so its containers keep running. ' +
    'With --client-certs the CA and the client certificate are renewed too, and every machine the CA signed gets a new server certificate, one after the other, ' +
    'so all keep working; it refuses, changing nothing, while one of them is not running.',
  examples: ['<%= config.bin %> regenerate-certs -f dev', '<%= config.bin %> regenerate-certs -f --client-certs'],
  args: [],
  variadic: true,
  flags: {
    force: { type: 'boolean', char: 'f', description: 'Force rebuild and do not prompt' },
    'client-certs': { type: 'boolean', description: 'Also regenerate client certificates and CA, then every machine\'s server certificate' },
  },
  async run(ctx, { args, flags }) {
    const renewCA = flags['client-certs'] === true;
    // --client-certs covers every machine: names, when given, are only checked.
    const names = renewCA ? args : ctx.targetNames(args);
    // The reference's order: the question, then its one line, then the machines are loaded.
    if (flags.force !== true) {
      const { confirm } = await import('../command/prompt');
      if (!(await confirm('Regenerate TLS machine certs?  Warning: this is irreversible. (y/n): ', '-f'))) return;
    }
    ctx.out('Regenerating TLS certificates');
    ctx.loadHosts(names);
    if (renewCA) {
      const { renewAuthority } = await import('../lifecycle/renew-ca');
      const result = await renewAuthority(actionEnv(ctx));
      if (result.untouched.length) ctx.out(`Left as they were (another CA, or an engine the driver serves itself): ${result.untouched.join(', ')}`);
      return;
    }
    await runMachineAction(ctx, 'regenerate-certs', names);
  },
};
