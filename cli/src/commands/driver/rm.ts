import type { CommandSpec } from '../../command/spec';

export const spec: CommandSpec = {
  id: 'driver rm',
  summary: 'Remove a driver added with driver install',
  args: [{ name: 'name', description: 'driver name', required: true }],
  flags: {},
  async run(ctx, { args }) {
    const { removeInstalledDriver } = await import('../../discovery/installed');
    ctx.out(`Removed driver "${args[0]}" (${removeInstalledDriver(args[0], ctx.env)})`);
  },
};
