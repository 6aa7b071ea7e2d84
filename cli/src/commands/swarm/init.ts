import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command';

export default class SwarmInit extends BaseCommand {
  static override summary = 'Make a machine the first manager of a new swarm';
  static override args = { name: Args.string({ description: 'machine name', required: true }) };
  static override flags = {
    'advertise-addr': Flags.string({ description: 'Address other nodes reach this one at (default: the machine\'s IP)', helpValue: '<ip>' }),
  };

  async run(): Promise<void> {
    const { reported } = await import('../../lifecycle/command-env');
    return reported(async () => {
      const ctx = await this.context();
      const { args, flags } = await this.parse(SwarmInit);
      const { swarmInit } = await import('../../swarm/commands');
      const rec = await swarmInit(ctx.store, args.name, flags['advertise-addr']);
      ctx.out(`"${args.name}" is the first manager of swarm ${rec.ClusterID}.`);
    });
  }
}
