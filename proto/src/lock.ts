// The cross-process lock of the core's store and of the drivers. Mutual
// exclusion is proper-lockfile's (an atomic mkdir of `<file>`, its mtime kept
// fresh while held). Its mtime staleness alone can break the lock of a live
// holder whose event loop stalls, so a holder record beside the lock
// (`<file>.holder`: pid, host, command name; nothing else) decides first:
//   - a live holder on this host is never stale, however old the mtime;
//   - a holder on this host that is gone is stale at once (no wait after a crash);
//   - without a record (a taker between mkdir and writing it, another host)
//     the mtime decides.
import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { isProcessAlive } from './process-alive';

export interface LockHolder {
  pid: number;
  host: string;
  /** The command's name only ("create"), never its arguments: flag values can be secrets. */
  command: string;
  since: string;
}

export interface FileLockOptions {
  /** How long to wait for a held lock, in ms (default 30 s; 0 fails at once). */
  waitMs?: number;
  /** Poll interval while waiting (default 50 ms). */
  pollMs?: number;
  /** The name recorded for this holder (default: the command name found in argv). */
  command?: string;
  signal?: AbortSignal;
}

export type ReleaseLock = () => void;

/** Thrown when the lock stays held by another live process. */
export class LockBusyError extends Error {
  constructor(
    readonly file: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(`${file} is held by ${describeHolder(holder)}`);
    this.name = 'LockBusyError';
  }
}

/** Without a holder record, a lock this old is abandoned (proper-lockfile's mtime rule). */
const STALE_MS = 10_000;
const UPDATE_MS = 2_000;

export function holderPath(file: string): string {
  return `${file}.holder`;
}

export function describeHolder(h: LockHolder | undefined): string {
  if (!h || !h.pid) return 'another process';
  return `process ${h.pid}${h.command ? ` (machine ${h.command})` : ''}${h.since ? ` since ${h.since}` : ''}`;
}

export function readHolder(file: string): LockHolder | undefined {
  return parseHolder(holderPath(file));
}

function parseHolder(recordFile: string): LockHolder | undefined {
  try {
    const o = JSON.parse(fs.readFileSync(recordFile, 'utf8')) as Partial<LockHolder>;
    if (typeof o.pid !== 'number') return undefined;
    return { pid: o.pid, host: String(o.host ?? ''), command: String(o.command ?? ''), since: String(o.since ?? '') };
  } catch {
    return undefined;
  }
}

/** The current holder when it is a live process on this host. */
export function liveHolder(file: string): LockHolder | undefined {
  if (!fs.existsSync(file)) return undefined;
  const h = readHolder(file);
  return h && h.host === os.hostname() && isProcessAlive(h.pid) ? h : undefined;
}

/** The subcommand name from argv: the first plain word, never a flag or its value. */
export function commandNameFromArgv(argv: string[] = process.argv.slice(2)): string {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (a.startsWith('-')) continue;
    // Global flags that take a separate value come before the command; their
    // values are paths or names, which this pattern does not accept anyway.
    if (/^[a-z][a-z-]{1,30}$/.test(a)) return a;
  }
  return '';
}

let acquiring = false;

// proper-lockfile asks stat() for the lock's age. A lock with a holder
// record is never stale on mtime: a live holder keeps it however long its
// event loop stalls, and a dead one is broken by breakDeadHolder, which
// removes the record first so that no one judges a new holder by it.
function guardedFs(file: string): typeof fs {
  // Only while taking the lock (lockSync is synchronous): the holder's own
  // mtime updates, later, compare the real mtime with the one they set, and
  // a faked one would read as a takeover.
  const fresh = (st: fs.Stats): fs.Stats => {
    if (acquiring && readHolder(file)) st.mtime = new Date();
    return st;
  };
  return {
    ...fs,
    statSync: ((p: fs.PathLike, o?: fs.StatSyncOptions) => {
      const st = fs.statSync(p, o) as fs.Stats;
      return path.resolve(String(p)) === file ? fresh(st) : st;
    }) as typeof fs.statSync,
    stat: ((p: fs.PathLike, cb: (err: NodeJS.ErrnoException | null, st?: fs.Stats) => void) => {
      fs.stat(p, (err, st) => cb(err, !err && path.resolve(String(p)) === file ? fresh(st) : st));
    }) as typeof fs.stat,
  };
}

// A holder that is gone leaves its record: whoever renames the record away
// owns the break. If the renamed record is not the one that was judged dead
// (a new holder wrote it meanwhile), it is put back untouched.
function breakDeadHolder(file: string, seen: LockHolder): void {
  const record = holderPath(file);
  const aside = `${record}.broken-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    fs.renameSync(record, aside);
  } catch {
    return;
  }
  const got = parseHolder(aside);
  if (!got || got.pid !== seen.pid || got.since !== seen.since) {
    try {
      fs.renameSync(aside, record);
    } catch {
      fs.rmSync(aside, { force: true });
    }
    return;
  }
  fs.rmSync(aside, { force: true });
  try {
    fs.rmdirSync(file);
  } catch {
    // already gone
  }
}

// The previous format was a plain file holding {pid}: one whose process is
// gone is removed, a live one is respected.
function legacyLock(file: string): LockHolder | undefined {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return undefined;
  }
  if (st.isDirectory()) return undefined;
  const h = parseHolder(file);
  if (h && h.host === os.hostname() && isProcessAlive(h.pid)) return { ...h, command: '' };
  fs.rmSync(file, { force: true });
  return undefined;
}

/** One attempt: the release function, or the holder that keeps the lock. */
export function tryLockFile(file: string, command = commandNameFromArgv()): ReleaseLock | LockBusyError {
  file = path.resolve(file);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const legacy = legacyLock(file);
  if (legacy) return new LockBusyError(file, legacy);
  for (let attempt = 0; attempt < 3; attempt++) {
    let unlock: () => void;
    acquiring = true;
    try {
      unlock = lockfile.lockSync(file, {
        realpath: false,
        lockfilePath: file,
        stale: STALE_MS,
        update: UPDATE_MS,
        fs: guardedFs(file),
        // The holder keeps running whatever happens to the lock directory:
        // a missed mtime update must not crash a command mid-write.
        onCompromised: () => undefined,
      });
    } catch (err) {
      acquiring = false;
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      const holder = readHolder(file);
      if (holder && holder.host === os.hostname() && !isProcessAlive(holder.pid)) {
        breakDeadHolder(file, holder);
        continue;
      }
      return new LockBusyError(file, holder);
    }
    acquiring = false;
    const me: LockHolder = { pid: process.pid, host: os.hostname(), command, since: new Date().toISOString() };
    const record = holderPath(file);
    const tmp = `${record}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(me), { mode: 0o600 });
    fs.renameSync(tmp, record);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Only our own record goes, and only our own lock: never whatever is there now.
      const cur = readHolder(file);
      // Taken over meanwhile (only possible if this process was judged dead,
      // e.g. a record edited by hand): the directory is the new holder's now.
      if (!cur || cur.pid !== me.pid || cur.since !== me.since) return;
      fs.rmSync(record, { force: true });
      try {
        unlock();
      } catch {
        // proper-lockfile gave up on it (a missed mtime update under load);
        // the record said it is still ours, so the directory goes too.
        try {
          fs.rmdirSync(file);
        } catch {
          // already gone
        }
      }
    };
  }
  return new LockBusyError(file, readHolder(file));
}

/** Waits up to options.waitMs for the lock; throws LockBusyError when it stays held. */
export async function lockFile(file: string, options: FileLockOptions = {}): Promise<ReleaseLock> {
  const waitMs = options.waitMs ?? 30_000;
  const pollMs = options.pollMs ?? 50;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const r = tryLockFile(file, options.command);
    if (typeof r === 'function') return r;
    if (Date.now() >= deadline || options.signal?.aborted) throw r;
    await sleep(pollMs);
  }
}
