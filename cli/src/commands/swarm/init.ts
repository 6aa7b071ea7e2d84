import type { CommandSpec } from '../../command/spec';

export const spec: CommandSpec = {
  id: 'swarm init',
  summary: 'Make a machine the first manager of a new swarm',
  args: [{ name: 'name', description: 'machine name', required: true }],
  flags: {
    'advertise-addr': { type: 'string', description: 'Address other nodes reach this one at (default: the machine\'s IP)', helpValue: '<ip>' },
  },
  async run(ctx, { args, flags }) {
    const name = args[0];
    const { swarmInit } = await import('../../swarm/commands');
    const { connectionCheck } = await import('../../query/machine-info');
    const rec = await swarmInit(ctx.store, name, flags['advertise-addr'] as string | undefined, (h) => connectionCheck(ctx, h));
    ctx.out(`"${name}" is the first manager of swarm ${rec.ClusterID}.`);
  },
};
