// One npm registry for a whole test run, shared by every suite:
//   node test/lib/registry/run-registry.js ENV_FILE
// Starts verdaccio as the suites' own registry would (the lock file mirrored,
// a publisher account), then writes ENV_FILE with the two variables that make
// test/lib/registry reuse it (MACHINE_TEST_NPM_REGISTRY and
// MACHINE_TEST_NPM_REGISTRY_DIR), shell-quoted for `source`. It runs until
// SIGTERM or SIGINT; verdaccio also exits, taking its files along, when this
// process dies any other way (see serve.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REGISTRY_DIR_ENV, REGISTRY_ENV, REPO, npmEnv, runCommand, startVerdaccio } from './index';

async function main(): Promise<void> {
  const envFile = process.argv[2];
  if (!envFile) throw new Error('usage: run-registry.js ENV_FILE');
  const cache = await runCommand('npm', ['config', 'get', 'cache'], { env: npmEnv() });
  if (cache.code !== 0) throw new Error(`npm config get cache failed: ${cache.stderr}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'machine-test-registry-'));
  const verdaccio = await startVerdaccio(dir, { lockfile: path.join(REPO, 'package-lock.json'), npmCache: cache.stdout.trim() });
  const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  // Written whole, then renamed: the shell that waits for it never reads half a file.
  fs.writeFileSync(`${envFile}.tmp`, `export ${REGISTRY_ENV}=${quote(verdaccio.url)}\nexport ${REGISTRY_DIR_ENV}=${quote(dir)}\n`);
  fs.renameSync(`${envFile}.tmp`, envFile);
  const stop = () => {
    void verdaccio.stop().finally(() => {
      fs.rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // Nothing else keeps the event loop busy once verdaccio's child is detached from it.
  setInterval(() => undefined, 1 << 30);
}

main().catch((err: unknown) => {
  process.stderr.write(`run-registry: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
