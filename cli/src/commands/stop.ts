import type { CommandSpec } from '../command/spec';
import { runMachineAction } from '../command/machine-action';

export const spec: CommandSpec = {
  id: 'stop',
  summary: 'Stop a machine',
  description: 'Stops the named machines (default: "default").',
  args: [],
  variadic: true,
  flags: {},
  run: (ctx, { args }) => runMachineAction(ctx, 'stop', args),
};
