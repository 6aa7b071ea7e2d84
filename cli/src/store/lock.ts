// One lock per machine, so that two commands never interleave their
// read-modify-write of the same config.json. The primitive is the driver
// SDK's (proper-lockfile with a live-holder check), shared with the drivers:
// a live holder's lock is never broken, a dead holder's is taken over at once.
// The holder record names the pid and the command, never its arguments.
import type { LockHolder } from '@machine/driver-sdk/lock';
import { MachineError } from '../errors';

type SdkLock = typeof import('@machine/driver-sdk/lock');
let sdkLock: SdkLock | undefined;

/**
 * The SDK's lock module, loaded on first use: it brings proper-lockfile and
 * graceful-fs, which read-only commands (env, url, status...) never need and
 * would otherwise load at start-up.
 */
function sdk(): SdkLock {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (sdkLock ??= require('@machine/driver-sdk/lock') as SdkLock);
}

export type LockOwner = LockHolder;

export interface LockOptions {
  /** How long to wait for a held lock, in ms (default 30 s; 0 fails at once). */
  waitMs?: number;
  /** Poll interval while waiting (default 50 ms). */
  pollMs?: number;
}

export type Release = () => void;

/** Try once; returns a release function or the current holder (pid 0 when unknown). */
export function tryLock(file: string): Release | LockOwner {
  const r = sdk().tryLockFile(file);
  if (typeof r === 'function') return r;
  return r.holder ?? { pid: 0, host: '', since: '', command: '' };
}

/** The live process holding the lock at `file`, if any. */
export function lockHolder(file: string): LockOwner | undefined {
  return sdk().liveHolder(file);
}

export async function acquireLock(file: string, what: string, options: LockOptions = {}): Promise<Release> {
  const { describeHolder, liveHolder, lockFile, LockBusyError } = sdk();
  try {
    return await lockFile(file, { waitMs: options.waitMs, pollMs: options.pollMs });
  } catch (err) {
    if (!(err instanceof LockBusyError)) throw err;
    const live = err.holder !== undefined && liveHolder(file)?.pid === err.holder.pid;
    const advice = live ? 'Wait for that command to finish, or stop it.' : `If no such process runs, remove ${file}.`;
    throw new MachineError('locked', `${what} is busy: ${describeHolder(err.holder)} holds its lock ${file}. ${advice}`);
  }
}
