/**
 * The machine store: Docker Machine's directory layout under one root.
 *
 *   <root>/certs/{ca,ca-key,cert,key}.pem        CA and client certificate (see certs/)
 *   <root>/machines/<name>/config.json          HostConfig, ConfigVersion 3 (see types.ts)
 *   <root>/machines/<name>/{id_rsa,server.pem,...}
 *   <root>/locks/<name>.lock{,.holder}          per-machine lock and its holder's pid (ours; the reference has none)
 *   <root>/cache/                               caches that may be deleted at any time
 *
 * API (all paths absolute):
 *   new Store(root)                 root defaults via storagePath() in paths.ts
 *   exists(name) / names()          machine directories (skips dot-directories)
 *   load(name): HostConfig          migrates v0..v2 (keeps config.json.bak); throws MachineError
 *   list(): HostEntry[]             every machine, corrupt ones as { name, error }
 *   save(host)                      atomic write of config.json (0600) in a 0700 dir
 *   claim(name)                     creates machines/<name> exclusively (for create); throws already-exists
 *   remove(name)                    deletes machines/<name>
 *   isStrayEntry(name) / removeStray(name)   a directory under machines/ whose name no machine may have
 *   lock(name, opts) / withLock(name, fn)   per-machine lock; hold it across read-modify-write
 *   update(name, fn)                lock, load, fn(host), save
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MachineError, errorMessage, notExistError } from '../errors';
import { shellQuote } from '../format/quote';
import { machineNameProblem } from '../names';
import { mkdirPrivate, writeFileAtomicSync } from './atomic';
import { fsProblem, storeRootProblem } from './fs-problem';
import { normalizeHost, serializeHost } from './host';
import { acquireLock, lockHolder, tryLock, type LockOptions, type LockOwner, type Release } from './lock';
import { migrateHost } from './migrate';
import type { HostConfig, HostEntry } from './types';

export class Store {
  readonly root: string;
  readonly certsDir: string;
  readonly machinesDir: string;
  /** Machines whose lock this Store holds, so load() may persist a migration under it. */
  private readonly held = new Set<string>();

  constructor(root: string) {
    this.root = path.resolve(root);
    this.certsDir = path.join(this.root, 'certs');
    this.machinesDir = path.join(this.root, 'machines');
  }

  machineDir(name: string): string {
    return path.join(this.machinesDir, name);
  }

  configPath(name: string): string {
    return path.join(this.machineDir(name), 'config.json');
  }

  lockPath(name: string): string {
    return path.join(this.root, 'locks', `${name}.lock`);
  }

  exists(name: string): boolean {
    if (machineNameProblem(name)) return false;
    try {
      return fs.statSync(this.machineDir(name)).isDirectory();
    } catch {
      return false;
    }
  }

  /** Machine names in the store, sorted by code point (callers natural-sort for display). */
  names(): string[] {
    let ents: fs.Dirent[];
    try {
      ents = fs.readdirSync(this.machinesDir, { withFileTypes: true });
    } catch (e) {
      this.throwIfRootBlocked();
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new MachineError('store', fsProblem('the machine store', this.machinesDir, e));
    }
    return ents
      .filter((d) => !d.name.startsWith('.') && (d.isDirectory() || (d.isSymbolicLink() && this.exists(d.name))))
      .map((d) => d.name)
      .sort();
  }

  /** Loads a machine, migrating older config versions in place. */
  load(name: string): HostConfig {
    const file = this.configPath(name);
    let bytes: string;
    try {
      bytes = fs.readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        if (this.isStrayEntry(name)) {
          throw new MachineError('invalid-name', `${this.machineDir(name)} is not a machine: ${machineNameProblem(name)}. Remove it with "machine rm ${shellQuote(name)}".`);
        }
        if (!this.exists(name)) throw notExistError(name);
        const holder = this.held.has(name) ? undefined : lockHolder(this.lockPath(name))?.pid;
        if (holder && holder !== process.pid) throw new MachineError('store', `machine "${name}" is being created or changed by process ${holder}; its config.json is not written yet`);
        throw new MachineError('store', `config.json is missing from ${this.machineDir(name)} (an interrupted create?). Remove the machine with "machine rm -f ${name}".`);
      }
      throw new MachineError('store', fsProblem(`the record of machine "${name}"`, file, e));
    }
    let raw: unknown;
    try {
      raw = JSON.parse(bytes);
    } catch (e) {
      throw new MachineError('store', `${file} is not valid JSON (${errorMessage(e)}). Fix or remove it ("machine rm -f ${name}").`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new MachineError('store', `${file} does not hold a machine record. Fix or remove it ("machine rm -f ${name}").`);
    }
    const { host, migrated } = migrateHost(raw, this.root, name);
    const out = normalizeHost(host, this.root, name);
    if (migrated) this.persistMigration(name, file, bytes, out);
    return out;
  }

  // Written under the machine's lock; when another process holds it, the
  // migrated record is only returned, and the next load tries again.
  private persistMigration(name: string, file: string, original: string, host: HostConfig): void {
    const mine = this.held.has(name);
    const release = mine ? undefined : tryLock(this.lockPath(name));
    if (!mine && typeof release !== 'function') return;
    try {
      // Keep the first original only: a second migration must not overwrite it.
      const bak = `${file}.bak`;
      if (!fs.existsSync(bak)) writeFileAtomicSync(bak, original, 0o600);
      this.save(host);
    } finally {
      if (typeof release === 'function') release();
    }
  }

  /** Every machine; one that cannot be loaded is an entry with its error, never an exception. */
  list(): HostEntry[] {
    return this.names().map((name): HostEntry => {
      try {
        return { name, host: this.load(name) };
      } catch (e) {
        return { name, error: e instanceof Error ? e : new Error(String(e)) };
      }
    });
  }

  /** Writes config.json atomically. The machine directory is created if needed. */
  save(host: HostConfig): void {
    const problem = machineNameProblem(host.Name);
    if (problem) throw new MachineError('invalid-name', `Invalid machine name "${host.Name}": ${problem}`);
    mkdirPrivate(this.machineDir(host.Name));
    writeFileAtomicSync(this.configPath(host.Name), serializeHost(host), 0o600);
  }

  /** Creates the machine's directory, failing if it exists: the first step of create. */
  claim(name: string): void {
    const problem = machineNameProblem(name);
    if (problem) {
      throw new MachineError('invalid-name', `Invalid machine name "${name}": ${problem}. Allowed hostname chars are: 0-9a-zA-Z . - (first: a letter or digit).`);
    }
    mkdirPrivate(this.machinesDir);
    try {
      fs.mkdirSync(this.machineDir(name), { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw this.alreadyExists(name);
      throw e;
    }
  }

  remove(name: string): void {
    if (machineNameProblem(name)) throw notExistError(name);
    fs.rmSync(this.machineDir(name), { recursive: true, force: true });
  }

  /** Docker Machine's "already exists", with the way out when the entry is an unfinished one. */
  alreadyExists(name: string): MachineError {
    const base = `Docker machine "${name}" already exists`;
    if (!this.hasRecord(name)) {
      if (this.lockHolder(name)) return new MachineError('already-exists', base);
      return new MachineError('already-exists', `${base}, with no config.json (an interrupted create?). Remove it with "machine rm -f ${name}" and try again.`);
    }
    try {
      if (this.load(name).Machine?.CreateIncomplete !== undefined) {
        return new MachineError('already-exists', `${base}: its create did not finish. Remove it with "machine rm -f ${name}" and create it again.`);
      }
    } catch {
      // A record that cannot be read: ls names the problem.
    }
    return new MachineError('already-exists', base);
  }

  /** Whether machines/ holds a config.json for `name` (a directory without one is an unfinished or damaged entry). */
  hasRecord(name: string): boolean {
    try {
      return fs.statSync(this.configPath(name)).isFile();
    } catch {
      return false;
    }
  }

  /**
   * A directory under machines/ whose name is not a valid machine name (put
   * there by hand or by another tool). It is listed so that it can be seen
   * and removed, and nothing else is done with it. Only a single path
   * component qualifies, so no name can reach outside machines/.
   */
  isStrayEntry(name: string): boolean {
    if (!machineNameProblem(name) || name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) return false;
    try {
      return fs.lstatSync(this.machineDir(name)).isDirectory();
    } catch {
      return false;
    }
  }

  removeStray(name: string): void {
    if (!this.isStrayEntry(name)) throw notExistError(name);
    fs.rmSync(this.machineDir(name), { recursive: true, force: true });
  }

  /** The live process that holds the machine's lock, if any. */
  lockHolder(name: string): LockOwner | undefined {
    return lockHolder(this.lockPath(name));
  }

  /** A store path that is, or lies under, a file: one line naming it and the fix. */
  private throwIfRootBlocked(): void {
    const rootProblem = storeRootProblem(this.root);
    if (rootProblem) throw new MachineError('store', rootProblem);
  }

  async lock(name: string, options?: LockOptions): Promise<Release> {
    let release: Release;
    try {
      release = await acquireLock(this.lockPath(name), `Machine "${name}"`, options);
    } catch (e) {
      // The lock is often the first thing a command writes: a store path that cannot be one gets its own line.
      this.throwIfRootBlocked();
      throw e;
    }
    this.held.add(name);
    return () => {
      this.held.delete(name);
      release();
    };
  }

  async withLock<T>(name: string, fn: () => Promise<T> | T, options?: LockOptions): Promise<T> {
    const release = await this.lock(name, options);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Read-modify-write under the machine's lock. */
  update(name: string, fn: (host: HostConfig) => HostConfig | void, options?: LockOptions): Promise<HostConfig> {
    return this.withLock(name, () => {
      const host = this.load(name);
      const next = fn(host) ?? host;
      this.save(next);
      return next;
    }, options);
  }
}
