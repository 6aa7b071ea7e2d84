// Shared by the cli-*.test.ts files: a temporary store with fake-driver
// machines, a driver directory whose wrapper records every driver process
// it starts, a TLS "daemon" for a machine's URL, and a runner for the real
// CLI binary.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { Store, newHostConfig } from '@machine/cli/lib/store';
import { bootstrapCertificates, defaultCertPaths, generateServerCert } from '@machine/cli/lib/certs';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const CLI = path.join(REPO, 'cli', 'bin', 'run.js');
const FAKE = path.join(REPO, 'test', 'bin', 'machine-driver-fake');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  root: string;
  store: Store;
  driverDir: string;
  spawnLog: string;
  env: NodeJS.ProcessEnv;
  run(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<RunResult>;
  /** Driver processes started so far (their pids). */
  spawned(): number[];
  /** Recorded driver processes still alive. */
  alive(): number[];
  cleanup(): void;
}

export function sandbox(): Sandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-it-'));
  const storeRoot = path.join(root, 'store');
  const driverDir = path.join(root, 'drivers');
  const spawnLog = path.join(root, 'spawns.log');
  fs.mkdirSync(driverDir);
  // A wrapper per driver name, so each start is recorded before the real driver runs.
  const wrap = (name: string, target: string): void => {
    const p = path.join(driverDir, `machine-driver-${name}`);
    fs.writeFileSync(p, `#!/bin/sh\necho "$$" >> '${spawnLog}'\nexec '${target}' "$@"\n`, { mode: 0o755 });
  };
  wrap('fake', FAKE);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SHELL: '/bin/bash',
    MACHINE_DRIVER_PATH: driverDir,
    MACHINE_STORAGE_PATH: storeRoot,
  };
  const sb: Sandbox = {
    root,
    store: new Store(storeRoot),
    driverDir,
    spawnLog,
    env,
    run: (args, extraEnv = {}) => runCli(args, { ...env, ...extraEnv }),
    spawned: () => (fs.existsSync(spawnLog) ? fs.readFileSync(spawnLog, 'utf8').split('\n').filter(Boolean).map(Number) : []),
    alive: () => sb.spawned().filter(isRunning),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
  return sb;
}

/** Whether pid is a live process (a zombie awaiting its reaper counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Adds a script driver to the sandbox (recorded like the fake one). */
export function addScriptDriver(sb: Sandbox, name: string, js: string): void {
  const target = path.join(sb.root, `${name}-driver.js`);
  fs.writeFileSync(target, js, { mode: 0o755 });
  const p = path.join(sb.driverDir, `machine-driver-${name}`);
  fs.writeFileSync(p, `#!/bin/sh\necho "$$" >> '${sb.spawnLog}'\nexec '${process.execPath}' '${target}' "$@"\n`, { mode: 0o755 });
}

export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return runNode([CLI, ...args], env);
}

export function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface FakeMachineOptions {
  ip?: string;
  driver?: string;
  power?: 'Running' | 'Stopped';
  lastURL?: string;
  state?: Record<string, unknown>;
  stateVersion?: number;
}

/** A machine as create would leave it, for the fake driver (its resource file included). */
export function addFakeMachine(sb: Sandbox, name: string, o: FakeMachineOptions = {}): void {
  const state = { ip: o.ip ?? '127.0.0.1', sshPort: 22, sshUser: 'docker', createDelayMs: 0, labels: [], failOn: '', crashOn: '', warn: false, ...(o.state ?? {}) };
  const host = newHostConfig({ storeRoot: sb.store.root, name, driverName: o.driver ?? 'fake', driverState: state as never, driverStateVersion: o.stateVersion ?? 2 });
  if (o.lastURL) host.Machine = { ...(host.Machine ?? {}), LastURL: o.lastURL };
  sb.store.save(host);
  fs.writeFileSync(path.join(sb.store.machineDir(name), 'fake-machine.json'), JSON.stringify({ power: o.power ?? 'Running', createdAt: new Date().toISOString() }));
}

/** A random loopback address, so parallel test runs never share a daemon port. */
export function loopbackIP(): string {
  const b = () => 1 + Math.floor(Math.random() * 250);
  return `127.${b()}.${b()}.${b()}`;
}

export interface Daemon {
  url: string;
  requests: number;
  close(): Promise<void>;
}

/**
 * Gives the machine what create would: a server certificate our CA signed
 * for `hosts` (made fresh, so each machine's is its own) and the client's
 * TLS files. Returns the server's certificate and key.
 */
export async function writeMachineCerts(sb: Sandbox, machine: string, hosts: string[]): Promise<{ certPem: string; keyPem: string }> {
  const paths = defaultCertPaths(sb.store.root);
  await bootstrapCertificates(paths, { storeRoot: sb.store.root, log: () => undefined });
  const server = await generateServerCert({
    caCertPem: fs.readFileSync(paths.caCertPath, 'utf8'),
    caKeyPem: fs.readFileSync(paths.caKeyPath, 'utf8'),
    org: `test.${machine}`,
    hosts,
  });
  const dir = sb.store.machineDir(machine);
  fs.writeFileSync(path.join(dir, 'server.pem'), server.certPem);
  fs.writeFileSync(path.join(dir, 'server-key.pem'), server.keyPem, { mode: 0o600 });
  for (const [from, to] of [[paths.caCertPath, 'ca.pem'], [paths.clientCertPath, 'cert.pem'], [paths.clientKeyPath, 'key.pem']]) fs.copyFileSync(from, path.join(dir, to));
  return server;
}

/**
 * A stand-in Docker daemon on ip:2376 with a server certificate our CA
 * signed for `certHosts` (default: the IP and localhost), requiring the
 * client certificate, answering GET /version.
 */
export async function startDaemon(sb: Sandbox, machine: string, ip: string, certHosts?: string[]): Promise<Daemon> {
  const server = await writeMachineCerts(sb, machine, certHosts ?? [ip, 'localhost']);
  const paths = defaultCertPaths(sb.store.root);
  const d: Daemon = { url: `tcp://${ip}:2376`, requests: 0, close: async () => undefined };
  const srv = https.createServer({ key: server.keyPem, cert: server.certPem, ca: fs.readFileSync(paths.caCertPath), requestCert: true, rejectUnauthorized: true }, (_req, res) => {
    d.requests++;
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ Version: '24.0.7', ApiVersion: '1.43' }));
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(2376, ip, () => resolve());
  });
  d.close = () => new Promise((r) => srv.close(() => r()));
  return d;
}

export async function waitGone(sb: Sandbox, ms = 5000): Promise<number[]> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && sb.alive().length) await new Promise((r) => setTimeout(r, 50));
  return sb.alive();
}
