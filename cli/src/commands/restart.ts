import type { CommandSpec } from '../command/spec';
import { runMachineAction } from '../command/machine-action';

export const spec: CommandSpec = {
  id: 'restart',
  summary: 'Restart a machine',
  description: 'Restarts the named machines (default: "default"); a stopped machine is started. A machine whose address changed gets new certificates.',
  args: [],
  variadic: true,
  flags: {},
  run: (ctx, { args }) => runMachineAction(ctx, 'restart', args),
};
