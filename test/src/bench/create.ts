// `machine create -d generic` on a host that already has Docker, the
// reference's 6.7 s scenario: wall time of the real CLI, and the time of
// each phase as create reports it with --json.
import { startHost } from '../hosts';
import { explain, genericFlags, Sandbox } from '../e2e/generic-support';

type Report = (name: string, samplesMs: number[], extra?: Record<string, string | number>) => void;

const REFERENCE_MS = 6700;
const RUNS = Number(process.env.MACHINE_BENCH_CREATE_RUNS ?? 5);
const PHASES = ['startup', 'driverLaunch', 'sshWait', 'detection', 'certificates', 'configuration', 'daemonWait'] as const;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function bench(report: Report): Promise<void> {
  const sb = new Sandbox();
  const host = await startHost({ flavour: 'docker' });
  try {
    // The first create makes the store's CA and client certificate; it is not a sample.
    await sb.ok(['create', ...genericFlags(host), 'warmup']);
    await sb.ok(['rm', '-y', 'warmup']);
    const wall: number[] = [];
    const phases: Record<string, number[]> = {};
    for (let i = 0; i < RUNS; i++) {
      const name = `bench-${i}`;
      const t0 = performance.now();
      const r = await sb.cli(['create', ...genericFlags(host), '--json', name]);
      const ms = performance.now() - t0;
      if (r.code !== 0) throw new Error(`create failed: ${explain(r)}`);
      wall.push(ms);
      const out = JSON.parse(r.stdout) as { Phases: Record<string, number> };
      for (const [k, v] of Object.entries(out.Phases)) (phases[k] ??= []).push(v);
      await sb.ok(['rm', '-y', name]);
    }
    const m = median(wall);
    report('create -d generic, host has Docker (wall)', wall, { reference_ms: REFERENCE_MS, ratio_to_reference: (m / REFERENCE_MS).toFixed(2) });
    for (const p of PHASES) if (phases[p]) report(`create -d generic, phase ${p}`, phases[p]);
  } finally {
    await host.remove().catch(() => undefined);
    sb.cleanup();
  }
}
