// What a host leaves behind when it is killed outright (SIGKILL, OOM), and
// how the next host cleans it up. Drivers built on our SDK notice their host
// is gone (stdin lifeline, parent watch), but a go-plugin driver does not
// read stdin: it keeps running, and an older go-plugin also keeps a socket
// outside our directory (/tmp/pluginNNN). No native code is needed: each
// launch directory holds a record of who started which driver, and the next
// launch, seeing the host gone, ends that driver and removes its files.
import { setTimeout as delay } from 'node:timers/promises';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isProcessAlive } from './process-alive';

const RECORD = 'launch.json';
/** How long a driver gets to end after SIGTERM before the sweep moves on (it tries again next time). */
const TERM_WAIT_MS = 1_000;
/** A driver that ignores SIGTERM (an SDK driver still undoing work) is left this long before SIGKILL. */
const KILL_AFTER_MS = 60_000;
const DIR_RE = /^machine-(\d+)-[A-Za-z0-9]{6}$/;

export interface LaunchRecord {
  hostPid: number;
  /** Start times tell a process from a later one that reuses its pid (Linux; absent elsewhere). */
  hostStart?: string;
  driverPid: number;
  driverStart?: string;
  /** The driver's unix socket when it is outside the launch directory. */
  socket?: string;
  /** When a sweep sent SIGTERM to the orphaned driver (ms since the epoch). */
  termSentAt?: number;
}

/** The kernel's start time of a process (clock ticks since boot), or undefined where /proc has none. */
export function processStartTime(pid: number): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, starttime field 22.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

let ownStart: string | undefined;

/** Records, in the launch directory, that this process started the driver `driverPid`. */
export function writeLaunchRecord(dir: string, driverPid: number, socket?: string): void {
  ownStart ??= processStartTime(process.pid);
  const record: LaunchRecord = { hostPid: process.pid, hostStart: ownStart, driverPid, driverStart: processStartTime(driverPid), socket };
  try {
    fs.writeFileSync(path.join(dir, RECORD), JSON.stringify(record), { mode: 0o600 });
  } catch {
    // The directory is gone (closed already); nothing to record.
  }
}

function readRecord(dir: string): LaunchRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, RECORD), 'utf8')) as LaunchRecord;
  } catch {
    return undefined;
  }
}

/** Whether pid still runs the process the record saw (with no start time known, whether anything runs there). */
function sameProcess(pid: number, start: string | undefined): boolean {
  if (!isProcessAlive(pid)) return false;
  return start === undefined || processStartTime(pid) === start;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

/** Removes `file` if it is a socket of ours (never anything else a record might name). */
export function removeSocket(file: string | undefined): void {
  if (!file) return;
  try {
    const st = fs.lstatSync(file);
    if (st.isSocket() && (typeof process.getuid !== 'function' || st.uid === process.getuid())) fs.rmSync(file, { force: true });
  } catch {
    // not there
  }
}

/**
 * Ends what hosts that no longer run left in the temp directory: their
 * orphaned drivers (SIGTERM, SIGKILL a minute later for one that ignores
 * it), the drivers' sockets and the launch directories.
 */
export async function sweepStaleLaunches(): Promise<void> {
  const base = os.tmpdir();
  let names: string[];
  try {
    names = fs.readdirSync(base);
  } catch {
    return;
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const waits: Promise<void>[] = [];
  for (const name of names) {
    const m = DIR_RE.exec(name);
    if (!m || Number(m[1]) === process.pid) continue;
    const dir = path.join(base, name);
    try {
      const st = fs.lstatSync(dir);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
    } catch {
      continue;
    }
    const record = readRecord(dir);
    if (sameProcess(Number(m[1]), record?.hostStart)) continue;
    waits.push(reap(dir, record));
  }
  await Promise.all(waits);
}

async function reap(dir: string, record: LaunchRecord | undefined): Promise<void> {
  // Without a start time the pid may be someone else's by now: never signal it.
  if (record?.driverStart !== undefined && sameProcess(record.driverPid, record.driverStart)) {
    const now = Date.now();
    if (record.termSentAt === undefined) {
      signal(record.driverPid, 'SIGTERM');
      record.termSentAt = now;
    } else if (now - record.termSentAt > KILL_AFTER_MS) {
      signal(record.driverPid, 'SIGKILL');
    }
    const deadline = Date.now() + TERM_WAIT_MS;
    while (isProcessAlive(record.driverPid) && Date.now() < deadline) await delay(25);
    if (isProcessAlive(record.driverPid)) {
      // Still finishing; a later sweep looks again.
      try {
        fs.writeFileSync(path.join(dir, RECORD), JSON.stringify(record), { mode: 0o600 });
      } catch {
        // raced with another sweep
      }
      return;
    }
  }
  removeSocket(record?.socket);
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    // raced with another sweep
  }
}
