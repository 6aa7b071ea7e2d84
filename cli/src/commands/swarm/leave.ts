import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command';

export default class SwarmLeave extends BaseCommand {
  static override summary = 'Take a machine out of its swarm';
  static override description = 'A manager is demoted first; the node then leaves and is removed from the swarm\'s node list. Refuses when the swarm would lose quorum.';
  static override args = { name: Args.string({ description: 'machine name', required: true }) };
  static override flags = {
    force: Flags.boolean({ char: 'f', description: 'Leave even when the swarm loses quorum (warns)' }),
  };

  async run(): Promise<void> {
    const { reported } = await import('../../lifecycle/command-env');
    return reported(async () => {
      const ctx = await this.context();
      const { args, flags } = await this.parse(SwarmLeave);
      const { swarmLeave } = await import('../../swarm/commands');
      await swarmLeave(ctx.store, args.name, flags.force, { out: ctx.out, err: ctx.err });
    });
  }
}
