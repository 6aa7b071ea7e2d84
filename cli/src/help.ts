// Help that knows create's driver flags: `machine create -d NAME --help`
// asks driver NAME for its schema and lists its flags with the shared ones,
// as the reference did. Every other command's help is oclif's own.
import { Help, type Command } from '@oclif/core';

type CachedFlags = Command.Cached['flags'];

export default class MachineHelp extends Help {
  override async showCommandHelp(command: Command.Loadable): Promise<void> {
    if (command.id === 'create') {
      const extra = await driverHelpFlags(process.argv.slice(2));
      if (extra) return super.showCommandHelp({ ...command, flags: { ...command.flags, ...extra } });
    }
    return super.showCommandHelp(command);
  }
}

async function driverHelpFlags(argv: string[]): Promise<CachedFlags | undefined> {
  const { scanDriverFlag } = await import('./command/create-flags');
  const name = scanDriverFlag(argv) ?? process.env.MACHINE_DRIVER;
  if (!name) return undefined;
  const { DriverRegistry } = await import('./discovery/registry');
  const registry = new DriverRegistry({ env: process.env });
  try {
    const client = await registry.get(name);
    const schema = await client.schema();
    const flags: CachedFlags = {};
    for (const f of schema) {
      const base = { name: f.name, description: f.description, env: f.envVar || undefined, helpGroup: `${name.toUpperCase()} DRIVER`, required: f.required === true };
      flags[f.name] =
        f.type === 'bool'
          ? { ...base, type: 'boolean', allowNo: true }
          : {
              ...base,
              type: 'option',
              multiple: f.type === 'string-list',
              default: f.default === undefined || f.default === '' ? undefined : (f.default as string | number | string[]),
              helpValue: f.type === 'int' ? '<int>' : undefined,
            };
    }
    return flags;
  } catch (err) {
    process.stderr.write(`Cannot list the flags of driver "${name}": ${(err as Error).message}\n`);
    return undefined;
  } finally {
    await registry.closeAll();
  }
}
