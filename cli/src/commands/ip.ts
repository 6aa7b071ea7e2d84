import { MachineError, errorMessage } from '../errors';
import { machineCall, provenIP } from '../query/machine-info';
import { jsonDocument } from '../format/json';
import type { CommandSpec } from '../command/spec';

export const spec: CommandSpec = {
  id: 'ip',
  summary: 'Get the IP address of one or more machines',
  description:
    'Prints the IP the driver reports; for a machine whose last known URL has that IP as its host, the remembered IP once the Docker daemon there presents this machine\'s own certificate.',
  args: [{ name: 'names', description: 'machine names (default: "default")' }],
  variadic: true,
  readOnly: true,
  fastPath: true,
  flags: {
    json: { type: 'boolean', description: 'Print Name and IP of each machine as one JSON array; machines that failed are left out and reported on stderr' },
  },
  async run(ctx, { flags, args }) {
    const names = ctx.targetNames(args);
    const hosts = ctx.loadHosts(names);
    const results = await Promise.allSettled(
      hosts.map(async (h) => {
        // A machine whose daemon proves it is at the remembered IP needs no driver.
        const proven = await provenIP(ctx, h);
        if (proven !== undefined) return proven;
        const d = await ctx.registry.get(h.DriverName);
        return d.getIP(machineCall(ctx.store, h), { timeoutMs: 60_000 });
      }),
    );
    const errors: string[] = [];
    const found: Array<{ Name: string; IP: string }> = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') found.push({ Name: hosts[i].Name, IP: r.value });
      else errors.push(`Error getting IP address: ${hosts[i].Name}: ${errorMessage(r.reason)}`);
    });
    if (flags.json === true) ctx.out(jsonDocument(found));
    else for (const f of found) ctx.out(f.IP);
    if (errors.length) throw new MachineError('driver', errors.join('\n'));
  },
};
