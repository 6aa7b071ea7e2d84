// The conformance kit against the digitalocean driver with local DigitalOcean
// APIs, so that its cancellation check and its full lifecycle run create for
// real. (The kit's run over all bundled drivers leaves both out for
// digitalocean: it has no API there.)
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { runConformance } from '@machine/driver-sdk/conformance';
import type { FlagValues } from '@machine/driver-sdk';
import { startFakeDigitalOcean, type FakeDigitalOcean } from '../fakes/digitalocean';
import { DRIVER_BIN, cleanDoEnv, endpointFlags, tempDir } from '../fakes/digitalocean/harness';

describe('digitalocean driver conformance with a local DigitalOcean API', function () {
  const home = tempDir('do-conformance-');
  // Filled in before the kit's tests run; the kit reads them when it creates.
  const createFlags: FlagValues = {};
  const lifecycleFlags: FlagValues = {};
  let slow: FakeDigitalOcean | undefined;
  let fast: FakeDigitalOcean | undefined;

  before(async () => {
    // Slow enough that Create is still waiting for the droplet when the kit cancels it.
    slow = await startFakeDigitalOcean({ timings: { newMs: 20_000 } });
    fast = await startFakeDigitalOcean({ timings: { newMs: 50, actionMs: 20 } });
    Object.assign(createFlags, endpointFlags(slow));
    Object.assign(lifecycleFlags, endpointFlags(fast, { 'digitalocean-tags': 'conformance' }));
  });
  after(async () => {
    await slow?.close();
    await fast?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  runConformance(DRIVER_BIN, { name: 'digitalocean', env: cleanDoEnv(home), createFlags, lifecycleFlags });

  describe('after the kit', () => {
    it('the APIs hold nothing that the kit\'s machines made', async () => {
      const clean = () => slow!.droplets.size === 0 && slow!.keys.size === 0 && fast!.droplets.size === 0 && fast!.keys.size === 0;
      for (let n = 0; n < 200 && !clean(); n++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual([...slow!.droplets.values(), ...fast!.droplets.values()].map((d) => d.name), []);
      assert.deepEqual([...slow!.keys.values(), ...fast!.keys.values()].map((k) => k.name), []);
      assert.ok(fast!.operations().includes('droplets_create'), 'the lifecycle run created a droplet');
    });
  });
});
