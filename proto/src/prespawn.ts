// Starting a driver process before the host's gRPC side is loaded.
//
// A driver takes longer to reach its handshake than the host takes to load
// its own code, so a command that knows from its arguments alone which
// driver it will need (`status NAME`: the machine's config names it) starts
// that driver first thing. launchDriver() later adopts the process if it
// would have started the same one (path, arguments, environment), and
// otherwise starts its own. A process nobody adopted is killed when the host
// exits: it was never asked to do anything.
//
// This module loads no gRPC and little else, so a CLI can call it before
// anything heavy. The hand-over goes through a global key, so that a
// bundled copy of this module and the host's own copy share it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENV_CLIENT_CERT, ENV_LIFELINE, ENV_PROTOCOL_VERSIONS, ENV_TRANSPORT, ENV_UNIX_SOCKET_DIR, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, PROTOCOL_VERSIONS } from './constants';
import { driverEnvironment } from './driver-env';
import { removeLaunchRecord, writeLaunchRecord } from './launch-record';

/**
 * What a launch does first, for a host that launches nothing this time: ends
 * what hosts killed outright left behind (orphaned drivers, sockets, socket
 * directories). Loads no gRPC.
 */
export { sweepStaleLaunches } from './launch-record';

/** What decides which process a launch starts; two launches with equal keys start the same process. */
export interface SpawnSpec {
  path: string;
  args?: string[];
  /** The host's environment; default process.env. */
  env?: NodeJS.ProcessEnv;
  protocolVersions?: readonly number[];
}

/** A driver process that was started and may already have exited. */
export interface StartedDriverProcess {
  child: ChildProcessWithoutNullStreams;
  /** The host's private directory for the driver's socket (PLUGIN_UNIX_SOCKET_DIR). */
  socketBase: string;
  /** Set if the process exited before it was adopted. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  /** Set if it could not be started at all (no such file, not executable). */
  spawnError?: Error;
}

interface Pending extends StartedDriverProcess {
  key: string;
}

const PRESPAWNED = Symbol.for('machine.driver-sdk.prespawned');
const SIGNALS_CLAIMED = Symbol.for('machine.driver-sdk.signals-claimed');
const INTERRUPTS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * A host that handles Ctrl-C, SIGTERM and SIGHUP itself (closing its drivers,
 * then exiting) says so here; until it does, a prespawn handles them.
 */
export function claimInterruptSignals(): void {
  (globalThis as Record<symbol, unknown>)[SIGNALS_CLAIMED] = true;
}

function pendingList(): Pending[] {
  const g = globalThis as Record<symbol, unknown>;
  const existing = g[PRESPAWNED] as Pending[] | undefined;
  if (existing) return existing;
  const pending: Pending[] = [];
  g[PRESPAWNED] = pending;
  // Nobody adopted these: they were never asked to do anything, so a
  // SIGKILL loses nothing (and a driver under a stdin lifeline ignores SIGTERM).
  process.on('exit', () => {
    for (const p of pending.splice(0)) discard(p);
  });
  // A signal before the host has claimed them would otherwise end the
  // process by its default action, which runs no exit hook: the driver
  // would stop by its lifeline, but its socket directory and launch record
  // would stay. Exit as the host's own handling does: 128 + the signal's
  // number, through the exit hook above.
  const onSignal = (sig: NodeJS.Signals): void => {
    if (g[SIGNALS_CLAIMED]) return;
    process.exit(128 + (os.constants.signals[sig] ?? 0));
  };
  for (const s of INTERRUPTS) process.on(s, onSignal);
  return pending;
}

/** A private, per-launch directory for the driver's unix socket; the host's pid in its name lets a later launch sweep it. */
export function makeSocketBase(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `machine-${process.pid}-`));
  fs.chmodSync(dir, 0o700);
  return dir;
}

/** The environment a driver starts with over a unix socket (no AutoMTLS). */
export function launchEnvironment(base: NodeJS.ProcessEnv, socketBase: string, versions: readonly number[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...driverEnvironment(base),
    [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
    [ENV_PROTOCOL_VERSIONS]: versions.join(','),
    [ENV_UNIX_SOCKET_DIR]: socketBase,
    [ENV_LIFELINE]: 'stdin',
  };
  delete env[ENV_CLIENT_CERT];
  return env;
}

function specKey(spec: SpawnSpec): string {
  // The socket directory differs per launch by design; everything else must match.
  const env = launchEnvironment(spec.env ?? process.env, '', spec.protocolVersions ?? PROTOCOL_VERSIONS);
  const sorted = Object.keys(env)
    .sort()
    .map((k) => [k, env[k]]);
  return JSON.stringify([path.resolve(spec.path), spec.args ?? [], sorted]);
}

/**
 * Starts the process and writes its launch record (so that what a host
 * killed outright leaves is swept by a later launch). Listeners keep the
 * outcome of a process nobody is watching yet; its output waits in the pipes.
 */
export function startDriverProcess(spec: SpawnSpec, env: NodeJS.ProcessEnv, socketBase: string): StartedDriverProcess {
  const child = spawn(spec.path, spec.args ?? [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const started: StartedDriverProcess = { child, socketBase };
  if (child.pid !== undefined) writeLaunchRecord(socketBase, child.pid);
  // A CLI that never adopts or closes it must still be able to exit; the
  // exit hooks and the stdin lifeline then stop the driver.
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as net.Socket).unref?.();
  child.stdin.on('error', () => undefined);
  child.on('error', (err) => (started.spawnError ??= err));
  child.on('exit', (code, signal) => (started.exit ??= { code, signal }));
  return started;
}

/**
 * Starts the driver now, for launchDriver() to adopt later in this process.
 * Never throws: a driver that cannot be started here is started (and its
 * failure reported) by the launch that needs it.
 */
export function prespawnDriver(spec: SpawnSpec): void {
  // Over TCP a launch offers AutoMTLS, which a prespawn does not.
  if ((spec.env ?? process.env)[ENV_TRANSPORT] === 'tcp' || process.platform === 'win32') return;
  try {
    // First the exit and signal hooks: until a signal has a handler, it kills
    // the process outright, wherever it is, even between making the socket
    // directory and recording the process that would remove it.
    const pending = pendingList();
    const socketBase = makeSocketBase();
    const env = launchEnvironment(spec.env ?? process.env, socketBase, spec.protocolVersions ?? PROTOCOL_VERSIONS);
    const started = startDriverProcess(spec, env, socketBase);
    // The same object: its listeners keep updating what is handed over.
    pending.push(Object.assign(started, { key: specKey(spec) }));
  } catch {
    // e.g. an unwritable temp directory: the real launch reports it
  }
}

/**
 * A prespawned process for exactly this launch, now owned by the caller;
 * otherwise undefined. A prespawned process for another spec stays for its
 * own launch (or is killed at exit).
 */
export function adoptPrespawned(spec: SpawnSpec): StartedDriverProcess | undefined {
  const g = globalThis as Record<symbol, unknown>;
  const list = g[PRESPAWNED] as Pending[] | undefined;
  if (!list || list.length === 0) return undefined;
  const key = specKey(spec);
  const i = list.findIndex((p) => p.key === key);
  if (i < 0) return undefined;
  const [found] = list.splice(i, 1);
  return found;
}

/** Drivers started ahead and not adopted yet (tests). */
export function prespawnedCount(): number {
  return ((globalThis as Record<symbol, unknown>)[PRESPAWNED] as Pending[] | undefined)?.length ?? 0;
}

function discard(p: StartedDriverProcess): void {
  if (p.exit === undefined && p.child.pid !== undefined) {
    p.child.stdin.destroy();
    try {
      p.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  fs.rmSync(p.socketBase, { recursive: true, force: true });
  if (p.child.pid !== undefined) removeLaunchRecord(p.child.pid);
}
