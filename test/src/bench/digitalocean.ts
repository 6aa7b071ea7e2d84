// The digitalocean driver against the local DigitalOcean API: driver start,
// create until the droplet is active with an address (first with
// address-only droplets, so only the driver and the API are measured, then
// with real test hosts behind the droplets), how much of a create is the
// wait for the host, and an `ls` of many machines in one driver process.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchDriver, type DriverClient, type JsonObject, type MachineRef } from '@machine/driver-sdk';
import { startFakeDigitalOcean, type FakeDigitalOcean } from '../fakes/digitalocean';
import { DRIVER_BIN, cleanDoEnv, endpointFlags, tempDir } from '../fakes/digitalocean/harness';
import { TestHostProvider, cleanupTestHosts } from '../hosts';
import { median, type Report } from './run';

const RUNS = 7;
const REAL_HOST_RUNS = 3;
const MACHINES = 20;
const NEW_MS = 300;

interface Created {
  call: { machine: MachineRef; state: JsonObject; stateVersion: number };
  totalMs: number;
  /** From the droplet's create request until it was active: the wait for the host. */
  hostWaitMs: number;
}

async function createOne(driver: DriverClient, fake: FakeDigitalOcean, store: string, name: string): Promise<Created> {
  const machineDir = path.join(store, 'machines', name);
  fs.mkdirSync(machineDir, { recursive: true });
  const machine = { name, storePath: store, machineDir };
  const configured = await driver.configure(machine, endpointFlags(fake));
  const call = { machine, state: configured.state, stateVersion: configured.stateVersion };
  const t = performance.now();
  const out = await driver.create(call);
  const totalMs = performance.now() - t;
  const droplet = fake.droplets.get(Number(out.state!.DropletID))!;
  return { call: { ...call, state: out.state! }, totalMs, hostWaitMs: (droplet.activeAt ?? NaN) - Date.parse(droplet.createdAt) };
}

export async function bench(report: Report): Promise<void> {
  const home = tempDir('bench-do-home-');
  const store = tempDir('bench-do-store-');
  const env = cleanDoEnv(home);
  const extra = { build: fs.existsSync(path.join(path.dirname(DRIVER_BIN), '..', 'dist', 'main.js')) ? 'dist bundle' : 'lib' };
  let fake: FakeDigitalOcean | undefined;
  let driver: DriverClient | undefined;
  try {
    const launches: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const d = await launchDriver({ name: 'digitalocean', path: DRIVER_BIN, env });
      await d.schema();
      launches.push(performance.now() - t);
      await d.close();
    }
    report('driver start + GetSchema', launches, extra);

    driver = await launchDriver({ name: 'digitalocean', path: DRIVER_BIN, env });
    fake = await startFakeDigitalOcean({ timings: { newMs: NEW_MS, actionMs: 50 } });
    const machines: Created[] = [];
    for (let i = 0; i < MACHINES; i++) machines.push(await createOne(driver, fake, store, `b${i}`));
    const totals = machines.map((m) => m.totalMs);
    const waits = machines.map((m) => m.hostWaitMs);
    report(`create until active (address-only droplets, ${NEW_MS} ms new)`, totals, {
      ...extra,
      hostWaitMedianMs: Math.round(median(waits)),
      driverMedianMs: Math.round(median(totals.map((t, i) => t - waits[i]))),
    });

    const lsRuns: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await Promise.all(machines.map((m) => driver!.describe(m.call)));
      lsRuns.push(performance.now() - t);
    }
    report(`Describe of ${MACHINES} machines in one driver process`, lsRuns, extra);
    for (const m of machines) await driver.remove(m.call);
    await fake.close();

    // Real hosts behind the droplets: the wait for the host is most of a create.
    const hosts = new TestHostProvider();
    fake = await startFakeDigitalOcean({ hosts, timings: { newMs: 0, actionMs: 50 } });
    const real: Created[] = [];
    for (let i = 0; i < REAL_HOST_RUNS; i++) {
      const m = await createOne(driver, fake, store, `r${i}`);
      real.push(m);
      await driver.remove(m.call);
    }
    report('create until active (real test hosts)', real.map((m) => m.totalMs), {
      ...extra,
      hostWaitMedianMs: Math.round(median(real.map((m) => m.hostWaitMs))),
      hostWaitShare: `${Math.round((100 * median(real.map((m) => m.hostWaitMs))) / median(real.map((m) => m.totalMs)))}%`,
    });
    await fake.settle();
    await hosts.removeAll();
  } finally {
    await driver?.close();
    await fake?.close();
    await cleanupTestHosts();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(store, { recursive: true, force: true });
  }
}
