// Builds the test hosts' machine images when missing or out of date, with
// plain progress lines, and removes test hosts left by dead runs. Run by
// test/run-all.sh before the suites; quick when everything is cached.
import { cleanupAbandonedTestHosts, engine } from './hosts';
import { prepareImages } from './images';

async function main(): Promise<void> {
  const started = Date.now();
  try {
    await engine().ping();
  } catch (err) {
    throw new Error(`no Docker engine answers (${(err as Error).message}); start one with: bash scripts/ensure-dockerd.sh`);
  }
  const abandoned = await cleanupAbandonedTestHosts();
  if (abandoned.length) console.log(`removed test hosts of ended runs: ${abandoned.join(', ')}`);
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const images = await prepareImages({ signal: ac.signal, onProgress: (flavour, line) => console.log(`  [${flavour}] ${line}`) });
  for (const i of images) console.log(`${i.tag}: ${i.built ? `built in ${(i.ms / 1000).toFixed(1)} s` : 'up to date'}`);
  console.log(`test-host images ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(`error: preparing test hosts failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
