// Mocha reporter: the spec reporter's output, plus the counts of the run
// appended to $MACHINE_TEST_SUMMARY so run-all.sh can print one total for
// every suite. A run with zero tests is recorded as a failure, so that a
// suite whose files vanished cannot pass silently.
import * as fs from 'node:fs';
import Mocha from 'mocha';

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const stats = runner.stats;
      const file = process.env.MACHINE_TEST_SUMMARY;
      if (!stats || !file) return;
      const record = { passed: stats.passes, failed: stats.failures + (stats.tests === 0 ? 1 : 0), skipped: stats.pending };
      fs.appendFileSync(file, JSON.stringify(record) + '\n');
    });
  }
}

export = SummaryReporter;
