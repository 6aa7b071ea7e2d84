import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command';

export default class DriverTest extends BaseCommand {
  static override summary = 'Run the driver conformance kit against a driver';
  static override description =
    'Checks the protocol rules every driver follows (docs/driver-protocol.md, "The conformance kit"): handshake, metadata and schema, health, unknown machines, process hygiene; ' +
    'with --create-flag, cancellation of Create; with --lifecycle-flag, a full create/stop/start/restart/kill/remove run, which makes a real machine.';
  static override examples = [
    '<%= config.bin %> driver test exoscale',
    '<%= config.bin %> driver test ./bin/machine-driver-exoscale --create-flag exoscale-zone=local',
  ];
  static override args = {
    driver: Args.string({ description: 'a driver name, or the path of a driver executable', required: true }),
  };
  static override flags = {
    'create-flag': Flags.string({ description: 'KEY=VALUE create flag for the cancellation check (repeatable); without it the check is left out', multiple: true }),
    'lifecycle-flag': Flags.string({ description: 'KEY=VALUE create flag for a full lifecycle run (repeatable); without it the run is left out', multiple: true }),
    'wait-ms': Flags.integer({ description: 'upper bound of each wait in milliseconds (a hang guard)', min: 1 }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DriverTest);
    const ctx = await this.context();
    const { testDriver } = await import('../../driver-test/runner');
    const failures = await testDriver({
      target: args.driver,
      env: ctx.env,
      createFlags: flags['create-flag'] ?? [],
      lifecycleFlags: flags['lifecycle-flag'] ?? [],
      waitMs: flags['wait-ms'],
    });
    if (failures > 0) {
      process.stderr.write(`${failures} conformance check${failures === 1 ? '' : 's'} failed\n`);
      this.exit(1);
    }
  }
}
