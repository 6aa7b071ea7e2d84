import type { CommandSpec } from '../../command/spec';

export const spec: CommandSpec = {
  id: 'driver test',
  summary: 'Run the driver conformance kit against a driver',
  description:
    'Checks the protocol rules every driver follows (docs/driver-protocol.md, "The conformance kit"): handshake, metadata and schema, health, unknown machines, process hygiene; ' +
    'with --create-flag, cancellation of Create; with --lifecycle-flag, a full create/stop/start/restart/kill/remove run, which makes a real machine.',
  examples: [
    '<%= config.bin %> driver test exoscale',
    '<%= config.bin %> driver test ./bin/machine-driver-exoscale --create-flag exoscale-zone=local',
  ],
  args: [{ name: 'driver', description: 'a driver name, or the path of a driver executable', required: true }],
  flags: {
    'create-flag': { type: 'string', description: 'KEY=VALUE create flag for the cancellation check (repeatable); without it the check is left out', multiple: true },
    'lifecycle-flag': { type: 'string', description: 'KEY=VALUE create flag for a full lifecycle run (repeatable); without it the run is left out', multiple: true },
    'wait-ms': { type: 'integer', description: 'upper bound of each wait in milliseconds (a hang guard)', min: 1 },
  },
  async run(ctx, { args, flags }) {
    const { testDriver } = await import('../../driver-test/runner');
    const failures = await testDriver({
      target: args[0],
      env: ctx.env,
      createFlags: (flags['create-flag'] as string[] | undefined) ?? [],
      lifecycleFlags: (flags['lifecycle-flag'] as string[] | undefined) ?? [],
      waitMs: flags['wait-ms'] as number | undefined,
    });
    if (failures > 0) {
      process.stderr.write(`${failures} conformance check${failures === 1 ? '' : 's'} failed\n`);
      return 1;
    }
  },
};
