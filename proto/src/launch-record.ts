// What a host leaves behind when it is killed outright (SIGKILL, OOM), and
// how the next host cleans it up. Drivers built on our SDK notice their host
// is gone (stdin lifeline, parent watch), but a go-plugin driver does not
// read stdin: it keeps running, or dies at its next log line (SIGPIPE)
// without removing its socket, which an older go-plugin makes outside our
// directory (/tmp/pluginNNN). No native code is needed: each launch leaves a
// record of who started which driver in a run directory of the user's, and
// the next launch, seeing that host gone, ends the driver and removes its
// files. Records live apart from the socket directories so that whoever
// removes a stale socket directory cannot lose them.
import { setTimeout as delay } from 'node:timers/promises';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isProcessAlive } from './process-alive';

/** How long the sweep waits for an orphaned driver to end after SIGTERM. */
const TERM_WAIT_MS = 2_000;
const SOCKET_DIR_RE = /^machine-(\d+)-[A-Za-z0-9]{6}$/;
const RECORD_RE = /^(\d+)-(\d+)\.json$/;

export interface LaunchRecord {
  hostPid: number;
  /** Start times tell a process from a later one that reuses its pid (Linux; absent elsewhere). */
  hostStart?: string;
  driverPid: number;
  driverStart?: string;
  /** The launch's socket directory (PLUGIN_UNIX_SOCKET_DIR). */
  dir: string;
  /** The driver's unix socket when it is outside `dir`. */
  socket?: string;
}

const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;

/** The user's run directory for launch records (made on first use, 0700). */
function runDir(): string {
  return path.join(os.tmpdir(), uid === undefined ? 'machine-launches' : `machine-launches-${uid}`);
}

/** Whether dir is a directory of ours that nobody else can write to (records there are trusted). */
function ownedPrivateDir(dir: string): boolean {
  try {
    const st = fs.lstatSync(dir);
    return st.isDirectory() && (uid === undefined || st.uid === uid) && (process.platform === 'win32' || (st.mode & 0o022) === 0);
  } catch {
    return false;
  }
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

function recordPath(driverPid: number): string {
  return path.join(runDir(), `${process.pid}-${driverPid}.json`);
}

/** Records that this process started the driver `driverPid` with the socket directory `dir`. */
export function writeLaunchRecord(dir: string, driverPid: number, socket?: string): void {
  ownStart ??= processStartTime(process.pid);
  const record: LaunchRecord = { hostPid: process.pid, hostStart: ownStart, driverPid, driverStart: processStartTime(driverPid), dir, socket };
  // Twice: another host may remove the directory, empty, between our mkdir and write.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.mkdirSync(runDir(), { recursive: true, mode: 0o700 });
      if (!ownedPrivateDir(runDir())) return;
      fs.writeFileSync(recordPath(driverPid), JSON.stringify(record), { mode: 0o600 });
      return;
    } catch {
      // Without a record only a host killed outright loses its cleanup.
    }
  }
}

/** Forgets the record once the host has closed the driver itself; the run directory goes once empty. */
export function removeLaunchRecord(driverPid: number): void {
  fs.rmSync(recordPath(driverPid), { force: true });
  removeIfEmpty(runDir());
}

function removeIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // not empty (other hosts' records), or gone
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
    if (st.isSocket() && (uid === undefined || st.uid === uid)) fs.rmSync(file, { force: true });
  } catch {
    // not there
  }
}

/**
 * Ends what hosts that no longer run left behind: their orphaned drivers
 * (SIGTERM), the drivers' sockets, the records and the socket directories.
 * A driver that ignores SIGTERM is one under the stdin lifeline (our SDK's,
 * or a Go driver following the docs): it saw its host go and ends by itself
 * once it has undone its work, so it is left to that.
 */
export async function sweepStaleLaunches(): Promise<void> {
  const waits: Promise<void>[] = [];
  const records = runDir();
  if (ownedPrivateDir(records)) {
    for (const name of safeReaddir(records)) {
      const m = RECORD_RE.exec(name);
      if (!m || Number(m[1]) === process.pid) continue;
      const file = path.join(records, name);
      let record: LaunchRecord;
      try {
        record = JSON.parse(fs.readFileSync(file, 'utf8')) as LaunchRecord;
      } catch {
        continue;
      }
      if (sameProcess(record.hostPid, record.hostStart)) continue;
      waits.push(reap(file, record));
    }
  }
  // Socket directories of hosts gone (their records, if any, are handled above).
  const base = os.tmpdir();
  for (const name of safeReaddir(base)) {
    const m = SOCKET_DIR_RE.exec(name);
    if (!m || isProcessAlive(Number(m[1]))) continue;
    const dir = path.join(base, name);
    if (ownedDir(dir)) fs.rmSync(dir, { recursive: true, force: true });
  }
  await Promise.all(waits);
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function ownedDir(dir: string): boolean {
  try {
    const st = fs.lstatSync(dir);
    return st.isDirectory() && (uid === undefined || st.uid === uid);
  } catch {
    return false;
  }
}

async function reap(file: string, record: LaunchRecord): Promise<void> {
  // No host will ever dial it again, whether or not the driver is still ending.
  removeSocket(record.socket);
  // Without a start time the pid may be someone else's by now: never signal it.
  if (record.driverStart !== undefined && sameProcess(record.driverPid, record.driverStart)) {
    signal(record.driverPid, 'SIGTERM');
    const deadline = Date.now() + TERM_WAIT_MS;
    while (isProcessAlive(record.driverPid) && Date.now() < deadline) await delay(25);
  }
  if (record.dir && SOCKET_DIR_RE.test(path.basename(record.dir)) && ownedDir(record.dir)) fs.rmSync(record.dir, { recursive: true, force: true });
  fs.rmSync(file, { force: true });
  removeIfEmpty(path.dirname(file));
}
