import type { CommandSpec } from '../../command/spec';

export const spec: CommandSpec = {
  id: 'swarm leave',
  summary: 'Take a machine out of its swarm',
  description: 'A manager is demoted first; the node then leaves and is removed from the swarm\'s node list. Refuses when the swarm would lose quorum.',
  args: [{ name: 'name', description: 'machine name', required: true }],
  flags: {
    force: { type: 'boolean', char: 'f', description: 'Leave even when the swarm loses quorum (warns)' },
  },
  async run(ctx, { args, flags }) {
    const { swarmLeave } = await import('../../swarm/commands');
    await swarmLeave(ctx.store, args[0], flags.force === true, { out: ctx.out, err: ctx.err });
  },
};
