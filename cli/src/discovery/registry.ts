/**
 * The drivers a command talks to: each launched at most once per command
 * (one process serves every machine of that driver), all closed when the
 * command ends, fails or is interrupted.
 *
 * API:
 *   const reg = new DriverRegistry({ debug })
 *   const client = await reg.get('generic')   // DriverClient from @machine/driver-sdk; MachineError if unknown
 *   await reg.closeAll()                       // idempotent; also runs on SIGINT/SIGTERM (unless the command
 *                                              // has its own handler for that signal) and, forcefully, at exit
 *   reg.launchedCount                          // for tests and benchmarks
 * Loading gRPC happens inside get(), never at import.
 */
import type { DriverClient, LaunchOptions } from '@machine/driver-sdk';
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

function installProcessHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const onSignal = (sig: NodeJS.Signals): void => {
    // A command with its own handler (create cancelling its call and rolling
    // back) owns the interrupt and closes the registry itself; the exit hook
    // below still catches anything it leaves.
    if (process.listenerCount(sig) > 0) {
      process.once(sig, onSignal);
      return;
    }
    const code = sig === 'SIGINT' ? 130 : 143;
    Promise.allSettled([...interruptHandlers].map((h) => h(sig)))
      .then(() => Promise.allSettled([...live].map((r) => r.closeAll())))
      .finally(() => process.exit(code));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Last resort when the process exits without closeAll (an uncaught error):
  // the drivers' stdin lifeline also ends them, this only makes it immediate.
  process.once('exit', () => {
    for (const r of live) r.killAllSync();
  });
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

  private async launch(name: string): Promise<DriverClient> {
    const loc = this.locate(name);
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
