// Runs every benchmark module in this directory and prints medians.
// Each module exports `bench(report)`; a module that throws is reported and
// the others still run, so one broken scenario does not hide the rest.
// Usage: node test/lib/bench/run.js [name-filter]
import * as fs from 'node:fs';
import * as path from 'node:path';

export type Report = (name: string, samplesMs: number[], extra?: Record<string, string | number>) => void;

interface BenchModule {
  bench(report: Report): Promise<void>;
}

export function median(samples: number[]): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

interface Row {
  module: string;
  name: string;
  n: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  extra: Record<string, string | number>;
}

async function main(): Promise<void> {
  const filter = process.argv[2];
  const dir = __dirname;
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.js') && f !== 'run.js' && !f.endsWith('.test.js'))
    .filter((f) => !filter || f.includes(filter))
    .sort();
  const rows: Row[] = [];
  let failures = 0;
  for (const file of files) {
    const moduleName = path.basename(file, '.js');
    process.stdout.write(`\n## ${moduleName}\n`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(dir, file)) as Partial<BenchModule>;
    if (typeof mod.bench !== 'function') continue;
    try {
      await mod.bench((name, samplesMs, extra = {}) => {
        const row: Row = {
          module: moduleName,
          name,
          n: samplesMs.length,
          medianMs: median(samplesMs),
          minMs: Math.min(...samplesMs),
          maxMs: Math.max(...samplesMs),
          extra,
        };
        rows.push(row);
        const extras = Object.entries(extra)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
        process.stdout.write(
          `${name.padEnd(58)} median ${row.medianMs.toFixed(1).padStart(8)} ms  (n=${row.n}, min ${row.minMs.toFixed(1)}, max ${row.maxMs.toFixed(1)}) ${extras}\n`,
        );
      });
    } catch (err) {
      failures++;
      process.stdout.write(`FAILED: ${(err as Error).stack ?? String(err)}\n`);
    }
  }
  const out = path.resolve(dir, '../../.state/bench.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
  process.stdout.write(`\nresults written to ${path.relative(process.cwd(), out)}\n`);
  if (failures) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
