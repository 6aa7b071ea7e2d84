import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class Export extends BaseCommand {
  static override summary = 'Write a machine to a portable archive';
  static override description =
    'Writes the machine\'s record, keys and the certificates its daemon trusts to a .tar.gz with relative paths, for `machine import` in another store. The CA\'s private key stays behind.';
  static override examples = ['<%= config.bin %> export dev -o dev.tar.gz'];
  static override args = { name: Args.string({ description: 'machine name', required: true }) };
  static override flags = {
    output: Flags.string({ char: 'o', description: 'Archive to write', required: true, helpValue: '<file.tar.gz>' }),
  };

  async run(): Promise<void> {
    const { reported, checkNames } = await import('../lifecycle/command-env');
    return reported(async () => {
      const ctx = await this.context();
      const { args, flags } = await this.parse(Export);
      checkNames([args.name]);
      const { exportMachine } = await import('../lifecycle/export');
      await exportMachine(ctx.store, args.name, flags.output);
      ctx.err(`Exported "${args.name}" to ${flags.output}`);
    });
  }
}
