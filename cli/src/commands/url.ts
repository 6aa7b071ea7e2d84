import { runningURL } from '../query/machine-info';
import { jsonDocument } from '../format/json';
import type { CommandSpec } from '../command/spec';

export const spec: CommandSpec = {
  id: 'url',
  summary: 'Get the URL of a machine',
  description: 'Prints tcp://IP:PORT, as the driver reports it for a running machine; a machine that is not running is an error.',
  args: [{ name: 'name', description: 'machine name (default: "default")' }],
  readOnly: true,
  fastPath: true,
  flags: {
    json: { type: 'boolean', description: 'Print Name and URL as one JSON document' },
  },
  async run(ctx, { flags, args }) {
    const host = ctx.loadHost(ctx.targetName(args));
    const url = await runningURL(ctx, host);
    ctx.out(flags.json === true ? jsonDocument({ Name: host.Name, URL: url }) : url);
  },
};
