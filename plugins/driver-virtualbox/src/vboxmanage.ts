// Finding and running VBoxManage: the search order, the version check, one
// command at a time per host (VirtualBox's own locking gives spurious
// failures when several clients change it at once), the retry on "object is
// not ready", and parsers for the outputs the driver reads.
import { setTimeout as delay } from 'node:timers/promises';
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DriverError, type DriverLogger } from '@machine/driver-sdk';
import { LockBusyError, describeHolder, lockFile, type ReleaseLock } from '@machine/driver-sdk/lock';
import type { HostOnlyInterface } from './network';

export interface Platform {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  isFile(p: string): boolean;
}

export const realPlatform = (): Platform => ({
  platform: process.platform,
  env: process.env,
  isFile: (p) => {
    try {
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  },
});

/** Where VBoxManage is looked for, in order: PATH, the installer's variables, the standard folders. */
export function vboxManageCandidates({ platform, env }: Pick<Platform, 'platform' | 'env'>): string[] {
  const win = platform === 'win32';
  const p = win ? path.win32 : path.posix;
  const exe = win ? 'VBoxManage.exe' : 'VBoxManage';
  const out: string[] = [];
  const pathVar = env.PATH ?? env.Path ?? '';
  for (const dir of pathVar.split(win ? ';' : ':')) {
    if (!dir) continue;
    out.push(p.join(dir, exe));
    if (!win) out.push(p.join(dir, 'vboxmanage'));
  }
  for (const v of ['VBOX_INSTALL_PATH', 'VBOX_MSI_INSTALL_PATH']) {
    // The Windows installer sets these to folders; several may be joined with ';'.
    for (const dir of (env[v] ?? '').split(win ? ';' : p.delimiter)) if (dir) out.push(p.join(dir, exe));
  }
  if (win) {
    for (const root of [env.ProgramFiles, env.ProgramW6432, 'C:\\Program Files']) if (root) out.push(p.join(root, 'Oracle', 'VirtualBox', exe));
  } else if (platform === 'darwin') {
    out.push('/Applications/VirtualBox.app/Contents/MacOS/VBoxManage', '/usr/local/bin/VBoxManage', '/opt/homebrew/bin/VBoxManage');
  } else {
    out.push('/usr/bin/VBoxManage', '/usr/local/bin/VBoxManage', '/usr/lib/virtualbox/VBoxManage', '/opt/VirtualBox/VBoxManage');
  }
  return [...new Set(out)];
}

export function findVBoxManage(host: Platform = realPlatform()): string {
  const found = vboxManageCandidates(host).find((c) => host.isFile(c));
  if (!found) {
    throw new DriverError('failed-precondition', 'VBoxManage not found: install VirtualBox 6.1 or 7.x, or put VBoxManage on PATH (or set VBOX_INSTALL_PATH to its folder)', {
      detail: `Looked on PATH, in VBOX_INSTALL_PATH and VBOX_MSI_INSTALL_PATH, and in ${host.platform === 'win32' ? 'C:\\Program Files\\Oracle\\VirtualBox' : host.platform === 'darwin' ? '/Applications/VirtualBox.app' : '/usr/bin, /usr/lib/virtualbox and /opt/VirtualBox'}.`,
    });
  }
  return found;
}

export interface VBoxVersion {
  major: number;
  minor: number;
  patch: number;
  raw: string;
}

/** Parses `VBoxManage --version`: "7.0.14r161095", "6.1.50_Ubuntur161033", "5.2.44r139111". */
export function parseVersion(output: string): VBoxVersion | undefined {
  const line = output.split(/\r?\n/).map((l) => l.trim()).find((l) => /^\d+\.\d+/.test(l));
  const m = line ? /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(line) : null;
  if (!m || !line) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), raw: line };
}

/** Versions this driver was written and tested for; others work with a warning. */
export const TESTED_VERSIONS = ['6.1', '7.0', '7.1'];

/** Refuses VirtualBox older than 5; returns a warning for an untested version. */
export function checkVersion(v: VBoxVersion): string | undefined {
  if (v.major < 5) {
    throw new DriverError('failed-precondition', `VirtualBox ${v.raw} is too old: this driver needs VirtualBox 5 or later (6.1 or 7.x recommended)`, {
      detail: 'Upgrade VirtualBox, then run create again.',
    });
  }
  if (!TESTED_VERSIONS.includes(`${v.major}.${v.minor}`)) {
    return `VirtualBox ${v.raw} has not been tested with this driver (tested: ${TESTED_VERSIONS.join(', ')}); it may work`;
  }
  return undefined;
}

export class VBoxManageError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`VBoxManage ${args[0]} failed: ${summarizeStderr(stderr) || `exit code ${exitCode}`}`);
    this.name = 'VBoxManageError';
  }

  get notFound(): boolean {
    return /Could not find a registered machine|VBOX_E_OBJECT_NOT_FOUND/.test(this.stderr);
  }
}

/** The first "error:" line of VBoxManage's stderr, without its prefix. */
export function summarizeStderr(stderr: string): string {
  const line = stderr.split(/\r?\n/).find((l) => /error:/i.test(l) && !/Details:|Context:/.test(l));
  return (line ?? stderr.split(/\r?\n/).find((l) => l.trim()) ?? '').replace(/^VBoxManage(\.exe)?: error: /, '').trim();
}

const NOT_READY = 'error: The object is not ready';

export interface RunOptions {
  stdin?: Buffer;
  signal?: AbortSignal;
  /** Exit codes and stderr are returned, not thrown. */
  allowFailure?: boolean;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * A lock shared by every driver process of this user on this host: the
 * SDK's cross-process lock (a lock whose holder is gone is taken over at
 * once), with the calls of one process queued in order before it.
 */
export class HostLock {
  private queue: Promise<void> = Promise.resolve();
  constructor(
    readonly file: string = path.join(os.tmpdir(), `machine-virtualbox-${os.userInfo().username}.lock`),
    /** How long to wait for another process's command before giving up. */
    private readonly waitMs = 10 * 60_000,
  ) {}

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const previous = this.queue;
    let done!: () => void;
    this.queue = new Promise<void>((resolve) => (done = resolve));
    await previous;
    try {
      const release = await this.acquire(signal);
      try {
        return await fn();
      } finally {
        release();
      }
    } finally {
      done();
    }
  }

  private async acquire(signal?: AbortSignal): Promise<ReleaseLock> {
    try {
      return await lockFile(this.file, { waitMs: this.waitMs, pollMs: 25, command: 'vboxmanage', signal });
    } catch (err) {
      if (signal?.aborted) throw new DriverError('cancelled', 'cancelled while waiting for another VirtualBox command to finish');
      if (err instanceof LockBusyError) {
        throw new DriverError('unavailable', `another VirtualBox command has run for ${Math.round(this.waitMs / 60_000)} minutes (${describeHolder(err.holder)}); try again when it has finished`, {
          detail: `The lock is ${this.file}.`,
        });
      }
      throw err;
    }
  }
}

export class VBoxManage {
  /** Set inside exclusive(): the commands it runs already hold the lock. */
  private readonly holding = new AsyncLocalStorage<boolean>();
  constructor(
    readonly executable: string,
    private readonly log: DriverLogger,
    readonly lock: HostLock = new HostLock(),
    private readonly retryDelayMs = 100,
    private readonly retries = 50,
  ) {}

  /** Runs fn holding the host lock, so that a group of commands (the host-only setup) is not interleaved with another process's. */
  async exclusive<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.holding.getStore()) return fn();
    return this.lock.run(() => this.holding.run(true, fn), signal);
  }

  async run(args: string[], options: RunOptions = {}): Promise<RunResult> {
    for (let attempt = 0; ; attempt++) {
      const once = () => this.spawnOnce(args, options);
      const result = this.holding.getStore() ? await once() : await this.lock.run(once, options.signal);
      if (result.stderr.includes(NOT_READY) && attempt < this.retries) {
        this.log.debug('VBoxManage: the object is not ready, retrying', { args });
        await delay(this.retryDelayMs);
        continue;
      }
      // VBoxManage sometimes reports errors on stderr with exit code 0.
      const failed = result.code !== 0 || /(^|\n)[^\n]*error:/.test(result.stderr);
      if (failed && !options.allowFailure) throw new VBoxManageError(args, result.code, result.stdout, result.stderr);
      return result;
    }
  }

  /** stdout of a command that must succeed. */
  async out(args: string[], options: RunOptions = {}): Promise<string> {
    return (await this.run(args, options)).stdout;
  }

  private spawnOnce(args: string[], options: RunOptions): Promise<RunResult> {
    this.log.debug(`COMMAND: ${this.executable} ${args.join(' ')}`);
    return new Promise<RunResult>((resolve, reject) => {
      const child = spawn(this.executable, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.on('error', (e) => reject(new DriverError('unavailable', `cannot run ${this.executable}: ${e.message}`)));
      child.stdin.on('error', () => undefined);
      child.on('close', (code) => {
        const result = { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code };
        this.log.debug(`STDOUT:\n${result.stdout}\nSTDERR:\n${result.stderr}`, { code });
        resolve(result);
      });
      child.stdin.end(options.stdin);
    });
  }
}

// ---- output parsers ----

/** `showvminfo --machinereadable`: key="value", key=value and "key"="value" lines. */
export function parseMachineReadable(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^("(?:[^"\\]|\\.)*"|[^=]+)=(.*)$/.exec(line);
    if (!m) continue;
    const unquote = (s: string) => (s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replace(/\\(.)/g, '$1') : s);
    out.set(unquote(m[1].trim()), unquote(m[2].trim()));
  }
  return out;
}

/** Blocks of "Key:   value" lines separated by blank lines (the `list` commands). */
export function parseBlocks(text: string): Map<string, string>[] {
  const blocks: Map<string, string>[] = [];
  let current = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      if (current.size) blocks.push(current);
      current = new Map();
      continue;
    }
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m && !current.has(m[1].trim())) current.set(m[1].trim(), m[2].trim());
  }
  if (current.size) blocks.push(current);
  return blocks;
}

export function parseHostOnlyIfs(text: string): HostOnlyInterface[] {
  return parseBlocks(text)
    .filter((b) => b.has('Name'))
    .map((b) => ({
      name: b.get('Name')!,
      ipAddress: b.get('IPAddress') ?? '',
      networkMask: b.get('NetworkMask') ?? '',
      dhcp: (b.get('DHCP') ?? '').toLowerCase() === 'enabled',
      status: b.get('Status') ?? '',
      networkName: b.get('VBoxNetworkName') ?? `HostInterfaceNetworking-${b.get('Name')!}`,
    }));
}

/** What `list hostonlynets` (VirtualBox 7) says about one host-only network. */
export interface HostOnlyNet {
  name: string;
  netmask: string;
  lowerIp: string;
  upperIp: string;
  enabled: boolean;
  networkName: string;
}

export function parseHostOnlyNets(text: string): HostOnlyNet[] {
  return parseBlocks(text)
    .filter((b) => b.has('Name'))
    .map((b) => ({
      name: b.get('Name')!,
      netmask: b.get('NetworkMask') ?? '',
      lowerIp: b.get('LowerIP') ?? '',
      upperIp: b.get('UpperIP') ?? '',
      enabled: (b.get('State') ?? '').toLowerCase() === 'enabled',
      networkName: b.get('VBoxNetworkName') ?? `hostonly-${b.get('Name')!}`,
    }));
}

/**
 * `list hostinfo`: whether the CPU offers VT-x/AMD-V to VirtualBox ("Processor
 * supports HW virtualization: yes"); undefined when the line is missing.
 */
export function hardwareVirtualization(hostInfo: string): boolean | undefined {
  const m = /^Processor supports HW virtualization:\s*(\S+)/im.exec(hostInfo);
  return m ? m[1].toLowerCase() === 'yes' : undefined;
}

/** `hostonlyif create` where VirtualBox has no host-only adapters (VirtualBox 7 on macOS). */
export function noHostOnlyAdapters(stderr: string): boolean {
  return /\/dev\/vboxnetctl|VBoxNetAdpCtl|host-only adapters are (no longer )?supported/i.test(stderr);
}

/** VT-x/AMD-V missing when a VM starts: VirtualBox's status codes and texts for it. */
export function hardwareVirtualizationMissing(text: string): boolean {
  return /VERR_VMX_NO_VMX|VERR_VMX_MSR_(ALL_)?VMX_DISABLED|VERR_SVM_NO_SVM|VERR_SVM_DISABLED|VT-x is (not available|disabled)|AMD-V is (not available|disabled)/i.test(text);
}

export interface DhcpServer {
  networkName: string;
  ip: string;
  netmask: string;
  lowerIp: string;
  upperIp: string;
  enabled: boolean;
}

/** `list dhcpservers`, in 6.1+'s layout ("Dhcpd IP") and the older one ("IP"). */
export function parseDhcpServers(text: string): DhcpServer[] {
  return parseBlocks(text)
    .filter((b) => b.has('NetworkName'))
    .map((b) => ({
      networkName: b.get('NetworkName')!,
      ip: b.get('Dhcpd IP') ?? b.get('IP') ?? '',
      netmask: b.get('NetworkMask') ?? '',
      lowerIp: b.get('LowerIPAddress') ?? b.get('lowerIPAddress') ?? '',
      upperIp: b.get('UpperIPAddress') ?? b.get('upperIPAddress') ?? '',
      enabled: /^yes$/i.test(b.get('Enabled') ?? ''),
    }));
}

/** `list vms` / `list runningvms`: "name" {uuid} lines. */
export function parseVmList(text: string): { name: string; uuid: string }[] {
  const out: { name: string; uuid: string }[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^"(.*)" \{([0-9a-f-]+)\}$/i.exec(line.trim());
    if (m) out.push({ name: m[1], uuid: m[2] });
  }
  return out;
}

/** `guestproperty get`: "Value: X", or "No value set!". */
export function parseGuestProperty(text: string): string | undefined {
  const m = /^Value:\s*(.*)$/m.exec(text);
  return m ? m[1].trim() : undefined;
}

/** `hostonlyif create`: "Interface 'vboxnet0' was successfully created". */
export function parseCreatedInterface(text: string): string | undefined {
  return /Interface '([^']+)' was successfully created/.exec(text)?.[1];
}

/** The DHCP server's lease file (VirtualBox 6.1+): the address leased to a MAC (12 hex digits, any separators). */
export function leaseFor(leasesXml: string, mac: string): string | undefined {
  const want = mac.replace(/[^0-9a-f]/gi, '').toLowerCase();
  let found: string | undefined;
  for (const m of leasesXml.matchAll(/<Lease\b([^>]*)>([\s\S]*?)<\/Lease>/g)) {
    const leaseMac = /\bmac="([^"]+)"/.exec(m[1])?.[1]?.replace(/[^0-9a-f]/gi, '').toLowerCase();
    const state = /\bstate="([^"]+)"/.exec(m[1])?.[1];
    const address = /<Address\s+value="([^"]+)"/.exec(m[2])?.[1];
    if (leaseMac === want && address && state !== 'released' && state !== 'expired') found = address;
  }
  return found;
}

/** VirtualBox's per-user folder, where the DHCP server keeps its leases. */
export function vboxUserHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.VBOX_USER_HOME) return env.VBOX_USER_HOME;
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'VirtualBox');
  if (platform === 'win32') return path.join(home, '.VirtualBox');
  const xdg = path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'VirtualBox');
  return fs.existsSync(xdg) || !fs.existsSync(path.join(home, '.VirtualBox')) ? xdg : path.join(home, '.VirtualBox');
}
