import type { CommandSpec } from '../../command/spec';

export const spec: CommandSpec = {
  id: 'swarm join',
  summary: 'Join a machine to the swarm of a manager machine',
  examples: ['<%= config.bin %> swarm join --manager m1 w1', '<%= config.bin %> swarm join --manager m1 --role manager m2'],
  args: [{ name: 'name', description: 'machine name', required: true }],
  flags: {
    manager: { type: 'string', description: 'Machine of a manager of the swarm to join', required: true, helpValue: '<machine>' },
    role: { type: 'string', description: 'Role in the swarm', options: ['worker', 'manager'], default: 'worker' },
    'advertise-addr': { type: 'string', description: 'Address other nodes reach this one at (default: the machine\'s IP)', helpValue: '<ip>' },
  },
  async run(ctx, { args, flags }) {
    const name = args[0];
    const managerName = flags.manager as string;
    const { swarmJoin } = await import('../../swarm/commands');
    const { connectionCheck } = await import('../../query/machine-info');
    const role = flags.role === 'manager' ? 'manager' : 'worker';
    await swarmJoin(ctx.store, name, managerName, role, flags['advertise-addr'] as string | undefined, (h) => connectionCheck(ctx, h));
    ctx.out(`"${name}" joined the swarm of "${managerName}" as a ${role}.`);
  },
};
