// The virtualbox driver's create against the VBoxManage stand-in, whose VMs
// are real test hosts: the whole Create call, how much of it is the wait for
// the host (startvm, which boots it), and the rest (the driver, VBoxManage
// process starts, the SSH and IP waits). The image is cached after the first
// run, as for a user's second machine.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchDriver, type MachineRef } from '@machine/driver-sdk';
import { startFakeVirtualBox } from '../fakes/virtualbox';
import { DRIVER_BIN, HOSTONLY_CIDR, fakeImage, startImageServer, tempDir, vboxEnv } from '../fakes/virtualbox/harness';
import { TestHostProvider } from '../hosts';
import type { Report } from './run';

const RUNS = 3;

export async function bench(report: Report): Promise<void> {
  const dir = tempDir('bench-vbox-');
  const store = path.join(dir, 'store');
  const hosts = new TestHostProvider();
  const fake = await startFakeVirtualBox(path.join(dir, 'vbox'), { hosts });
  const images = await startImageServer({ 'noble.vmdk': fakeImage() });
  const driver = await launchDriver({ name: 'virtualbox', path: DRIVER_BIN, env: vboxEnv(fake) });
  try {
    const creates: number[] = [];
    const hostWaits: number[] = [];
    const vboxManage: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const machineDir = path.join(store, 'machines', `b${i}`);
      fs.mkdirSync(machineDir, { recursive: true });
      const machine: MachineRef = { name: `b${i}`, storePath: store, machineDir };
      const configured = await driver.configure(machine, { 'virtualbox-image-url': `${images.url}/noble.vmdk`, 'virtualbox-hostonly-cidr': HOSTONLY_CIDR });
      const call = { machine, state: configured.state, stateVersion: configured.stateVersion };
      const from = fake.durations.length;
      const t = performance.now();
      const out = await driver.create(call);
      creates.push(performance.now() - t);
      const commands = fake.durations.slice(from);
      hostWaits.push(commands.filter((c) => c.command === 'startvm').reduce((n, c) => n + c.ms, 0));
      vboxManage.push(commands.length);
      await driver.remove({ ...call, state: out.state! });
    }
    report('create to SSH and IP (stand-in, real test host)', creates, {
      hostWaitMedianMs: Math.round([...hostWaits].sort((a, b) => a - b)[hostWaits.length >> 1]),
      vboxManageCommands: vboxManage[0],
    });
    report('of which the wait for the host (startvm boots it)', hostWaits);
  } finally {
    await driver.close();
    await fake.close();
    await images.close();
    await hosts.removeAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
