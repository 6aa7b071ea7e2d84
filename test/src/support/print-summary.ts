// Sums the per-suite records written by summary-reporter and prints the
// closing line that CI reads, preceded by the slowest test files and every
// failure of every suite:
//   print-summary SUMMARY_FILE...   (one file per lane of test/run-all.sh)
// A file that does not exist counts as empty: a lane that died before its
// first suite ended wrote none, and its failure is reported by run-all.sh.
import * as fs from 'node:fs';

const SLOWEST_FILES = 10;

interface SuiteRecord {
  suite?: string;
  passed: number;
  failed: number;
  skipped: number;
  failures?: { title: string; error: string }[];
  durationMs?: number;
  files?: { file: string; ms: number }[];
}

const files = process.argv.slice(2);
if (files.length === 0) throw new Error('usage: print-summary SUMMARY_FILE...');
const records = files
  .filter((f) => fs.existsSync(f))
  .flatMap((f) => fs.readFileSync(f, 'utf8').split('\n'))
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as SuiteRecord);

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const timed = records.flatMap((r) => (r.files ?? []).map((f) => ({ ...f, suite: r.suite ?? '' })));
if (timed.length > 0) {
  process.stdout.write(`\n==> suite times: ${records.map((r) => `${r.suite ?? '?'} ${seconds(r.durationMs ?? 0)}`).join(', ')}\n`);
  process.stdout.write(`==> slowest test files\n`);
  for (const f of timed.sort((a, b) => b.ms - a.ms).slice(0, SLOWEST_FILES)) {
    process.stdout.write(`${seconds(f.ms).padStart(9)}  [${f.suite}] ${f.file}\n`);
  }
}
const failures = records.flatMap((r) => (r.failures ?? []).map((f) => ({ ...f, suite: r.suite ?? '' })));
if (failures.length > 0) {
  process.stdout.write(`\n==> failures (${failures.length})\n`);
  for (const [i, f] of failures.entries()) {
    process.stdout.write(`\n${i + 1}) [${f.suite}] ${f.title}\n${f.error.replace(/^/gm, '   ')}\n`);
  }
  process.stdout.write('\n');
}
const total = records.reduce(
  (acc, r) => ({ passed: acc.passed + r.passed, failed: acc.failed + r.failed, skipped: acc.skipped + r.skipped }),
  { passed: 0, failed: 0, skipped: 0 },
);
const skipped = total.skipped ? `, ${total.skipped} skipped` : '';
process.stdout.write(`tests: ${total.passed} passed, ${total.failed} failed${skipped}\n`);
