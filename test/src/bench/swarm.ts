// Swarm mode on the docker driver (machine image present): the wall-clock
// time to a ready cluster of 3 managers and 2 workers made as a script
// would (the first manager, then two joins at a time), and the cluster
// growing one node at a time from 1 to 5. "Ready" is every node Ready in
// `docker node ls` asked through a manager, which is included in the time.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import type { Report } from './run';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'cli/bin/run.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 900_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

class Cluster {
  readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly store: string,
    readonly network: string,
  ) {
    this.env = { ...process.env, MACHINE_STORAGE_PATH: store };
    for (const k of ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'MACHINE_DRIVER']) delete this.env[k];
  }

  async machine(args: string[]): Promise<string> {
    const r = await exec(process.execPath, [CLI, ...args], this.env);
    if (r.code !== 0) throw new Error(`machine ${args.join(' ')} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  create(name: string, swarm: string[]): Promise<string> {
    return this.machine(['create', '--driver', 'docker', '--docker-network', this.network, ...swarm, name]);
  }

  /** Waits until the swarm, seen through `manager`, has `count` nodes, all Ready. */
  async ready(manager: string, count: number): Promise<void> {
    const flags = (await this.machine(['config', '--swarm', manager])).trim().split('\n');
    const deadline = Date.now() + 120_000;
    for (;;) {
      const r = await exec('docker', [...flags, 'node', 'ls', '--format', '{{.Status}}'], this.env);
      const states = r.stdout.trim().split('\n').filter(Boolean);
      if (r.code === 0 && states.length === count && states.every((s) => s === 'Ready')) return;
      if (Date.now() > deadline) throw new Error(`the swarm of ${manager} did not reach ${count} Ready nodes: ${r.stdout}${r.stderr}`);
      await new Promise((res) => setTimeout(res, 250));
    }
  }

  async removeAll(docker: Docker): Promise<void> {
    const names = (await this.machine(['ls', '-q']).catch(() => '')).trim().split('\n').filter(Boolean);
    if (names.length) await exec(process.execPath, [CLI, 'rm', '-f', ...names], this.env);
    const label = [`io.machine.store=${this.store}`];
    for (const c of await docker.listContainers({ all: true, filters: JSON.stringify({ label }) })) {
      await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    }
    const vols = await docker.listVolumes({ filters: JSON.stringify({ label }) });
    for (const v of vols.Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
    await docker.getNetwork(this.network).remove().catch(() => undefined);
  }
}

export async function bench(report: Report): Promise<void> {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  await docker.ping();
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'machine-bench-swarm-'));
  try {
    // "Image present": built first (a no-op when current) so that no sample pays for it.
    await new Cluster(path.join(tmp, 'image'), 'unused').machine(['image', 'build']);

    // A 3-manager, 2-worker cluster as a script makes it.
    const scripted = new Cluster(path.join(tmp, 'scripted'), `machine-bench-swarm-a-${process.pid}`);
    try {
      const started = performance.now();
      await scripted.create('m1', ['--swarm-mode', 'manager']);
      await Promise.all([
        scripted.create('m2', ['--swarm-mode', 'manager', '--swarm-join', 'm1']),
        scripted.create('w1', ['--swarm-mode', 'worker', '--swarm-join', 'm1']),
        scripted.create('w2', ['--swarm-mode', 'worker', '--swarm-join', 'm1']),
      ]);
      await scripted.create('m3', ['--swarm-mode', 'manager', '--swarm-join', 'm1']);
      await scripted.ready('m1', 5);
      report('swarm: 3 managers + 2 workers until 5 nodes Ready (docker driver)', [performance.now() - started], { parallelJoins: 3 });
    } finally {
      await scripted.removeAll(docker);
    }

    // The same size reached one node at a time: each step is a create until every node is Ready.
    const growing = new Cluster(path.join(tmp, 'growing'), `machine-bench-swarm-b-${process.pid}`);
    try {
      const steps: [string, string[]][] = [
        ['m1', ['--swarm-mode', 'manager']],
        ['m2', ['--swarm-mode', 'manager', '--swarm-join', 'm1']],
        ['m3', ['--swarm-mode', 'manager', '--swarm-join', 'm1']],
        ['w1', ['--swarm-mode', 'worker', '--swarm-join', 'm1']],
        ['w2', ['--swarm-mode', 'worker', '--swarm-join', 'm1']],
      ];
      const joins: number[] = [];
      let total = 0;
      for (const [i, [name, flags]] of steps.entries()) {
        const started = performance.now();
        await growing.create(name, flags);
        await growing.ready('m1', i + 1);
        const ms = performance.now() - started;
        total += ms;
        report(`swarm: grow ${i} -> ${i + 1} node${i ? 's' : ''} (${name}, ${flags.includes('worker') ? 'worker' : 'manager'})`, [ms]);
        if (i > 0) joins.push(ms);
      }
      report('swarm: one node joining a running swarm (steps 2..5)', joins);
      report('swarm: 1 -> 5 nodes one at a time, total', [total]);
    } finally {
      await growing.removeAll(docker);
    }
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}
