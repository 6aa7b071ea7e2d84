// What the cloud drivers' test harnesses share.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A new folder in the system's temp directory. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The path of a driver package's executable, as `machine plugins install` would find it. */
export function driverBin(driver: string): string {
  return path.resolve(__dirname, `../../../../plugins/driver-${driver}/bin/machine-driver-${driver}`);
}

/** This process's environment without the variables whose names start with one of `prefixes` (a user's own credentials). */
export function envWithout(prefixes: string[], extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!prefixes.some((p) => k.startsWith(p))) env[k] = v;
  return { ...env, ...extra };
}
