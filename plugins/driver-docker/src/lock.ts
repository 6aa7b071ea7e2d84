// A cross-process lock per key. Parallel creates each run in their own driver
// process, and the engine does not serialise "create network if absent".
// The primitive is the SDK's, shared with the core's store: a live holder's
// lock is never broken, a dead one's is taken over at once, and a release
// deletes only the releaser's own lock. The files live in a private
// directory of the user's (not under a predictable name in the shared /tmp).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { lockFile } from '@machine/driver-sdk/lock';

/** $XDG_RUNTIME_DIR/machine-driver-docker, else the user's cache directory; 0700 either way. */
export function lockDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_RUNTIME_DIR
    ? path.join(env.XDG_RUNTIME_DIR, 'machine-driver-docker')
    : path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'machine-driver-docker', 'locks');
  fs.mkdirSync(base, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(base);
  if (!st.isDirectory() || (typeof process.getuid === 'function' && st.uid !== process.getuid())) {
    throw new Error(`the lock directory ${base} is not a directory of this user's`);
  }
  if ((st.mode & 0o077) !== 0) fs.chmodSync(base, 0o700);
  return base;
}

export function lockPathFor(key: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(lockDir(env), `${createHash('sha256').update(key).digest('hex').slice(0, 16)}.lock`);
}

export async function withLock<T>(key: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const file = lockPathFor(key);
  let release: (() => void) | undefined;
  while (!release) {
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    try {
      release = await lockFile(file, { waitMs: 1_000, command: 'driver-docker', signal });
    } catch (err) {
      if ((err as Error).name !== 'LockBusyError') throw err;
    }
  }
  try {
    return await fn();
  } finally {
    release();
  }
}
