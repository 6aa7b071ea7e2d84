// Sums the per-suite records written by summary-reporter and prints the
// closing line that CI reads.
import * as fs from 'node:fs';

interface SuiteRecord {
  passed: number;
  failed: number;
  skipped: number;
}

const file = process.argv[2];
if (!file) throw new Error('usage: print-summary SUMMARY_FILE');
const records = fs
  .readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as SuiteRecord);
const total = records.reduce(
  (acc, r) => ({ passed: acc.passed + r.passed, failed: acc.failed + r.failed, skipped: acc.skipped + r.skipped }),
  { passed: 0, failed: 0, skipped: 0 },
);
const skipped = total.skipped ? `, ${total.skipped} skipped` : '';
process.stdout.write(`tests: ${total.passed} passed, ${total.failed} failed${skipped}\n`);
