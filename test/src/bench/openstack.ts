// The openstack driver's create time against the local OpenStack (the real
// Keystone, local Nova, Neutron and Glance) with servers backed by real test
// hosts, split into the wait for the host (the server's time in BUILD, most
// of it starting the host) and the rest (authentication, name lookups, key
// pair, security group, polling). Also driver start and a first GetState,
// which includes Keystone version discovery and a token.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchDriver, type JsonObject, type MachineRef } from '@machine/driver-sdk';
import { startFakeOpenStack } from '../fakes/openstack';
import { DRIVER_BIN, cleanOsEnv, endpointFlags, tempDir } from '../fakes/openstack/harness';
import { TestHostProvider } from '../hosts';
import type { Report } from './run';

const CREATES = 3;
const RUNS = 5;

export async function bench(report: Report): Promise<void> {
  const home = tempDir('bench-os-home-');
  const store = tempDir('bench-os-store-');
  const env = cleanOsEnv(home);
  const hosts = new TestHostProvider();
  const fake = await startFakeOpenStack({ hosts, timings: { buildMs: 0, actionMs: 0, deleteMs: 0 } });
  const ref = (name: string): MachineRef => {
    const machineDir = path.join(store, 'machines', name);
    fs.mkdirSync(machineDir, { recursive: true });
    return { name, storePath: store, machineDir };
  };
  try {
    const bundled = fs.existsSync(path.join(path.dirname(DRIVER_BIN), '..', 'dist', 'main.js'));
    const extra = { build: bundled ? 'dist bundle' : 'lib' };
    const driver = await launchDriver({ name: 'openstack', path: DRIVER_BIN, env });
    const creates: number[] = [];
    const hostWaits: number[] = [];
    const made: { machine: MachineRef; state: JsonObject; stateVersion: number }[] = [];
    for (let i = 0; i < CREATES; i++) {
      const machine = ref(`b${i}`);
      const configured = await driver.configure(machine, endpointFlags(fake));
      const call = { machine, state: configured.state, stateVersion: configured.stateVersion };
      const t = performance.now();
      const out = await driver.create(call);
      creates.push(performance.now() - t);
      const server = fake.servers.get(String(out.state!.MachineId))!;
      hostWaits.push(server.activeAt! - server.requestedAt);
      made.push({ ...call, state: out.state! });
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    report('create to ACTIVE with a real host', creates, { ...extra, hostWaitMedianMs: Math.round(median(hostWaits)), restMedianMs: Math.round(median(creates) - median(hostWaits)) });
    report('of which the wait for the host (BUILD)', hostWaits, extra);

    const firstCall: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const d = await launchDriver({ name: 'openstack', path: DRIVER_BIN, env });
      const t = performance.now();
      await d.getState(made[0]);
      firstCall.push(performance.now() - t);
      await d.close();
    }
    report('first GetState of a fresh driver (discovery, Keystone token, one request)', firstCall, extra);

    for (const m of made) await driver.remove(m);
    await driver.close();
  } finally {
    await fake.close();
    await hosts.removeAll();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(store, { recursive: true, force: true });
  }
}
