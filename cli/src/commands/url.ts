import { resolveURL } from '../query/machine-info';
import type { CommandSpec } from '../command/spec';

export const spec: CommandSpec = {
  id: 'url',
  summary: 'Get the URL of a machine',
  description: 'Prints tcp://IP:PORT. The last URL the driver reported is used while its port accepts connections; otherwise the driver is asked.',
  args: [{ name: 'name', description: 'machine name (default: "default")' }],
  readOnly: true,
  fastPath: true,
  flags: {},
  async run(ctx, { args }) {
    const host = ctx.loadHost(ctx.targetName(args));
    const { url } = await resolveURL(ctx, host, { cache: true, probeMs: 1000 });
    ctx.out(url);
  },
};
