// Runs the conformance kit against every driver this repository ships: the
// core's (cli/package.json), the bundled plugins (plugins/driver-*), and the
// fake test driver. A driver whose executable does not exist yet gets no
// block at all.
//
// A package can tune the kit per driver in its package.json:
//   "machine": { "conformance": { "docker": { "createFlags": { ... } } } }
// Without such an entry the cancellation check is left out for that driver:
// a Create with default flags could reach a real cloud or engine, and tests
// only touch loopback and what the test run made itself.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runConformance, type ConformanceOptions } from '@machine/driver-sdk/conformance';
import type { FlagValues } from '@machine/driver-sdk';

const root = path.resolve(__dirname, '..', '..', '..');

interface PackageJson {
  machine?: {
    drivers?: Record<string, string>;
    conformance?: Record<string, { createFlags?: FlagValues | false; lifecycleFlags?: FlagValues }>;
  };
}

function packages(): string[] {
  const dirs = [path.join(root, 'cli')];
  const plugins = path.join(root, 'plugins');
  for (const e of fs.existsSync(plugins) ? fs.readdirSync(plugins).sort() : []) {
    if (e.startsWith('driver-')) dirs.push(path.join(plugins, e));
  }
  return dirs;
}

for (const dir of packages()) {
  const pj = path.join(dir, 'package.json');
  if (!fs.existsSync(pj)) continue;
  const pkg = JSON.parse(fs.readFileSync(pj, 'utf8')) as PackageJson;
  for (const [name, rel] of Object.entries(pkg.machine?.drivers ?? {})) {
    const exe = path.join(dir, rel);
    if (!fs.existsSync(exe)) continue;
    const tuned = pkg.machine?.conformance?.[name];
    const options: ConformanceOptions = { name, createFlags: tuned?.createFlags ?? false, lifecycleFlags: tuned?.lifecycleFlags };
    runConformance(exe, options);
  }
}

runConformance(path.join(root, 'test', 'bin', 'machine-driver-fake'), {
  name: 'fake',
  createFlags: { 'fake-create-delay-ms': 20_000 },
  lifecycleFlags: { 'fake-ip': '10.9.8.7', 'fake-labels': ['a', 'b'] },
});
