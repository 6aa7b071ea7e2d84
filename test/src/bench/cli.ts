// Start-up and ls scaling of the CLI, run as the real binary against a
// temporary store with the fake driver: `env NAME` and `url NAME` (shells
// eval these often), `ls` over 1, 20 and 50 machines with the cost of each
// extra machine, and `node -e 0` in the same run for the ratio.
import { spawn } from 'node:child_process';
import { addFakeMachine, CLI, loopbackIP, sandbox, startDaemon, type Sandbox } from '../integration/cli-support';

type Report = (name: string, samplesMs: number[], extra?: Record<string, string | number>) => void;

const N = Number(process.env.BENCH_CLI_SAMPLES ?? 11);

function median(s: number[]): number {
  const a = [...s].sort((x, y) => x - y);
  return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
}

// Asynchronous on purpose: the stand-in daemon answers from this process.
function runOnce(argv: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, code: code ?? -1, stderr }));
  });
}

async function time(argv: string[], env: NodeJS.ProcessEnv, n = N): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n + 1; i++) {
    const r = await runOnce(argv, env);
    const ms = r.ms;
    if (r.code !== 0) throw new Error(`${argv.slice(1).join(' ')} failed (${r.code}): ${r.stderr}`);
    // The first run warms the page cache; it is not a sample.
    if (i > 0) out.push(ms);
  }
  return out;
}

export async function bench(report: Report): Promise<void> {
  const node = await time([process.execPath, '-e', '0'], process.env);
  const base = median(node);
  report('node -e 0', node);
  const ratio = (s: number[]): string => (median(s) / base).toFixed(2);

  const sb: Sandbox = sandbox();
  const ip = loopbackIP();
  addFakeMachine(sb, 'dev', { ip });
  const daemon = await startDaemon(sb, 'dev', ip);
  try {
    const cli = (...a: string[]): string[] => [process.execPath, CLI, ...a];
    const version = await time(cli('version'), sb.env);
    report('machine version', version, { xNode: ratio(version) });

    // First env asks the driver and remembers the URL; later ones do not start it.
    const spawnsBefore = sb.spawned().length;
    const env = await time(cli('env', 'dev'), sb.env);
    report('machine env NAME (remembered URL, TLS check)', env, { xNode: ratio(env), driverStarts: sb.spawned().length - spawnsBefore - 1 });
    const url = await time(cli('url', 'dev'), sb.env);
    report('machine url NAME (remembered URL, TCP probe)', url, { xNode: ratio(url) });
    const oclifUrl = await time(cli('url', 'dev'), { ...sb.env, MACHINE_NO_FAST_PATH: '1' }, Math.min(N, 7));
    report('machine url NAME via oclif (for comparison)', oclifUrl, { xNode: ratio(oclifUrl) });

    const status = await time(cli('status', 'dev'), sb.env, Math.min(N, 7));
    report('machine status NAME (driver started)', status, { xNode: ratio(status) });
  } finally {
    await daemon.close();
    sb.cleanup();
  }

  const lsMedians: Record<number, number> = {};
  for (const count of [1, 20, 50]) {
    const s = sandbox();
    try {
      for (let i = 1; i <= count; i++) addFakeMachine(s, `m${i}`, { ip: '127.0.0.1', power: i % 2 ? 'Running' : 'Stopped' });
      const before = s.spawned().length;
      const samples = await time([process.execPath, CLI, 'ls'], s.env, count === 50 ? N : Math.min(N, 7));
      const runs = (count === 50 ? N : Math.min(N, 7)) + 1;
      lsMedians[count] = median(samples);
      report(`machine ls, ${count} machine${count > 1 ? 's' : ''}`, samples, {
        xNode: ratio(samples),
        driverProcessesPerLs: ((s.spawned().length - before) / runs).toFixed(2),
      });
    } finally {
      s.cleanup();
    }
  }
  report('machine ls, per extra machine (slope 1→50)', [(lsMedians[50] - lsMedians[1]) / 49], { from20: ((lsMedians[50] - lsMedians[20]) / 30).toFixed(2) });
}
