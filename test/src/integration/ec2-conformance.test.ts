// The conformance kit against the amazonec2 driver with a local EC2
// endpoint, so that the cancellation check creates for real. (The kit's run
// over all bundled drivers leaves that check out for amazonec2: it has no
// endpoint there.)
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { runConformance } from '@machine/driver-sdk/conformance';
import type { FlagValues } from '@machine/driver-sdk';
import { startFakeEc2, type FakeEc2 } from '../fakes/ec2';
import { DRIVER_BIN, cleanAwsEnv, endpointFlags, tempDir } from '../fakes/ec2/harness';

describe('amazonec2 driver conformance with a local EC2 endpoint', function () {
  const home = tempDir('ec2-conformance-');
  // Filled in before the kit's tests run; the kit reads it when it creates.
  const createFlags: FlagValues = {};
  let fake: FakeEc2 | undefined;

  before(async () => {
    // Slow enough that Create is still waiting for "running" when the kit cancels it.
    fake = await startFakeEc2({ timings: { pendingMs: 20000, shuttingDownMs: 50 } });
    Object.assign(createFlags, endpointFlags(fake));
  });
  after(async () => {
    await fake?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  runConformance(DRIVER_BIN, { name: 'amazonec2', env: cleanAwsEnv(home), createFlags });

  describe('after the kit', () => {
    // The kit cancels early (first progress event or 300 ms), often before any
    // request; ec2-driver.test.ts cancels during the wait for "running".
    it('the endpoint holds nothing that the cancelled create made', async () => {
      const clean = () =>
        fake!.liveInstances().length === 0 && fake!.keyPairs.size === 0 && ![...fake!.securityGroups.values()].some((g) => g.groupName === 'docker-machine');
      for (let n = 0; n < 200 && !clean(); n++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(fake!.liveInstances().length, 0);
      assert.equal(fake!.keyPairs.size, 0);
      assert.deepEqual([...fake!.securityGroups.values()].map((g) => g.groupName), ['default']);
    });
  });
});
