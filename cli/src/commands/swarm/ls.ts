import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command';

export default class SwarmLs extends BaseCommand {
  static override summary = 'List the nodes of a machine\'s swarm';
  static override args = { name: Args.string({ description: 'a machine in the swarm', required: true }) };
  static override flags = {
    json: Flags.boolean({ description: 'Print the nodes as JSON' }),
  };

  async run(): Promise<void> {
    const { reported } = await import('../../lifecycle/command-env');
    return reported(async () => {
      const ctx = await this.context();
      const { args, flags } = await this.parse(SwarmLs);
      const { swarmNodes } = await import('../../swarm/commands');
      const rows = await swarmNodes(ctx.store, args.name);
      if (flags.json) {
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
    });
  }
}
