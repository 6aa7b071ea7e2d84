// The conformance kit against the virtualbox driver with the VBoxManage
// stand-in, so that the cancellation check and the full lifecycle create
// real VMs. (The kit's run over all bundled drivers leaves both out for
// virtualbox: there is no VirtualBox there.)
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runConformance } from '@machine/driver-sdk/conformance';
import type { FlagValues } from '@machine/driver-sdk';
import { startFakeVirtualBox, type FakeVirtualBox } from '../fakes/virtualbox';
import { DRIVER_BIN, HOSTONLY_CIDR, fakeImage, startImageServer, tempDir, vboxEnv, type ImageServer } from '../fakes/virtualbox/harness';
import { TestHostProvider } from '../hosts';

describe('virtualbox driver conformance with the VBoxManage stand-in', function () {
  this.timeout(300_000);
  const dir = tempDir('vbox-conformance-');
  const hosts = new TestHostProvider();
  // Filled in before the kit's tests run; the kit reads them when it creates.
  const createFlags: FlagValues = {};
  const lifecycleFlags: FlagValues = {};
  const env: NodeJS.ProcessEnv = {};
  let fake: FakeVirtualBox | undefined;
  let images: ImageServer | undefined;

  before(async () => {
    fake = await startFakeVirtualBox(path.join(dir, 'vbox'), { hosts });
    images = await startImageServer({ 'noble.vmdk': fakeImage() });
    Object.assign(createFlags, { 'virtualbox-image-url': `${images.url}/noble.vmdk`, 'virtualbox-hostonly-cidr': HOSTONLY_CIDR });
    Object.assign(lifecycleFlags, createFlags);
    Object.assign(env, vboxEnv(fake));
  });
  after(async () => {
    await fake?.close();
    await images?.close();
    await hosts.removeAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  runConformance(DRIVER_BIN, { name: 'virtualbox', env, createFlags, lifecycleFlags, waitMs: 120_000 });

  describe('after the kit', () => {
    it('the stand-in holds no VM, disk, host or forward', async () => {
      for (let n = 0; n < 200 && (fake!.vms.length > 0 || fake!.liveHosts > 0); n++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(fake!.vms.map((v) => v.name), []);
      assert.deepEqual(fake!.media.map((m) => m.path), []);
      assert.equal(fake!.liveHosts, 0);
      assert.equal(fake!.forwardCount, 0);
    });
  });
});
