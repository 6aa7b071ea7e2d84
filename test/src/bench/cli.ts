// Start-up and ls scaling of the CLI, run as the real binary against a
// temporary store with the fake driver: `env NAME` and `url NAME` (shells
// eval these often), status and ip (proven by the machine's daemon; status
// also asking the driver), config and inspect, `ls`
// over 1, 21, 50 and 100 machines with the cost of each extra machine and
// over 21 running machines that prove it, the floors of these commands, and
// `node -e 0` in the same run and environment for the ratio. The targets,
// as ratios to `node -e 0`: ls (21) ≤ 4.5, ls (100) ≤ 10, status/ip/url ≤
// 2.5, env/config/inspect ≤ 1.3; see docs/benchmarks.md. Ends with a table
// of each target, its median and ratio.
import { execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { defaultCertPaths } from '@machine/cli/lib/certs';
import { addFakeMachine, CLI, loopbackIP, sandbox, startDaemon, type Daemon, type Sandbox } from '../integration/cli-support';

type Report = (name: string, samplesMs: number[], extra?: Record<string, string | number>) => void;

const N = Number(process.env.BENCH_CLI_SAMPLES ?? 11);
/** BENCH_CLI=/other/tree/cli/bin/run.js measures another build the same way (before/after comparisons). */
const RUN_JS = process.env.BENCH_CLI ?? CLI;

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

/**
 * CPU time (user + system) of a command and every process it waited for,
 * the CLI and its driver: a shell runs it, then prints its own /proc stat,
 * whose cutime and cstime are its waited-for children's (Linux only).
 */
function cpuOnce(argv: string[], env: NodeJS.ProcessEnv, ticksPerSecond: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const script = '"$@" >/dev/null 2>&1 || exit 1; cat /proc/$$/stat';
    const child = spawn('/bin/sh', ['-c', script, 'sh', ...argv], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      // Fields after the command name: state is field 3, cutime 16 and cstime 17.
      const fields = out.slice(out.lastIndexOf(')') + 2).trim().split(' ');
      const ticks = Number(fields[13]) + Number(fields[14]);
      if (code !== 0 || !Number.isFinite(ticks)) reject(new Error(`${argv.slice(1).join(' ')} failed (${code}) while its CPU time was measured`));
      else resolve((ticks * 1000) / ticksPerSecond);
    });
  });
}

function clockTicksPerSecond(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/**
 * Runs the command and `node -e 0` alternately, so both see the same load:
 * on a shared machine the ratio of their medians is steadier than either.
 * Both get the same environment: variables such as NODE_EXTRA_CA_CERTS
 * change Node's own start by tens of milliseconds (reading a CA bundle).
 */
async function paired(argv: string[], env: NodeJS.ProcessEnv, n = N, baseEnv: NodeJS.ProcessEnv = env): Promise<{ samples: number[]; node: number[] }> {
  const samples: number[] = [];
  const node: number[] = [];
  for (let i = 0; i < n + 1; i++) {
    const base = await runOnce([process.execPath, '-e', '0'], baseEnv);
    const r = await runOnce(argv, env);
    if (r.code !== 0) throw new Error(`${argv.slice(1).join(' ')} failed (${r.code}): ${r.stderr}`);
    // The first pair warms the page cache; it is not a sample.
    if (i > 0) {
      samples.push(r.ms);
      node.push(base.ms);
    }
  }
  return { samples, node };
}

/** The issue's targets, as ratios to `node -e 0` (see docs/benchmarks.md). */
interface Target {
  label: string;
  /** Highest ratio to `node -e 0`, or no target (shown for comparison). */
  maxRatio?: number;
}

interface Measured {
  label: string;
  maxRatio?: number;
  medianMs: number;
  nodeMs: number;
}

/** Markdown, so it pastes into docs/benchmarks.md as it is. */
export function targetTable(rows: Measured[], slopeMs: number): string {
  const lines = ['| command | target | median | node -e 0 | ratio | met |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    const ratio = r.medianMs / r.nodeMs;
    const met = r.maxRatio === undefined ? '' : ratio <= r.maxRatio ? 'yes' : 'NO';
    lines.push(`| ${r.label} | ${r.maxRatio === undefined ? '—' : `≤ ${r.maxRatio}×`} | ${r.medianMs.toFixed(1)} ms | ${r.nodeMs.toFixed(1)} ms | ${ratio.toFixed(2)}× | ${met} |`);
  }
  // A negative slope only says the run was too noisy to measure one.
  const slopeMet = slopeMs < 0 ? 'noise' : slopeMs < 2 ? 'yes' : 'NO';
  lines.push(`| \`ls\`, each extra machine (21→100) | < 2 ms | ${slopeMs.toFixed(2)} ms | | | ${slopeMet} |`);
  return lines.join('\n') + '\n';
}

export async function bench(report: Report): Promise<void> {
  const allNode: number[] = [];
  const table: Measured[] = [];
  const measure = async (
    name: string,
    argv: string[],
    env: NodeJS.ProcessEnv,
    n = N,
    extra: () => Record<string, string | number> = () => ({}),
    target?: Target,
  ): Promise<number[]> => {
    const p = await paired(argv, env, n);
    allNode.push(...p.node);
    report(name, p.samples, { xNode: (median(p.samples) / median(p.node)).toFixed(2), nodeMedianMs: median(p.node).toFixed(1), ...extra() });
    if (target) table.push({ ...target, medianMs: median(p.samples), nodeMs: median(p.node) });
    return p.samples;
  };

  const ticks = clockTicksPerSecond();
  /**
   * What a command costs in CPU, CLI and driver together, against its wall
   * time: on a machine with two cores that overlap poorly, a command whose
   * two processes keep both busy is bound by CPU, not by waiting.
   */
  const cpu = async (name: string, argv: string[], env: NodeJS.ProcessEnv, wallMs: number[]): Promise<void> => {
    const samples: number[] = [];
    for (let i = 0; i < Math.min(N, 9); i++) samples.push(await cpuOnce(argv, env, ticks));
    report(name, samples, { coresBusy: (median(samples) / median(wallMs)).toFixed(2) });
  };

  const sb: Sandbox = sandbox();
  const ip = loopbackIP();
  // As create leaves a provisioned machine: its URL and IP remembered, so
  // env, config, url, status and ip need no driver while its daemon proves it.
  addFakeMachine(sb, 'dev', { ip, lastURL: `tcp://${ip}:2376` });
  await sb.store.update('dev', (h) => {
    h.Machine = { ...(h.Machine ?? {}), LastIP: ip };
  });
  addFakeMachine(sb, 'cold', { ip });
  const daemon = await startDaemon(sb, 'dev', ip);
  try {
    const cli = (...a: string[]): string[] => [process.execPath, RUN_JS, ...a];
    const none = (): Record<string, string | number> => ({});
    await measure('machine version', cli('version'), sb.env, N, none, { label: '`version`' });

    // Driver processes started during a measurement (all its runs): none when every proof came in time.
    const startsFrom = (before: number) => () => ({ driverStarts: sb.spawned().length - before });
    await measure('machine env NAME (remembered URL, TLS check)', cli('env', 'dev'), sb.env, N, startsFrom(sb.spawned().length), {
      label: '`env NAME`',
      maxRatio: 1.3,
    });
    await measure('machine url NAME (remembered URL, proven by the daemon)', cli('url', 'dev'), sb.env, N, startsFrom(sb.spawned().length), { label: '`url NAME`', maxRatio: 2.5 });
    await measure('machine url NAME via oclif (for comparison)', cli('url', 'dev'), { ...sb.env, MACHINE_NO_FAST_PATH: '1' }, Math.min(N, 7));
    await measure('machine status NAME (proven by the daemon)', cli('status', 'dev'), sb.env, N, startsFrom(sb.spawned().length), { label: '`status NAME`', maxRatio: 2.5 });
    // What url, status and ip cost when the machine cannot prove itself
    // (nothing remembered yet, say): the driver is started and asked.
    const coldWall = await measure('machine status NAME, nothing remembered (driver asked)', cli('status', 'cold'), sb.env, N, none, {
      label: '`status NAME`, nothing remembered (driver asked)',
    });
    await cpu('machine status NAME, driver asked: CPU of CLI and driver (user + sys)', cli('status', 'cold'), sb.env, coldWall);
    await measure('machine ip NAME (remembered IP, proven by the daemon)', cli('ip', 'dev'), sb.env, N, startsFrom(sb.spawned().length), { label: '`ip NAME`', maxRatio: 2.5 });
    await measure('machine config NAME', cli('config', 'dev'), sb.env, N, none, { label: '`config NAME`', maxRatio: 1.3 });
    await measure('machine inspect NAME', cli('inspect', 'dev'), sb.env, N, none, { label: '`inspect NAME`', maxRatio: 1.3 });
    // Floors of a command that starts a driver, measured the same way: what
    // the CLI's gRPC side costs to load before its first call, and two Node
    // starts one after the other, as a CLI that starts its driver has.
    const runtime = path.join(path.dirname(require.resolve('@machine/driver-sdk/package.json')), 'dist', 'runtime.js');
    const runtimeLoad = `require(${JSON.stringify(runtime)})`;
    await measure('floor: node loading the gRPC runtime a driver command loads', [process.execPath, '-e', runtimeLoad], sb.env, N, none, {
      label: 'floor: Node + the gRPC runtime',
    });
    // How well two busy Node processes overlap here: a driver command's CLI
    // and driver both load gRPC at about the same time.
    await measure(
      'floor: two nodes loading the gRPC runtime at once',
      ['/bin/sh', '-c', '"$1" -e "$2" & "$1" -e "$2"; wait', 'sh', process.execPath, runtimeLoad],
      sb.env,
      N,
      none,
      { label: 'floor: two Nodes loading the gRPC runtime at once' },
    );
    // The floor of env and config: Node making the connection check the
    // reference makes (a TLS handshake with the client certificate, the
    // daemon's certificate read in its cheaper form, without the chain) and
    // nothing else.
    const certs = defaultCertPaths(sb.store.root);
    const handshake = `const fs = require('fs'), tls = require('tls');
const context = tls.createSecureContext({ ca: [], cert: fs.readFileSync(${JSON.stringify(certs.clientCertPath)}), key: fs.readFileSync(${JSON.stringify(certs.clientKeyPath)}) });
const s = tls.connect({ host: ${JSON.stringify(ip)}, port: 2376, secureContext: context, rejectUnauthorized: false, checkServerIdentity: () => undefined });
s.once('secureConnect', () => process.exit(s.getPeerCertificate(false).raw ? 0 : 2));
s.once('error', () => process.exit(1));`;
    await measure('floor: node making a TLS handshake with the client certificate', [process.execPath, '-e', handshake], sb.env, N, none, {
      label: 'floor: Node + one TLS handshake (env, config)',
    });
    await measure('floor: node starting node -e 0 and waiting for it', [process.execPath, '-e', `require('child_process').spawnSync(process.execPath, ['-e', '0'])`], sb.env, N, none, {
      label: 'floor: two Node starts in a row',
    });
    // For comparison with runs before the baseline shared the command's
    // environment: Node's start in the environment the bench itself runs in.
    // xNode here is that start against the sandbox's (NODE_EXTRA_CA_CERTS, for one, makes it dearer).
    const own = await paired([process.execPath, '-e', '0'], process.env, Math.min(N, 7), sb.env);
    report('node -e 0 in the bench\'s own environment', own.samples, { xNode: (median(own.samples) / median(own.node)).toFixed(2) });
  } finally {
    await daemon.close();
    sb.cleanup();
  }

  const lsMedians: Record<number, number> = {};
  // 21 and 100 are the store sizes docker-machine 0.16.2 was measured on (issue targets).
  for (const count of [1, 21, 50, 100]) {
    const s = sandbox();
    try {
      for (let i = 1; i <= count; i++) addFakeMachine(s, `m${i}`, { ip: '127.0.0.1', power: i % 2 ? 'Running' : 'Stopped' });
      const before = s.spawned().length;
      const n = count === 21 ? N : Math.min(N, 7);
      const target: Target | undefined =
        count === 21 ? { label: '`ls`, 21 machines, half stopped (driver asked)', maxRatio: 4.5 } : count === 100 ? { label: '`ls`, 100 machines', maxRatio: 10 } : undefined;
      const samples = await measure(
        `machine ls, ${count} machine${count > 1 ? 's' : ''}`,
        [process.execPath, RUN_JS, 'ls'],
        s.env,
        n,
        () => ({ driverProcessesPerLs: ((s.spawned().length - before) / (n + 1)).toFixed(2) }),
        target,
      );
      lsMedians[count] = median(samples);
      if (count === 21) await cpu('machine ls, 21 machines: CPU of CLI and driver (user + sys)', [process.execPath, RUN_JS, 'ls'], s.env, samples);
      if (count === 21) await measure('machine ls -q, 21 machines', [process.execPath, RUN_JS, 'ls', '-q'], s.env, Math.min(N, 7), () => ({}), { label: '`ls -q`, 21 machines' });
    } finally {
      s.cleanup();
    }
  }
  // As create leaves machines that run: each remembers its URL, and its own
  // daemon presents its own certificate there, so ls asks no driver.
  {
    const s = sandbox();
    const daemons: Daemon[] = [];
    try {
      for (let i = 1; i <= 21; i++) {
        const at = loopbackIP();
        addFakeMachine(s, `m${i}`, { ip: at, lastURL: `tcp://${at}:2376` });
        daemons.push(await startDaemon(s, `m${i}`, at));
      }
      const before = s.spawned().length;
      await measure('machine ls, 21 running machines that prove it', [process.execPath, RUN_JS, 'ls'], s.env, N, () => ({ driverStarts: s.spawned().length - before }), {
        label: '`ls`, 21 machines, all running (proven)',
        maxRatio: 4.5,
      });
    } finally {
      await Promise.all(daemons.map((d) => d.close()));
      s.cleanup();
    }
  }
  report('node -e 0 (interleaved with the above)', allNode);
  const slope = (lsMedians[100] - lsMedians[21]) / 79;
  report('machine ls, per extra machine (slope 21→100; target < 2 ms)', [slope], { from1to50: ((lsMedians[50] - lsMedians[1]) / 49).toFixed(2) });
  process.stdout.write(`\nTargets (issue 10), each ratio to \`node -e 0\` run alternately with it, in the same environment:\n\n${targetTable(table, slope)}`);
}
