// Removes the test hosts and networks of one run:
//   node test/lib/hosts/cleanup.js [RUN_ID]     (default: $MACHINE_TEST_RUN_ID)
// test/run-all.sh runs it on exit, so that even a suite killed midway
// leaves nothing behind.
import { cleanupTestHosts } from './hosts';

const run = process.argv[2] ?? process.env.MACHINE_TEST_RUN_ID;
if (!run) {
  console.error('error: name the run: node test/lib/hosts/cleanup.js RUN_ID (or set MACHINE_TEST_RUN_ID)');
  process.exit(2);
}
cleanupTestHosts(run).then(
  (r) => {
    if (r.containers || r.networks) console.log(`removed ${r.containers} test host(s) and ${r.networks} network(s) of run ${run}`);
  },
  (err: unknown) => {
    console.error(`error: removing the test hosts of run ${run} failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
