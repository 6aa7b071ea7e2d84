// Not a test file of its own: test/src/conformance/kit.test.ts runs it in a
// child mocha (no --exit, --timeout 0) to see how the kit behaves for a
// driver author's runner.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { runConformance } from '@machine/driver-sdk/conformance';

const root = path.resolve(__dirname, '..', '..', '..', '..');

// An instant Create: the none driver only records the URL.
runConformance(path.join(root, 'cli', 'bin', 'machine-driver-none'), { name: 'none', createFlags: { url: 'tcp://127.0.0.1:2376' } });

// A lifecycle longer than 3 × waitMs: the kit must not cut it short.
runConformance(path.join(root, 'test', 'bin', 'machine-driver-fake'), {
  name: 'fake',
  waitMs: 2_000,
  createFlags: { 'fake-create-delay-ms': 20_000 },
  lifecycleFlags: { 'fake-ip': '10.9.8.7', 'fake-create-delay-ms': 7_000 },
});

after(() => {
  // Whatever the kit started must be over: a pending timer would keep this
  // process alive after the last test.
  const pending = process.getActiveResourcesInfo().filter((r) => r === 'Timeout');
  assert.deepEqual(pending, [], 'timers left by the kit');
});
