import type { CommandSpec } from '../command/spec';
import { checkNames } from '../command/machine-action';

export const spec: CommandSpec = {
  id: 'export',
  summary: 'Write a machine to a portable archive',
  description:
    'Writes the machine\'s record, keys and the certificates its daemon trusts to a .tar.gz with relative paths, for `machine import` in another store. The CA\'s private key stays behind.',
  examples: ['<%= config.bin %> export dev -o dev.tar.gz'],
  args: [{ name: 'name', description: 'machine name', required: true }],
  flags: {
    output: { type: 'string', char: 'o', description: 'Archive to write', required: true, helpValue: '<file.tar.gz>' },
  },
  async run(ctx, { args, flags }) {
    const [name] = args;
    const output = flags.output as string;
    checkNames([name]);
    const { exportMachine } = await import('../lifecycle/export');
    await exportMachine(ctx.store, name, output);
    ctx.err(`Exported "${name}" to ${output}`);
  },
};
