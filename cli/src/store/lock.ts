// One lock per machine, so that two commands never interleave their
// read-modify-write of the same config.json. The lock is a file created with
// O_EXCL holding the owner's pid, host and command; a lock whose process is
// gone (same host) is stale and is broken by the next taker.
import { setTimeout as sleep } from 'node:timers/promises';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MachineError } from '../errors';

export interface LockOwner {
  pid: number;
  host: string;
  since: string;
  command: string;
}

export interface LockOptions {
  /** How long to wait for a held lock, in ms (default 30 s; 0 fails at once). */
  waitMs?: number;
  /** Poll interval while waiting (default 50 ms). */
  pollMs?: number;
}

export type Release = () => void;

function readOwner(file: string): LockOwner | undefined {
  try {
    const o = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockOwner>;
    if (typeof o.pid !== 'number') return undefined;
    return { pid: o.pid, host: String(o.host ?? ''), since: String(o.since ?? ''), command: String(o.command ?? '') };
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the lock at `file` belongs to a process that no longer runs. */
export function isStale(owner: LockOwner | undefined): boolean {
  // An unreadable lock file is one that a crash interrupted between create and write.
  if (!owner) return true;
  return owner.host === os.hostname() && !alive(owner.pid);
}

/** Try once; returns a release function or the current owner. */
export function tryLock(file: string): Release | LockOwner {
  const me: LockOwner = {
    pid: process.pid,
    host: os.hostname(),
    since: new Date().toISOString(),
    command: process.argv.slice(2).join(' ').slice(0, 200),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, JSON.stringify(me));
      fs.closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const cur = readOwner(file);
        if (cur && cur.pid === me.pid && cur.since === me.since) fs.rmSync(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = readOwner(file);
    if (owner === undefined) {
      // Possibly a taker between its create and its write: give it a moment.
      const st = safeStat(file);
      if (st && Date.now() - st.mtimeMs < 2000) return { pid: 0, host: '', since: '', command: '' };
    }
    if (!isStale(owner)) return owner as LockOwner;
    breakStale(file, owner);
  }
  return readOwner(file) ?? { pid: 0, host: '', since: '', command: '' };
}

function safeStat(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}

// Rename first so that two breakers cannot both delete and each think they
// removed the stale lock; whoever renames it owns its removal. If what was
// renamed turns out to be a fresh lock (taken after we read the stale one),
// put it back.
function breakStale(file: string, seen: LockOwner | undefined): void {
  const aside = `${file}.stale-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return;
  }
  const got = readOwner(aside);
  const same = (!got && !seen) || (got && seen && got.pid === seen.pid && got.since === seen.since);
  if (!same) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // Someone took the lock meanwhile; the owner we displaced keeps running
      // without its file, which at worst lets one more writer in.
    }
  }
  fs.rmSync(aside, { force: true });
}

export async function acquireLock(file: string, what: string, options: LockOptions = {}): Promise<Release> {
  const waitMs = options.waitMs ?? 30_000;
  const pollMs = options.pollMs ?? 50;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const r = tryLock(file);
    if (typeof r === 'function') return r;
    if (Date.now() >= deadline) {
      const by = r.pid ? `process ${r.pid}${r.command ? ` (machine ${r.command})` : ''} since ${r.since}` : 'another process';
      throw new MachineError(
        'locked',
        `${what} is busy: ${by} holds its lock ${file}. Wait for that command to finish; if no such process runs, remove the lock file.`,
      );
    }
    await sleep(pollMs);
  }
}
