// The single-executable builds of `npm run package` (docs/packaging.md):
// spawn + handshake + first call of a driver as a SEA binary and as the
// npm-installed bundle, `version` and `ls` of dist/bin/machine-linux-x64 and
// of the npm CLI, all interleaved with `node -e 0` so every sample sees the
// same machine load; plus the first run of the CLI binary (unpacking) and
// the SHA-256 check `driver install` adds before an installed driver starts.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchDriver } from '@machine/driver-sdk/host';
import { sha256OfFile, verifyInstalledDriver } from '@machine/cli/lib/discovery/installed';
import { DIST_BIN, ROOT, SEA_CLI, ensurePackaged } from '../e2e/sea-support';
import { median, type Report } from './run';

const ROUNDS = Number(process.env.BENCH_SEA_ROUNDS ?? 11);
const NPM_CLI = path.join(ROOT, 'cli', 'bin', 'run.js');

function timed(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

async function launchOnce(bin: string): Promise<number> {
  const t = performance.now();
  // launchDriver returns once the handshake is done and GetMetadata answered.
  const d = await launchDriver({ name: 'none', path: bin });
  const ms = performance.now() - t;
  await d.close();
  return ms;
}

const mib = (file: string): number => Math.round(fs.statSync(file).size / (1 << 20));

export async function bench(report: Report): Promise<void> {
  await ensurePackaged('drivers');
  await ensurePackaged('cli');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sea-'));
  const env = { ...process.env, MACHINE_STORAGE_PATH: path.join(dir, 'store'), MACHINE_SEA_CACHE: path.join(dir, 'sea-cache') };
  const seaDriver = path.join(DIST_BIN, 'machine-driver-none');
  const npmDriver = path.join(ROOT, 'cli', 'bin', 'machine-driver-none');
  const quiet = { env, stdio: 'ignore' as const };
  try {
    // The first run of the CLI binary unpacks its tree; each sample gets a new cache directory.
    const unpack: number[] = [];
    for (let i = 0; i < 3; i++) {
      unpack.push(timed(() => execFileSync(SEA_CLI, ['version'], { ...quiet, env: { ...env, MACHINE_SEA_CACHE: path.join(dir, `first-${i}`) } })));
    }
    // An installed driver as `driver install` leaves it, for the check before a launch.
    const installed = path.join(dir, 'drivers', 'machine-driver-none');
    fs.mkdirSync(path.dirname(installed));
    fs.copyFileSync(seaDriver, installed);
    fs.writeFileSync(`${installed}.sha256`, `${await sha256OfFile(installed)}  machine-driver-none\n`);
    const location = { name: 'none', path: installed, source: 'installed' as const };
    // Warm every path once (page cache, V8 code caches) before measuring.
    execFileSync(SEA_CLI, ['ls'], quiet);
    execFileSync(process.execPath, [NPM_CLI, 'ls'], quiet);
    await launchOnce(seaDriver);
    await launchOnce(npmDriver);

    const samples: Record<string, number[]> = {};
    const add = (key: string, ms: number) => (samples[key] ??= []).push(ms);
    for (let i = 0; i < ROUNDS; i++) {
      add('node', timed(() => execFileSync(process.execPath, ['-e', '0'], quiet)));
      add('seaDriver', await launchOnce(seaDriver));
      add('npmDriver', await launchOnce(npmDriver));
      add('seaVersion', timed(() => execFileSync(SEA_CLI, ['version'], quiet)));
      add('npmVersion', timed(() => execFileSync(process.execPath, [NPM_CLI, 'version'], quiet)));
      add('seaLs', timed(() => execFileSync(SEA_CLI, ['ls'], quiet)));
      add('npmLs', timed(() => execFileSync(process.execPath, [NPM_CLI, 'ls'], quiet)));
      const t = performance.now();
      await sha256OfFile(seaDriver);
      add('sha', performance.now() - t);
      const v = performance.now();
      await verifyInstalledDriver(location);
      add('verify', performance.now() - v);
    }
    const base = median(samples.node);
    const ratio = (key: string) => ({ ratio: Number((median(samples[key]) / base).toFixed(2)) });
    report('node -e 0 (baseline)', samples.node);
    report('SEA driver (none): spawn + handshake + GetMetadata', samples.seaDriver, { ...ratio('seaDriver'), sizeMiB: mib(seaDriver) });
    report('npm driver bundle (none): spawn + handshake + GetMetadata', samples.npmDriver, ratio('npmDriver'));
    report('SHA-256 of the SEA driver (check after the file changed)', samples.sha, { sizeMiB: mib(seaDriver) });
    report('installed-driver check before launch (file unchanged)', samples.verify);
    report('machine-linux-x64 version', samples.seaVersion, { ...ratio('seaVersion'), sizeMiB: mib(SEA_CLI) });
    report('npm CLI version', samples.npmVersion, ratio('npmVersion'));
    report('machine-linux-x64 ls (empty store)', samples.seaLs, ratio('seaLs'));
    report('npm CLI ls (empty store)', samples.npmLs, ratio('npmLs'));
    report('machine-linux-x64 first run (unpacks its tree)', unpack);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
