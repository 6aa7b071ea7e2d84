import type { CommandSpec } from '../command/spec';
import { checkNames, runMachineAction } from '../command/machine-action';

export const spec: CommandSpec = {
  id: 'regenerate-certs',
  summary: 'Regenerate TLS Certificates for a machine',
  description:
    'Issues a new server certificate for the machine\'s current address and installs it. The engine restarts with live-restore, so its containers keep running.',
  args: [],
  variadic: true,
  flags: {
    force: { type: 'boolean', char: 'f', description: 'Force rebuild and do not prompt' },
    'client-certs': { type: 'boolean', description: 'Also regenerate the client certificate' },
  },
  async run(ctx, { args, flags }) {
    const names = ctx.targetNames(args);
    checkNames(names);
    for (const n of names) ctx.loadHost(n);
    if (flags.force !== true) {
      const { confirm } = await import('../command/prompt');
      if (!(await confirm('Regenerate TLS machine certs?  Warning: this is irreversible. (y/n): '))) return;
    }
    await runMachineAction(ctx, 'regenerate-certs', names, { clientCerts: flags['client-certs'] === true });
  },
};
