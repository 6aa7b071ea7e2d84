/**
 * Standalone driver executables installed with `machine driver install`:
 * each is copied to installedDriversDir() (<data dir>/drivers, see discover.ts)
 * as machine-driver-NAME, and its SHA-256
 * goes beside it in machine-driver-NAME.sha256 (the format of sha256sum, so
 * `sha256sum -c` checks it too). Before each launch the file is checked
 * and refused when it no longer matches: a driver runs with the user's cloud
 * credentials, and a binary replaced behind the user's back must not.
 *
 * Hashing a 100 MB single-executable driver takes 150 to 250 ms, more than
 * starting it, so a file that matched is remembered by its inode, size and
 * change time (.machine-driver-NAME.verified) and hashed again only when one
 * of them moved. Any write to the file moves its ctime, which only the
 * kernel sets: putting back the mtime (touch -d) does not hide a change.
 * As git does with "racily clean" files, a file changed less than
 * RACY_MS ago is not remembered: a second write within the same clock tick
 * of the file system's timestamps would leave every stamp as it was.
 *
 * API:
 *   installDriver(file, env, { force })  → { name, path, sha256 }; the name is the one the driver reports
 *   removeInstalledDriver(name, env)     → the path removed; MachineError when not installed
 *   verifyInstalledDriver(location)      → resolves when the file matches its recorded SHA-256
 *   sha256OfFile(file)                   → hex digest
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { LaunchOptions, DriverClient } from '@machine/driver-sdk';
import { MachineError, errorMessage } from '../errors';
import { driverNameProblem } from '../names';
import { DRIVER_PREFIX, installedDriversDir, type DriverLocation } from './discover';

export const DIGEST_SUFFIX = '.sha256';

/** The SHA-256 of a file, read in chunks so a 100 MB executable is never held whole in memory. */
export async function sha256OfFile(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file, { highWaterMark: 1 << 20 }), hash);
  return hash.digest('hex');
}

function recordedDigest(driverPath: string): string | undefined {
  try {
    const first = fs.readFileSync(driverPath + DIGEST_SUFFIX, 'utf8').trim().split(/\s+/)[0];
    return /^[0-9a-f]{64}$/.test(first) ? first : undefined;
  } catch {
    return undefined;
  }
}

/** The one line a refused driver gets: what is wrong and the two ways out. */
function refusal(loc: DriverLocation, problem: string): MachineError {
  return new MachineError(
    'driver',
    `Driver "${loc.name}" refused: ${loc.path} ${problem}; reinstall it with "machine driver install FILE --force" or remove it with "machine driver rm ${loc.name}".`,
  );
}

interface VerifiedStamp {
  sha256: string;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

function verifiedStampPath(driverPath: string): string {
  return path.join(path.dirname(driverPath), `.${path.basename(driverPath)}.verified`);
}

function stampOf(st: fs.Stats, sha256: string): VerifiedStamp {
  return { sha256, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
}

function sameStamp(a: VerifiedStamp, b: VerifiedStamp): boolean {
  return a.sha256 === b.sha256 && a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

function rememberVerified(driverPath: string, stamp: VerifiedStamp): void {
  try {
    fs.writeFileSync(verifiedStampPath(driverPath), JSON.stringify(stamp) + '\n', { mode: 0o644 });
  } catch {
    // Read-only drivers directory: every launch hashes.
  }
}

/** Longer than the coarsest timestamp granularity of the file systems a home directory is on. */
export const RACY_MS = 2000;

export async function verifyInstalledDriver(loc: DriverLocation, options: { now?: () => number } = {}): Promise<void> {
  const recorded = recordedDigest(loc.path);
  if (!recorded) throw refusal(loc, `has no SHA-256 recorded in ${path.basename(loc.path)}${DIGEST_SUFFIX}`);
  const before = fs.statSync(loc.path);
  try {
    const known = JSON.parse(fs.readFileSync(verifiedStampPath(loc.path), 'utf8')) as VerifiedStamp;
    if (sameStamp(known, stampOf(before, recorded))) return;
  } catch {
    // Not verified yet, or the stamp is unreadable: hash.
  }
  const actual = await sha256OfFile(loc.path);
  if (actual !== recorded) {
    throw refusal(loc, `does not match the SHA-256 recorded when it was installed (recorded ${recorded.slice(0, 12)}…, now ${actual.slice(0, 12)}…)`);
  }
  // Remembered only if nothing changed the file while it was read, and not just now.
  const now = (options.now ?? Date.now)();
  if (now - before.ctimeMs > RACY_MS && sameStamp(stampOf(before, actual), stampOf(fs.statSync(loc.path), actual))) {
    rememberVerified(loc.path, stampOf(before, actual));
  }
}

type LaunchDriver = (options: LaunchOptions) => Promise<DriverClient>;

/** The driver's own name, from its metadata: it is the name users pass to `create -d`. */
async function reportedName(copy: string, source: string, env: NodeJS.ProcessEnv, launch: LaunchDriver): Promise<string> {
  let client: DriverClient;
  try {
    client = await launch({ name: path.basename(source), path: copy, env });
  } catch (e) {
    const why = errorMessage(e).split('\n')[0].split(copy).join(source);
    throw new MachineError('driver', `${source} is not a working machine driver: ${why}`);
  }
  try {
    return client.metadata.name;
  } finally {
    await client.close();
  }
}

export interface InstallOptions {
  force?: boolean;
  /** Replaces the SDK's launchDriver (tests). */
  launch?: LaunchDriver;
}

export async function installDriver(file: string, env: NodeJS.ProcessEnv, options: InstallOptions = {}): Promise<{ name: string; path: string; sha256: string }> {
  const source = path.resolve(file);
  let st: fs.Stats;
  try {
    st = fs.statSync(source);
  } catch {
    throw new MachineError('usage', `${file}: no such file`);
  }
  if (!st.isFile()) throw new MachineError('usage', `${file} is not a file`);
  const launch = options.launch ?? (((await import('@machine/driver-sdk/host')) as { launchDriver: LaunchDriver }).launchDriver);

  const dir = installedDriversDir(env);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Copied first and checked as copied: what was hashed and started is what gets installed.
  const partial = path.join(dir, `.${path.basename(source)}.${process.pid}.partial`);
  try {
    fs.copyFileSync(source, partial);
    fs.chmodSync(partial, 0o755);
    const name = await reportedName(partial, source, env, launch);
    const problem = driverNameProblem(name);
    if (problem) throw new MachineError('driver', `${file} reports the driver name ${JSON.stringify(name)}: ${problem}`);
    const target = path.join(dir, DRIVER_PREFIX + name);
    if (fs.existsSync(target) && !options.force) {
      throw new MachineError('usage', `Driver "${name}" is already installed at ${target}; add --force to replace it, or run "machine driver rm ${name}" first.`);
    }
    const sha256 = await sha256OfFile(partial);
    // The digest goes first: a crash between the two renames leaves a driver
    // that is refused (old digest, or none), never one that runs unchecked.
    const digestPartial = `${partial}${DIGEST_SUFFIX}`;
    fs.writeFileSync(digestPartial, `${sha256}  ${DRIVER_PREFIX}${name}\n`, { mode: 0o644 });
    fs.renameSync(digestPartial, target + DIGEST_SUFFIX);
    fs.rmSync(verifiedStampPath(target), { force: true });
    fs.renameSync(partial, target);
    return { name, path: target, sha256 };
  } finally {
    fs.rmSync(partial, { force: true });
    fs.rmSync(`${partial}${DIGEST_SUFFIX}`, { force: true });
  }
}

export function removeInstalledDriver(name: string, env: NodeJS.ProcessEnv): string {
  const problem = driverNameProblem(name);
  if (problem) throw new MachineError('invalid-driver-name', `Invalid driver name ${JSON.stringify(name)}: ${problem}.`);
  const target = path.join(installedDriversDir(env), DRIVER_PREFIX + name);
  if (!fs.existsSync(target) && !fs.existsSync(target + DIGEST_SUFFIX)) {
    throw new MachineError('usage', `Driver "${name}" is not installed in ${installedDriversDir(env)} (only drivers added with "machine driver install" can be removed this way).`);
  }
  fs.rmSync(target, { force: true });
  fs.rmSync(target + DIGEST_SUFFIX, { force: true });
  fs.rmSync(verifiedStampPath(target), { force: true });
  return target;
}
