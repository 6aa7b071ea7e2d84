import { Flags } from '@oclif/core';
import { BaseCommand } from '../command/oclif';
import { MachineError } from '../errors';

export default class Rm extends BaseCommand {
  static override summary = 'Remove a machine';
  static override description = 'Removes the machines and whatever their drivers made for them.';
  static override strict = false;
  static override args = {};
  static override flags = {
    force: Flags.boolean({ char: 'f', description: 'Remove local configuration even if machine cannot be removed, also implies an automatic yes (`-y`)' }),
    y: Flags.boolean({ char: 'y', description: 'Assumes automatic yes to proceed with remove, without prompting further user confirmation' }),
    json: Flags.boolean({ description: 'Print one JSON result per machine' }),
  };

  async run(): Promise<void> {
    const { reported } = await import('../lifecycle/command-env');
    return reported(async () => {
      const ctx = await this.context();
      const { argv, flags } = await this.parse(Rm);
      const names = argv as string[];
      if (names.length === 0) throw new MachineError('usage', 'Error: Expected to get one or more machine names as arguments');
      const { checkNames } = await import('../lifecycle/command-env');
      checkNames(names);
      for (const n of names) {
        if (!ctx.store.exists(n)) {
          throw new MachineError('not-found', `Docker machine "${n}" does not exist. Use "machine ls" to list machines. Use "machine create" to add a new one.`);
        }
      }
      if (!flags.force && !flags.y) {
        ctx.out(`About to remove ${names.join(', ')}`);
        ctx.out('WARNING: This action will delete both local reference and remote instance.');
        const { confirm } = await import('../lifecycle/prompt');
        if (!(await confirm('Are you sure? (y/n): '))) return;
      }
      const { removeMachine } = await import('../lifecycle/remove');
      const out = flags.json ? () => undefined : ctx.out;
      const results = await Promise.all(names.map((n) => removeMachine({ store: ctx.store, registry: ctx.registry, out, err: ctx.err }, n, flags.force)));
      if (flags.json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
      const failed = results.filter((r) => !r.removed);
      if (failed.length) {
        throw new MachineError('driver', failed.map((r) => `Error removing host "${r.name}": ${r.error}`).join('\n'));
      }
    });
  }
}
