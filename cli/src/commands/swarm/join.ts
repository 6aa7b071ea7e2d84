import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command';

export default class SwarmJoin extends BaseCommand {
  static override summary = 'Join a machine to the swarm of a manager machine';
  static override examples = ['<%= config.bin %> swarm join --manager m1 w1', '<%= config.bin %> swarm join --manager m1 --role manager m2'];
  static override args = { name: Args.string({ description: 'machine name', required: true }) };
  static override flags = {
    manager: Flags.string({ description: 'Machine of a manager of the swarm to join', required: true, helpValue: '<machine>' }),
    role: Flags.string({ description: 'Role in the swarm', options: ['worker', 'manager'], default: 'worker' }),
    'advertise-addr': Flags.string({ description: 'Address other nodes reach this one at (default: the machine\'s IP)', helpValue: '<ip>' }),
  };

  async run(): Promise<void> {
    const { reported } = await import('../../lifecycle/command-env');
    return reported(async () => {
      const ctx = await this.context();
      const { args, flags } = await this.parse(SwarmJoin);
      const { swarmJoin } = await import('../../swarm/commands');
      const role = flags.role === 'manager' ? 'manager' : 'worker';
      await swarmJoin(ctx.store, args.name, flags.manager, role, flags['advertise-addr']);
      ctx.out(`"${args.name}" joined the swarm of "${flags.manager}" as a ${role}.`);
    });
  }
}
