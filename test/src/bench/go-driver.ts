// Driver start-up across languages: spawn + handshake + first answered call
// (GetMetadata) through the host, for the Go driver (test/fixtures/go-driver,
// go-plugin) and the Node SDK's fake driver as the build ships it (bundled,
// with its code cache), next to a bare `node -e 0`, interleaved so all see
// the same machine load.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { launchDriver, preloadProtocol } from '@machine/driver-sdk/host';
import { goDriver } from '../fixtures/go-driver';
import { median, type Report } from './run';

const root = path.resolve(__dirname, '..', '..', '..');
const ROUNDS = Number(process.env.BENCH_PLUGIN_ROUNDS ?? 15);

async function launchOnce(name: string, bin: string): Promise<number> {
  const t = performance.now();
  const d = await launchDriver({ name, path: bin });
  const ms = performance.now() - t;
  await d.close();
  return ms;
}

export async function bench(report: Report): Promise<void> {
  // Built (or taken from test/.cache) before anything is timed.
  const go = goDriver();
  // The bin prefers test/dist/machine-driver-fake.js, which `npm run build` makes.
  const node = path.join(root, 'test', 'bin', 'machine-driver-fake');
  // The host loads gRPC once per command; keep it out of every sample.
  preloadProtocol();
  // Warm-up: page cache, and the fake's V8 code cache on its first run.
  await launchOnce('gohost', go);
  await launchOnce('fake', node);

  const bare: number[] = [];
  const goSamples: number[] = [];
  const nodeSamples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, ['-e', '0']);
    bare.push(performance.now() - t0);
    goSamples.push(await launchOnce('gohost', go));
    nodeSamples.push(await launchOnce('fake', node));
  }
  const base = median(bare);
  report('node -e 0 (baseline)', bare);
  report('Go driver (go-plugin): spawn + handshake + GetMetadata', goSamples, { ratio: Number((median(goSamples) / base).toFixed(2)) });
  report('Node SDK driver (bundled fake): spawn + handshake + GetMetadata', nodeSamples, { ratio: Number((median(nodeSamples) / base).toFixed(2)) });
}
