import { MachineError } from '../errors';
import { machineCall, provenRunning } from '../query/machine-info';
import { jsonDocument } from '../format/json';
import type { CommandSpec } from '../command/spec';

export const spec: CommandSpec = {
  id: 'status',
  summary: 'Get the status of a machine',
  description:
    'Prints Running when the machine\'s Docker daemon, at its last known URL, presents this machine\'s own certificate; otherwise the driver\'s state: Running, Stopped, Paused, Saved, Stopping, Starting, Error, or an empty line when unknown.',
  args: [{ name: 'name', description: 'machine name (default: "default")' }],
  // More than one name is refused by targetName, with the reference's text.
  extraWords: true,
  readOnly: true,
  fastPath: true,
  flags: {
    json: { type: 'boolean', description: 'Print Name and State as one JSON document' },
  },
  async run(ctx, { flags, args }) {
    const host = ctx.loadHost(ctx.targetName(args));
    const driverState = async (): Promise<string> => {
      try {
        const d = await ctx.registry.get(host.DriverName);
        return await d.getState(machineCall(ctx.store, host), { timeoutMs: 60_000 });
      } catch (e) {
        throw MachineError.from(e, 'driver', `error getting state for host ${host.Name}`);
      }
    };
    // A daemon that proves it is this machine settles it without the driver
    // (which has been starting meanwhile, and is then stopped unused).
    const state = (await provenRunning(ctx, host)) ? 'Running' : await driverState();
    ctx.out(flags.json === true ? jsonDocument({ Name: host.Name, State: state }) : state);
  },
};
