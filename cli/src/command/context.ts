/**
 * What a command's run() receives, built the same way on both paths.
 *
 *   ctx.global        resolved global flags (storagePath, debug, nativeSsh, tls paths)
 *   ctx.store         the Store at --storage-path
 *   ctx.registry      DriverRegistry, created on first use (no gRPC before that)
 *   ctx.startDriver(n)      launch driver n now, in the background (ls: while the store is read)
 *   ctx.out(s)/ctx.err(s)   write a line to stdout / stderr
 *   ctx.targetName(args)    Docker Machine's rule: the one name given, else "default" if it exists
 *   ctx.loadHost(name)      validated name → HostConfig, or the reference's "does not exist" error
 *   ctx.invocation          the words the user typed (for env's usage hint)
 *   await ctx.close()       closes every driver; the entry paths call it in finally
 */
import * as path from 'node:path';
import type { DriverRegistry } from '../discovery/registry';
import { MachineError, errorMessage, notExistError } from '../errors';
import { machineNameProblem } from '../names';
import { defaultStoragePath } from '../store/paths';
import { Store } from '../store/store';
import type { HostConfig } from '../store/types';
import { GLOBAL_FLAGS } from './global-flags';
import { writeErr, writeOut } from './output';
import { resolveFlags, type ParsedFlags } from './flags';

export interface GlobalOptions {
  storagePath: string;
  debug: boolean;
  nativeSsh: boolean;
  tlsCaCert?: string;
  tlsCaKey?: string;
  tlsClientCert?: string;
  tlsClientKey?: string;
}

export function globalOptionsFrom(flags: ParsedFlags, env: NodeJS.ProcessEnv): GlobalOptions {
  const g = resolveFlags(GLOBAL_FLAGS, flags, env);
  const opt = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? path.resolve(v) : undefined);
  return {
    storagePath: typeof g['storage-path'] === 'string' && g['storage-path'] !== '' ? path.resolve(g['storage-path']) : defaultStoragePath(env),
    debug: g.debug === true,
    nativeSsh: g['native-ssh'] !== false,
    tlsCaCert: opt(g['tls-ca-cert']),
    tlsCaKey: opt(g['tls-ca-key']),
    tlsClientCert: opt(g['tls-client-cert']),
    tlsClientKey: opt(g['tls-client-key']),
  };
}

export interface ContextOptions {
  global: GlobalOptions;
  env?: NodeJS.ProcessEnv;
  /** The command line as typed, argv[1] (the script) included. */
  invocation?: string[];
  out?: (s: string) => void;
  err?: (s: string) => void;
  /** See RegistryOptions.closeGraceMs. */
  driverCloseGraceMs?: number;
  /** A ready registry (tests); by default one is made on first use. */
  registry?: DriverRegistry;
}

export class CommandContext {
  readonly global: GlobalOptions;
  readonly store: Store;
  readonly env: NodeJS.ProcessEnv;
  readonly invocation: string[];
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  private reg: DriverRegistry | undefined;
  private readonly closeGraceMs: number | undefined;

  constructor(o: ContextOptions) {
    this.global = o.global;
    this.env = o.env ?? process.env;
    this.store = new Store(o.global.storagePath);
    this.invocation = o.invocation ?? ['machine', ...process.argv.slice(2)];
    this.out = o.out ?? writeOut;
    this.err = o.err ?? writeErr;
    this.closeGraceMs = o.driverCloseGraceMs;
    this.reg = o.registry;
  }

  get registry(): DriverRegistry {
    if (!this.reg) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { DriverRegistry: R } = require('../discovery/registry') as typeof import('../discovery/registry');
      this.reg = new R({ debug: this.global.debug, env: this.env, closeGraceMs: this.closeGraceMs });
    }
    return this.reg;
  }

  /**
   * The signal (Ctrl-C, SIGTERM, SIGHUP) that is ending the process while
   * this command's drivers run, if one is. Loads nothing for a command that
   * started no driver: only a registry installs the signal handling.
   */
  interruptedBy(): NodeJS.Signals | undefined {
    if (!this.reg) return undefined;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../discovery/registry') as typeof import('../discovery/registry')).interruptedBy();
  }

  /**
   * Starts a driver without waiting for it, so that its process boots while
   * the command goes on reading the store. The command's own registry.get()
   * later shares the launch, and reports its failure if it failed.
   */
  startDriver(name: string): void {
    this.registry.get(name).catch(() => undefined);
  }

  /** Whether a driver was ever asked for (tests, benchmarks). */
  get registryUsed(): boolean {
    return this.reg !== undefined;
  }

  debug(s: string): void {
    if (this.global.debug) this.err(s);
  }

  /** The machine a single-machine command acts on. */
  targetName(args: string[]): string {
    if (args.length > 1) throw new MachineError('usage', 'Error: Expected one machine name as an argument');
    if (args.length === 1) return args[0];
    if (this.store.exists('default')) return 'default';
    throw new MachineError('usage', 'Error: No machine name(s) specified and no "default" machine exists');
  }

  /** Names for commands that act on several machines (default rule when none given). */
  targetNames(args: string[]): string[] {
    if (args.length > 0) return args;
    return [this.targetName([])];
  }

  /**
   * A name no machine may have names no machine: the reference's "does not
   * exist". A directory put under machines/ by hand is the store's to explain.
   */
  loadHost(name: string): HostConfig {
    if (machineNameProblem(name) && !this.store.isStrayEntry(name)) throw notExistError(name);
    return this.store.load(name);
  }

  /**
   * Every named machine, or, when any cannot be loaded, the errors of all
   * that cannot, one per line (one alone keeps its own exit code): as the
   * reference, a command on several machines acts on none until all load.
   */
  loadHosts(names: string[]): HostConfig[] {
    const hosts: HostConfig[] = [];
    const failures: unknown[] = [];
    for (const n of names) {
      try {
        hosts.push(this.loadHost(n));
      } catch (e) {
        failures.push(e);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new MachineError('not-found', failures.map(errorMessage).join('\n'));
    return hosts;
  }

  async close(): Promise<void> {
    if (this.reg) await this.reg.closeAll();
  }
}
