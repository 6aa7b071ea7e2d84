import type { CommandSpec } from '../command/spec';
import { runMachineAction } from '../command/machine-action';

export const spec: CommandSpec = {
  id: 'kill',
  summary: 'Kill (abruptly force stop) a machine',
  description: 'Forcefully stops the named machines (default: "default").',
  args: [],
  variadic: true,
  flags: {},
  run: (ctx, { args }) => runMachineAction(ctx, 'kill', args),
};
