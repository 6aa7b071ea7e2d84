import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class Import extends BaseCommand {
  static override summary = 'Add a machine from an archive made by `machine export`';
  static override description = 'Refuses to replace a machine of the same name; keys are restored private (0600) and paths rewritten into this store.';
  static override examples = ['<%= config.bin %> import dev.tar.gz'];
  static override args = { archive: Args.string({ description: 'archive written by machine export', required: true }) };

  async run(): Promise<void> {
    const { reported } = await import('../lifecycle/command-env');
    return reported(async () => {
      const ctx = await this.context();
      const { args } = await this.parse(Import);
      const { importMachine } = await import('../lifecycle/export');
      const name = await importMachine(ctx.store, args.archive);
      ctx.out(name);
    });
  }
}
