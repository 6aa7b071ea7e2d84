// The amazonec2 driver's own costs against the local EC2 endpoint (instances
// with addresses only, so no host start-up is measured): driver start, the
// first EC2 call of a process (SDK load, credentials, signing), an `ls` row
// over many machines in one driver process, and create-to-running with the
// endpoint's short default state delays.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchDriver, type DriverClient, type JsonObject, type MachineRef } from '@machine/driver-sdk';
import { startFakeEc2, type FakeEc2 } from '../fakes/ec2';
import { DRIVER_BIN, cleanAwsEnv, endpointFlags, tempDir } from '../fakes/ec2/harness';
import type { Report } from './run';

const RUNS = 7;
const MACHINES = 20;

export async function bench(report: Report): Promise<void> {
  const home = tempDir('bench-ec2-home-');
  const store = tempDir('bench-ec2-store-');
  const env = cleanAwsEnv(home);
  const fake: FakeEc2 = await startFakeEc2({ timings: { pendingMs: 300, stoppingMs: 100, shuttingDownMs: 100 } });
  const ref = (name: string): MachineRef => {
    const machineDir = path.join(store, 'machines', name);
    fs.mkdirSync(machineDir, { recursive: true });
    return { name, storePath: store, machineDir };
  };
  try {
    const bundled = fs.existsSync(path.join(path.dirname(DRIVER_BIN), '..', 'dist', 'main.js'));
    const extra = { build: bundled ? 'dist bundle' : 'lib' };

    const launches: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const d = await launchDriver({ name: 'amazonec2', path: DRIVER_BIN, env });
      await d.schema();
      launches.push(performance.now() - t);
      await d.close();
    }
    report('driver start + GetSchema', launches, extra);

    // Machines to look at.
    const driver: DriverClient = await launchDriver({ name: 'amazonec2', path: DRIVER_BIN, env });
    const machines: { machine: MachineRef; state: JsonObject; stateVersion: number }[] = [];
    const creates: number[] = [];
    for (let i = 0; i < MACHINES; i++) {
      const machine = ref(`b${i}`);
      const configured = await driver.configure(machine, endpointFlags(fake));
      const call = { machine, state: configured.state, stateVersion: configured.stateVersion };
      const t = performance.now();
      const out = await driver.create(call);
      creates.push(performance.now() - t);
      machines.push({ ...call, state: out.state! });
    }
    report('create to running (driver only, 300 ms pending)', creates, { ...extra, overheadMedianMs: Math.round([...creates].sort((a, b) => a - b)[creates.length >> 1] - 300) });

    const firstCall: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const d = await launchDriver({ name: 'amazonec2', path: DRIVER_BIN, env });
      const t = performance.now();
      await d.getState(machines[0]);
      firstCall.push(performance.now() - t);
      await d.close();
    }
    report('first GetState of a fresh driver (SDK load, credentials, one request)', firstCall, extra);

    const lsRuns: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const before = fake.requests.length;
      const t = performance.now();
      await Promise.all(machines.map((m) => driver.describe(m)));
      lsRuns.push(performance.now() - t);
      if (fake.requests.length - before > MACHINES) throw new Error(`Describe made ${fake.requests.length - before} requests for ${MACHINES} machines`);
    }
    report(`Describe of ${MACHINES} machines in one driver process`, lsRuns, extra);

    for (const m of machines) await driver.remove(m);
    await driver.close();
  } finally {
    await fake.close();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(store, { recursive: true, force: true });
  }
}
