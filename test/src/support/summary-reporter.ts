// Mocha reporter: the spec reporter's output, plus the counts of the run
// appended to $MACHINE_TEST_SUMMARY so run-all.sh can print one total for
// every suite. A run with zero tests is recorded as a failure, so that a
// suite whose files vanished cannot pass silently. Failures are recorded
// too, because CI keeps only the tail of a long log: the closing summary
// repeats them there. The time spent in each test file is recorded as well,
// so the closing summary can name the slowest files (what decides how the
// suites are split into lanes).
//
// One JSON line per mocha run, written with a single appendFileSync; each
// lane of run-all.sh has a summary file of its own all the same, so that no
// two processes ever append to one file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

const MAX_ERROR_CHARS = 1500;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const failures: { title: string; error: string }[] = [];
    const fileMs = new Map<string, number>();
    const started = new Map<Mocha.Suite, number>();
    // A file's top-level suites (its describe blocks) and hooks add up to the time the file takes.
    runner.on(Mocha.Runner.constants.EVENT_SUITE_BEGIN, (suite: Mocha.Suite) => {
      if (suite.file && suite.parent?.root) started.set(suite, Date.now());
    });
    runner.on(Mocha.Runner.constants.EVENT_SUITE_END, (suite: Mocha.Suite) => {
      const begin = started.get(suite);
      if (begin === undefined || !suite.file) return;
      const file = path.relative(process.cwd(), suite.file);
      fileMs.set(file, (fileMs.get(file) ?? 0) + Date.now() - begin);
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test: Mocha.Test, err: unknown) => {
      const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
      failures.push({ title: test.fullTitle(), error: text.slice(0, MAX_ERROR_CHARS) });
    });
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const stats = runner.stats;
      const file = process.env.MACHINE_TEST_SUMMARY;
      if (!stats || !file) return;
      const suite = process.env.MACHINE_TEST_SUITE ?? '';
      const record = {
        suite,
        passed: stats.passes,
        failed: stats.failures + (stats.tests === 0 ? 1 : 0),
        skipped: stats.pending,
        failures: stats.tests === 0 ? [{ title: '(no tests ran)', error: '' }, ...failures] : failures,
        durationMs: stats.duration ?? 0,
        files: [...fileMs].map(([file, ms]) => ({ file, ms })),
      };
      fs.appendFileSync(file, JSON.stringify(record) + '\n');
    });
  }
}

export = SummaryReporter;
