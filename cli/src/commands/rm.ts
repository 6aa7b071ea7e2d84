import type { CommandSpec } from '../command/spec';
import { MachineError } from '../errors';
import { checkNames } from '../command/machine-action';

export const spec: CommandSpec = {
  id: 'rm',
  summary: 'Remove a machine',
  description: 'Removes the machines and whatever their drivers made for them.',
  args: [],
  variadic: true,
  flags: {
    force: { type: 'boolean', char: 'f', description: 'Remove local configuration even if machine cannot be removed, also implies an automatic yes (`-y`)' },
    y: { type: 'boolean', char: 'y', description: 'Assumes automatic yes to proceed with remove, without prompting further user confirmation' },
    json: { type: 'boolean', description: 'Print one JSON result per machine' },
  },
  async run(ctx, { args: names, flags }) {
    if (names.length === 0) throw new MachineError('usage', 'Error: Expected to get one or more machine names as arguments');
    const stray = new Set(names.filter((n) => ctx.store.isStrayEntry(n)));
    checkNames(names.filter((n) => !stray.has(n)));
    for (const n of names) {
      if (!stray.has(n) && !ctx.store.exists(n)) {
        throw new MachineError('not-found', `Docker machine "${n}" does not exist. Use "machine ls" to list machines. Use "machine create" to add a new one.`);
      }
    }
    const force = flags.force === true;
    const json = flags.json === true;
    // The reference prints both lines whatever the flags; scripts that parse rm's output expect them.
    if (!json) {
      ctx.out(`About to remove ${names.join(', ')}`);
      ctx.out('WARNING: This action will delete both local reference and remote instance.');
    }
    if (!force && flags.y !== true) {
      const { confirm } = await import('../command/prompt');
      if (!(await confirm('Are you sure? (y/n): '))) return;
    }
    const { removeMachine } = await import('../lifecycle/remove');
    const out = json ? () => undefined : ctx.out;
    const results = await Promise.all(names.map((n) => removeMachine({ store: ctx.store, registry: ctx.registry, out, err: ctx.err }, n, force)));
    if (json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    const failed = results.filter((r) => !r.removed);
    if (failed.length) {
      throw new MachineError('driver', failed.map((r) => `Error removing host "${r.name}": ${r.error}`).join('\n'));
    }
  },
};
