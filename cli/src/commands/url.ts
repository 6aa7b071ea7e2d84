import { currentURL } from '../query/machine-info';
import { jsonDocument } from '../format/json';
import type { CommandSpec } from '../command/spec';

export const spec: CommandSpec = {
  id: 'url',
  summary: 'Get the URL of a machine',
  description:
    'Prints tcp://IP:PORT of a running machine: the last known URL when the Docker daemon there presents this machine\'s own certificate, otherwise the URL the driver reports; a machine that is not running is an error.',
  args: [{ name: 'name', description: 'machine name (default: "default")' }],
  // More than one name is refused by targetName, with the reference's text.
  extraWords: true,
  readOnly: true,
  fastPath: true,
  flags: {
    json: { type: 'boolean', description: 'Print Name and URL as one JSON document' },
  },
  async run(ctx, { flags, args }) {
    const host = ctx.loadHost(ctx.targetName(args));
    const url = await currentURL(ctx, host);
    ctx.out(flags.json === true ? jsonDocument({ Name: host.Name, URL: url }) : url);
  },
};
