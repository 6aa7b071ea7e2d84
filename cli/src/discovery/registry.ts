/**
 * The drivers a command talks to: each launched at most once per command
 * (one process serves every machine of that driver), all closed when the
 * command ends, fails or is interrupted.
 *
 * API:
 *   const reg = new DriverRegistry({ debug })
 *   const client = await reg.get('generic')   // DriverClient from @machine/driver-sdk; MachineError if unknown
 *   await reg.revive('generic')                // the same, relaunched if its process died (rollback after a crash)
 *   await reg.closeAll()                       // idempotent; also runs on SIGINT/SIGTERM/SIGHUP, after the
 *                                              // onInterrupt handlers (create's rollback), then exits 128+n
 *   reg.launchedCount                          // for tests and benchmarks
 * Loading gRPC happens inside get(), never at import.
 */
import * as os from 'node:os';
import type { DriverClient, LaunchOptions } from '@machine/driver-sdk';
import { isProcessAlive } from '@machine/driver-sdk/process-alive';
import { claimInterruptSignals } from '@machine/driver-sdk/prespawn';
import { MachineError } from '../errors';
import { findDriver, type DiscoveryOptions, type DriverLocation } from './discover';

export type Launcher = (options: LaunchOptions) => Promise<DriverClient>;

export interface RegistryOptions extends DiscoveryOptions {
  /** Show driver log lines on stderr. */
  debug?: boolean;
  /** Replaces the SDK's launchDriver (tests). */
  launch?: Launcher;
  /** Where debug lines go (default stderr). */
  logSink?: (line: string) => void;
  /**
   * Longest wait for drivers to stop gracefully before they are killed.
   * Read-only commands set a few seconds: a driver stuck in a cancelled read
   * must not hold the prompt. Default: the SDK's own policy.
   */
  closeGraceMs?: number;
}

function sdkLauncher(): Launcher {
  let mod: { launchDriver?: Launcher };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require('@machine/driver-sdk/host') as { launchDriver?: Launcher };
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require('@machine/driver-sdk') as { launchDriver?: Launcher };
  }
  if (typeof mod.launchDriver !== 'function') throw new MachineError('internal', 'The driver SDK does not export launchDriver; rebuild the project (npm run build).');
  return mod.launchDriver;
}

const live = new Set<DriverRegistry>();
let hooksInstalled = false;
const interruptHandlers = new Set<(sig: NodeJS.Signals) => Promise<void>>();

/**
 * Work that must finish, with the drivers still running, before an
 * interrupted command closes them and exits: create's rollback calls the
 * driver's Remove. Returns the function that unregisters the handler.
 */
export function onInterrupt(handler: (sig: NodeJS.Signals) => Promise<void>): () => void {
  interruptHandlers.add(handler);
  return () => {
    interruptHandlers.delete(handler);
  };
}

/** Ctrl-C, `timeout`/CI cancel/systemctl stop, and a closed terminal: all handled alike. */
export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The shell's convention: 128 + the signal's number (130, 143, 129). */
export function signalExitCode(sig: NodeJS.Signals): number {
  return 128 + (os.constants.signals[sig] ?? 0);
}

let interrupted: NodeJS.Signals | undefined;

/** The signal being handled, once one has arrived: the process is on its way out. */
export function interruptedBy(): NodeJS.Signals | undefined {
  return interrupted;
}

function installProcessHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = sig;
    // After a hang-up the terminal is gone: a progress line must not turn
    // into an EIO crash in the middle of the rollback.
    if (sig === 'SIGHUP') for (const s of [process.stdout, process.stderr]) s.on('error', () => undefined);
    Promise.allSettled([...interruptHandlers].map((h) => h(sig)))
      .then(() => Promise.allSettled([...live].map((r) => r.closeAll())))
      .finally(() => process.exit(signalExitCode(sig)));
  };
  // From here on these handlers end the process; a driver started ahead (prespawn) leaves them to it.
  claimInterruptSignals();
  // Kept installed: a second signal during the rollback must not cut it short.
  // (Other listeners, such as the lock library's exit hook, see this one and
  // leave the process to it.)
  for (const sig of INTERRUPT_SIGNALS) process.on(sig, onSignal);
  // Last resort when the process exits without closeAll (an uncaught error):
  // the drivers' stdin lifeline also ends them, this only makes it immediate.
  process.once('exit', () => {
    for (const r of live) r.killAllSync();
  });
}

/**
 * The client for the same driver, relaunched by the registry that started
 * `client` if its process is gone. A client no registry knows is returned as is.
 */
export async function reviveDriver(client: DriverClient): Promise<DriverClient> {
  for (const r of live) if (r.owns(client)) return r.revive(client.name);
  return client;
}

export class DriverRegistry {
  private readonly options: RegistryOptions;
  private readonly clients = new Map<string, Promise<DriverClient>>();
  private readonly started: DriverClient[] = [];
  private closing: Promise<void> | undefined;
  launchedCount = 0;

  constructor(options: RegistryOptions = {}) {
    this.options = options;
  }

  owns(client: DriverClient): boolean {
    return this.started.includes(client);
  }

  /** Where the driver would come from, without starting it. */
  locate(name: string): DriverLocation {
    return findDriver(name, this.options);
  }

  get(name: string): Promise<DriverClient> {
    if (this.closing) return Promise.reject(new MachineError('internal', 'driver registry already closed'));
    let p = this.clients.get(name);
    if (!p) {
      p = this.launch(name);
      this.clients.set(name, p);
      // A failed launch is not cached, so a later get() reports it again rather than a stale rejection.
      p.catch(() => this.clients.delete(name));
    }
    return p;
  }

  /**
   * The driver, relaunched when its process is gone (killed, crashed, or
   * stopped by a signal): undoing work must not depend on the process that
   * was doing it.
   */
  async revive(name: string): Promise<DriverClient> {
    const current = await this.get(name).catch(() => undefined);
    if (current && current.pid !== undefined && isProcessAlive(current.pid)) return current;
    this.clients.delete(name);
    if (current) {
      // Closing a dead driver only removes its socket directory.
      await current.close().catch(() => undefined);
    }
    const fresh = this.launch(name);
    this.clients.set(name, fresh);
    fresh.catch(() => this.clients.delete(name));
    return fresh;
  }

  private async launch(name: string): Promise<DriverClient> {
    const loc = this.locate(name);
    // Before anything runs: a standalone driver must still be the file `driver install` recorded.
    // (Loaded only then: other launches do not pay for the module.)
    if (loc.source === 'installed') await (await import('./installed')).verifyInstalledDriver(loc);
    installProcessHooks();
    live.add(this);
    const launch = this.options.launch ?? sdkLauncher();
    const sink = this.options.logSink ?? ((l: string) => process.stderr.write(l + '\n'));
    const debug = this.options.debug === true;
    this.launchedCount++;
    let client: DriverClient;
    try {
      client = await launch({
        name,
        path: loc.path,
        env: this.options.env,
        onLog: debug ? (e) => sink(`(${name}) ${e.level.toUpperCase()} ${e.message}${Object.keys(e.fields).length ? ' ' + JSON.stringify(e.fields) : ''}`) : undefined,
      });
    } catch (e) {
      throw MachineError.from(e, 'driver', `Cannot start driver "${name}" (${loc.path})`);
    }
    this.started.push(client);
    if (this.closing) {
      await client.close();
      throw new MachineError('internal', 'driver registry closed while the driver started');
    }
    return client;
  }

  closeAll(): Promise<void> {
    if (!this.closing) {
      // Wait for launches in flight so their processes are closed too.
      const pending = [...this.clients.values()].map((p) => p.catch(() => undefined));
      this.closing = Promise.all(pending)
        .then(() => this.closeStarted())
        .then(() => {
          live.delete(this);
        });
    }
    return this.closing;
  }

  private async closeStarted(): Promise<void> {
    const all = Promise.allSettled(this.started.map((c) => c.close()));
    const grace = this.options.closeGraceMs;
    if (grace === undefined) {
      await all;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([all.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), grace)))]);
    clearTimeout(timer);
    if (late) {
      this.killAllSync();
      await all;
    }
  }

  /** Synchronous SIGKILL of every started driver process (exit hook only). */
  killAllSync(): void {
    for (const c of this.started) {
      if (c.pid === undefined) continue;
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
