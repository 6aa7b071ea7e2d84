import type { CommandSpec } from '../../command/spec';

export const spec: CommandSpec = {
  id: 'driver install',
  summary: 'Install a standalone driver executable',
  description:
    'Copies a driver executable (such as a single-file build from `npm run package`) into the drivers directory as machine-driver-NAME, ' +
    'NAME being the name the driver reports, and records its SHA-256 beside it. Before each launch the file is checked against that digest; ' +
    'a driver that no longer matches is refused.',
  examples: ['<%= config.bin %> driver install ./machine-driver-exoscale-linux-x64'],
  args: [{ name: 'file', description: 'the driver executable', required: true }],
  flags: {
    force: { type: 'boolean', description: 'Replace a driver installed under the same name' },
  },
  async run(ctx, { args, flags }) {
    const { installDriver } = await import('../../discovery/installed');
    const installed = await installDriver(args[0], ctx.env, { force: flags.force === true });
    ctx.out(`Installed driver "${installed.name}" at ${installed.path} (sha256 ${installed.sha256})`);
  },
};
