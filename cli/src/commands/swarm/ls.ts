import type { CommandSpec } from '../../command/spec';

export const spec: CommandSpec = {
  id: 'swarm ls',
  summary: 'List the nodes of a machine\'s swarm',
  args: [{ name: 'name', description: 'a machine in the swarm', required: true }],
  readOnly: true,
  flags: {
    json: { type: 'boolean', description: 'Print the nodes as JSON' },
  },
  async run(ctx, { args, flags }) {
    const { swarmNodes } = await import('../../swarm/commands');
    const rows = await swarmNodes(ctx.store, args[0]);
    if (flags.json === true) {
      process.stdout.write(JSON.stringify(rows.map((r) => ({ Machine: r.machine, ...r.node })), null, 2) + '\n');
      return;
    }
    const table = [['MACHINE', 'NODE ID', 'HOSTNAME', 'ROLE', 'STATUS', 'AVAILABILITY', 'MANAGER STATUS']];
    for (const { machine, node } of rows) {
      const managerStatus = node.role !== 'manager' ? '' : node.leader ? 'Leader' : node.reachability ?? '';
      table.push([machine || '-', node.id, node.hostname, node.role, node.state, node.availability, managerStatus]);
    }
    const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
    ctx.out(table.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('   ').trimEnd()).join('\n'));
  },
};
