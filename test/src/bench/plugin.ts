// Plugin start-up: spawn + handshake + first answered call (GetMetadata) for
// the fake driver, next to a bare `node -e 0` in the same run, interleaved
// so all see the same machine load. Measures the driver bundled with
// proto/scripts/bundle-driver.js (with and without its V8 code cache) and as
// plain tsc output.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { launchDriver, loadTimings, preloadProtocol } from '@machine/driver-sdk/host';

type Report = (name: string, samplesMs: number[], extra?: Record<string, string | number>) => void;

const root = path.resolve(__dirname, '..', '..', '..');
const ROUNDS = Number(process.env.BENCH_PLUGIN_ROUNDS ?? 15);

function median(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** A copy of the fake driver's bin next to a fresh bundle, as a release would ship it. */
function bundledFake(dir: string): string {
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  const bin = path.join(dir, 'bin', 'machine-driver-fake');
  fs.copyFileSync(path.join(root, 'test', 'bin', 'machine-driver-fake'), bin);
  fs.chmodSync(bin, 0o755);
  execFileSync(process.execPath, [
    path.join(root, 'proto', 'scripts', 'bundle-driver.js'),
    path.join(root, 'test', 'lib', 'fixtures', 'drivers', 'fake.js'),
    path.join(dir, 'dist', 'machine-driver-fake.js'),
  ]);
  return bin;
}

function unbundledFake(dir: string): string {
  // The checked-in bin prefers dist/ when a build made one; this copy has only lib/.
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  const bin = path.join(dir, 'bin', 'machine-driver-fake');
  const target = path.join(root, 'test', 'lib', 'fixtures', 'drivers', 'fake.js');
  fs.writeFileSync(bin, `#!/usr/bin/env node\nrequire(${JSON.stringify(target)}).main();\n`, { mode: 0o755 });
  return bin;
}

async function launchOnce(bin: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const t = performance.now();
  const d = await launchDriver({ name: 'fake', path: bin, env });
  const ms = performance.now() - t;
  await d.close();
  return ms;
}

/** What `ls` asks of one driver process: Describe for 50 machines, one after another and all at once. */
async function describeMany(bin: string, store: string, report: Report): Promise<void> {
  const d = await launchDriver({ name: 'fake', path: bin });
  try {
    const calls = [];
    for (let i = 0; i < 50; i++) {
      const machine = { name: `m${i}`, storePath: store, machineDir: path.join(store, 'machines', `m${i}`) };
      const c = await d.configure(machine, {});
      const created = await d.create({ machine, state: c.state, stateVersion: c.stateVersion });
      calls.push({ machine, state: created.state ?? c.state, stateVersion: created.stateVersion ?? c.stateVersion });
    }
    const sequential: number[] = [];
    const parallel: number[] = [];
    for (let r = 0; r < 5; r++) {
      let t = performance.now();
      for (const call of calls) await d.describe(call);
      sequential.push(performance.now() - t);
      t = performance.now();
      await Promise.all(calls.map((call) => d.describe(call)));
      parallel.push(performance.now() - t);
    }
    report('fake driver: Describe x50 machines, one by one (one process)', sequential);
    report('fake driver: Describe x50 machines, concurrently (one process)', parallel);
  } finally {
    await d.close();
  }
}

export async function bench(report: Report): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'machine-bench-plugin-'));
  try {
    // The host's own gRPC load happens once per command; measure it apart.
    const t = performance.now();
    preloadProtocol();
    const hostLoadMs = performance.now() - t;
    const bundled = bundledFake(path.join(tmp, 'bundled'));
    const plain = unbundledFake(path.join(tmp, 'plain'));
    const bundleKiB = Math.round(fs.statSync(path.join(tmp, 'bundled', 'dist', 'machine-driver-fake.bundle.js')).size / 1024);
    const noCache = { ...process.env, MACHINE_NO_CODE_CACHE: '1' };
    // Warm-up; the first bundled run also writes the V8 code cache.
    await launchOnce(bundled);
    await launchOnce(bundled, noCache);
    await launchOnce(plain);

    const node: number[] = [];
    const b: number[] = [];
    const bn: number[] = [];
    const p: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      execFileSync(process.execPath, ['-e', '0']);
      node.push(performance.now() - t0);
      b.push(await launchOnce(bundled));
      bn.push(await launchOnce(bundled, noCache));
      p.push(await launchOnce(plain));
    }
    const base = median(node);
    report('node -e 0 (baseline)', node);
    report('fake driver, bundled: spawn + handshake + GetMetadata', b, {
      ratio: Number((median(b) / base).toFixed(2)),
      target: '<= 2.5',
      bundleKiB,
    });
    report('fake driver, bundled without code cache', bn, { ratio: Number((median(bn) / base).toFixed(2)) });
    report('fake driver, unbundled: spawn + handshake + GetMetadata', p, { ratio: Number((median(p) / base).toFixed(2)) });
    await describeMany(bundled, path.join(tmp, 'store'), report);
    report('host: load @grpc/grpc-js + descriptor (once per command)', [hostLoadMs], {
      grpcMs: Math.round(loadTimings.grpcMs ?? 0),
      codecsMs: Math.round(loadTimings.codecsMs ?? 0),
      definitionMs: Math.round(loadTimings.descriptorMs ?? 0),
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
