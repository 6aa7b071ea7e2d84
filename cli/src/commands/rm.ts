import type { CommandSpec } from '../command/spec';
import { MachineError, notExistError } from '../errors';
import type { RemoveOutcome } from '../lifecycle/remove';

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
    const force = flags.force === true;
    const json = flags.json === true;
    // The reference prints both lines whatever the flags; scripts that parse rm's output expect them.
    if (!json) {
      ctx.out(`About to remove ${names.join(', ')}`);
      ctx.out('WARNING: This action will delete both local reference and remote instance.');
    }
    if (!force && flags.y !== true) {
      const { confirm } = await import('../command/prompt');
      if (!(await confirm('Are you sure? (y/n): ', '-y (or -f)'))) return;
    }
    const { removeMachine } = await import('../lifecycle/remove');
    const out = json ? () => undefined : ctx.out;
    // As in the reference, a name that names no machine does not stop the
    // others from going: it is reported, and with --force it is only reported.
    const results: Array<RemoveOutcome & { missing?: true }> = await Promise.all(
      names.map((n) =>
        ctx.store.exists(n) || ctx.store.isStrayEntry(n)
          ? removeMachine({ store: ctx.store, registry: ctx.registry, out, err: ctx.err }, n, force)
          : Promise.resolve({ name: n, removed: false, missing: true as const, error: notExistError(n).message }),
      ),
    );
    if (json) process.stdout.write(JSON.stringify(results.map(({ name, removed, error }) => ({ name, removed, ...(error === undefined ? {} : { error }) })), null, 2) + '\n');
    const failed = results.filter((r) => !r.removed);
    const message = (r: { name: string; error?: string }) => `Error removing host "${r.name}": ${r.error}`;
    const onlyReported = (r: (typeof failed)[number]) => force && r.missing === true;
    for (const r of failed.filter(onlyReported)) {
      ctx.err(message(r));
      ctx.err(`Can't remove "${r.name}"`);
    }
    const fatal = failed.filter((r) => !onlyReported(r));
    if (fatal.length) throw new MachineError('driver', fatal.map(message).join('\n'));
  },
};
