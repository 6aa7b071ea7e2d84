import { runningURL } from '../query/machine-info';
import type { CommandSpec } from '../command/spec';

export const spec: CommandSpec = {
  id: 'url',
  summary: 'Get the URL of a machine',
  description: 'Prints tcp://IP:PORT, as the driver reports it for a running machine; a machine that is not running is an error.',
  args: [{ name: 'name', description: 'machine name (default: "default")' }],
  readOnly: true,
  fastPath: true,
  flags: {},
  async run(ctx, { args }) {
    const host = ctx.loadHost(ctx.targetName(args));
    ctx.out(await runningURL(ctx, host));
  },
};
