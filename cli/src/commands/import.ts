import type { CommandSpec } from '../command/spec';

export const spec: CommandSpec = {
  id: 'import',
  summary: 'Add a machine from an archive made by `machine export`',
  description: 'Refuses to replace a machine of the same name; keys are restored private (0600) and paths rewritten into this store.',
  examples: ['<%= config.bin %> import dev.tar.gz'],
  args: [{ name: 'archive', description: 'archive written by machine export', required: true }],
  flags: {},
  async run(ctx, { args }) {
    const { importMachine } = await import('../lifecycle/export');
    ctx.out(await importMachine(ctx.store, args[0]));
  },
};
