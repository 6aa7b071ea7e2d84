// The conformance kit against the openstack driver with the real Keystone
// and the local Nova, Neutron and Glance, so that the cancellation check
// creates for real. (The kit's run over all bundled drivers leaves that
// check out for openstack: it has no cloud there.)
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { runConformance } from '@machine/driver-sdk/conformance';
import type { FlagValues } from '@machine/driver-sdk';
import { startFakeOpenStack, type FakeOpenStack } from '../fakes/openstack';
import { DRIVER_BIN, cleanOsEnv, endpointFlags, tempDir } from '../fakes/openstack/harness';

describe('openstack driver conformance with a local OpenStack', function () {
  const home = tempDir('os-conformance-');
  // Filled in before the kit's tests run; the kit reads it when it creates.
  const createFlags: FlagValues = {};
  let fake: FakeOpenStack | undefined;

  before(async function () {
    this.timeout(900_000);
    // Slow enough that Create is still waiting for ACTIVE when the kit cancels it.
    fake = await startFakeOpenStack({ timings: { buildMs: 20_000, deleteMs: 20 } });
    Object.assign(createFlags, endpointFlags(fake));
  });
  after(async () => {
    await fake?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  runConformance(DRIVER_BIN, { name: 'openstack', env: cleanOsEnv(home), createFlags });

  describe('after the kit', () => {
    it('the local cloud holds nothing that the cancelled create made', async function () {
      this.timeout(60_000);
      const clean = () =>
        [...fake!.servers.values()].length === 0 && fake!.keyPairs.size === 0 && [...fake!.securityGroups.values()].every((g) => g.name === 'default');
      for (let n = 0; n < 400 && !clean(); n++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual([...fake!.servers.values()].map((s) => s.name), []);
      assert.equal(fake!.keyPairs.size, 0);
      assert.deepEqual([...fake!.securityGroups.values()].map((g) => g.name), ['default']);
    });
  });
});
