// Shared by sea*.test.ts and the benchmarks: the executables of
// `npm run package`, built at most once per test run. scripts/package.js
// itself skips a binary whose inputs have not changed since the last build
// (dist/bin/.inputs.json), so a run after an unchanged tree takes seconds.
import * as path from 'node:path';
import { explain, run } from './generic-support';

export const ROOT = path.resolve(__dirname, '../../..');
export const DIST_BIN = path.join(ROOT, 'dist', 'bin');
export const SEA_CLI = path.join(DIST_BIN, `machine-${process.platform}-${process.arch}`);
/** Every driver the repository bundles: the core's two and the plugins'. */
export const SEA_DRIVERS = ['generic', 'none', 'amazonec2', 'digitalocean', 'docker', 'openstack', 'virtualbox'];

const builds = new Map<string, Promise<void>>();

export function ensurePackaged(only: 'drivers' | 'cli'): Promise<void> {
  let build = builds.get(only);
  if (!build) {
    build = run(process.execPath, [path.join(ROOT, 'scripts', 'package.js'), '--only', only], { cwd: ROOT }).then((r) => {
      if (r.code !== 0) throw new Error(`node scripts/package.js --only ${only} failed: ${explain(r)}`);
    });
    builds.set(only, build);
  }
  return build;
}
