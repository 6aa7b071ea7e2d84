import type { CommandSpec } from '../command/spec';
import { runMachineAction } from '../command/machine-action';

export const spec: CommandSpec = {
  id: 'provision',
  summary: 'Re-provision existing machines',
  description: 'Runs provisioning again: installs Docker if missing, issues a new server certificate and rewrites the daemon configuration. The SSH host key recorded at create must match unless --reset-host-key is given.',
  args: [],
  variadic: true,
  flags: {
    'reset-host-key': { type: 'boolean', description: 'Accept and record the host key the machine presents now (after a deliberate rebuild)' },
  },
  run: (ctx, { args, flags }) => runMachineAction(ctx, 'provision', args, { resetHostKey: flags['reset-host-key'] === true }),
};
