import type { CommandSpec } from '../command/spec';
import { runMachineAction } from '../command/machine-action';

export const spec: CommandSpec = {
  id: 'upgrade',
  summary: 'Upgrade a machine to the latest version of Docker',
  description: 'Upgrades the Docker engine of the named machines with their package manager, then restarts it.',
  args: [],
  variadic: true,
  flags: {},
  run: (ctx, { args }) => runMachineAction(ctx, 'upgrade', args),
};
