import type { CommandSpec } from '../command/spec';
import { runMachineAction } from '../command/machine-action';

export const spec: CommandSpec = {
  id: 'start',
  summary: 'Start a machine',
  description: 'Starts the named machines (default: "default"). When a machine comes back with an address its certificate does not cover, its certificates are regenerated.',
  args: [],
  variadic: true,
  flags: {},
  run: (ctx, { args }) => runMachineAction(ctx, 'start', args),
};
