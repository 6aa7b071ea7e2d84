// The docker driver's costs with the machine image present: `create` split
// by phase (as `create --json` reports them), and `ls` over 10 machines.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import type { Report } from './run';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'cli/bin/run.js');
const MACHINES = 10;
const LS_RUNS = 10;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function cli(store: string, args: string[]): Promise<Result> {
  const env: NodeJS.ProcessEnv = { ...process.env, MACHINE_STORAGE_PATH: store };
  for (const k of ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'MACHINE_DRIVER']) delete env[k];
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 900_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), ms: performance.now() - started });
    });
  });
}

async function ok(store: string, args: string[]): Promise<Result> {
  const r = await cli(store, args);
  if (r.code !== 0) throw new Error(`machine ${args.join(' ')} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

export async function bench(report: Report): Promise<void> {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  await docker.ping();
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'machine-bench-docker-'));
  const store = path.join(tmp, 'store');
  const network = `machine-bench-${process.pid}`;
  const names = Array.from({ length: MACHINES }, (_, i) => `bench${i + 1}`);
  try {
    // "Image present": build it first (a no-op when it is current) so no sample pays for it.
    await ok(store, ['image', 'build']);

    const totals: number[] = [];
    const phases = new Map<string, number[]>();
    for (const name of names) {
      const r = await ok(store, ['create', '--driver', 'docker', '--docker-network', network, '--json', '--debug', name]);
      const out = JSON.parse(r.stdout) as { Phases?: Record<string, number>; TotalMs?: number };
      totals.push(r.ms);
      const add = (phase: string, ms: number) => {
        if (!phases.has(phase)) phases.set(phase, []);
        phases.get(phase)?.push(ms);
      };
      for (const [phase, ms] of Object.entries(out.Phases ?? {})) add(phase, ms);
      // The driver's own split of driverCreate, from its --debug log line.
      const line = /create phases \(ms\) (\{.*\})/.exec(r.stderr);
      if (!line) throw new Error(`no driver phase line in the --debug output of create:\n${r.stderr}`);
      for (const [phase, ms] of Object.entries(JSON.parse(line[1]) as Record<string, unknown>)) {
        if (typeof ms === 'number') add(`driverCreate.${phase}`, ms);
      }
    }
    report('docker: create (image present, wall clock incl. node start)', totals, { machines: MACHINES });
    for (const [phase, samples] of phases) report(`docker: create phase ${phase}`, samples);

    const ls: number[] = [];
    for (let i = 0; i < LS_RUNS; i++) {
      const r = await ok(store, ['ls']);
      const rows = r.stdout.trim().split('\n').length - 1;
      if (rows !== MACHINES) throw new Error(`ls listed ${rows} machines, expected ${MACHINES}:\n${r.stdout}`);
      ls.push(r.ms);
    }
    report(`docker: ls over ${MACHINES} running machines`, ls);
  } finally {
    await cli(store, ['rm', '-y', '-f', ...names]);
    const label = [`io.machine.store=${store}`];
    for (const c of await docker.listContainers({ all: true, filters: JSON.stringify({ label }) })) {
      await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    }
    const vols = await docker.listVolumes({ filters: JSON.stringify({ label }) });
    for (const v of vols.Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
    await docker.getNetwork(network).remove().catch(() => undefined);
    await fs.rm(tmp, { recursive: true, force: true });
  }
}
