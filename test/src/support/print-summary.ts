// Sums the per-suite records written by summary-reporter and prints the
// closing line that CI reads, preceded by every failure of every suite.
import * as fs from 'node:fs';

interface SuiteRecord {
  suite?: string;
  passed: number;
  failed: number;
  skipped: number;
  failures?: { title: string; error: string }[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: print-summary SUMMARY_FILE');
const records = fs
  .readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as SuiteRecord);
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
