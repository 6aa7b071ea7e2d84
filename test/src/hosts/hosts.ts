// Real test hosts: containers running systemd (or sysvinit) and sshd, each
// with its own address on a docker network this test run created, made from
// the project's machine images (plugins/driver-docker/image).
//
// Everything this module creates carries the label of this run (and the pid
// of its owner), so cleanup removes exactly this run's containers and
// networks, never another run's on the same engine.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import type { ImageFlavour } from '@machine/driver-docker/lib/image';
import { generateEd25519HostKey } from '@machine/driver-sdk';

export type TestHostFlavour = 'docker' | 'nodocker' | 'sudo-user' | 'sysvinit';
export const TEST_HOST_FLAVOURS: readonly TestHostFlavour[] = ['docker', 'nodocker', 'sudo-user', 'sysvinit'];

export const LABEL_RUN = 'io.machine.test.run';
export const LABEL_OWNER_PID = 'io.machine.test.owner-pid';
export const LABEL_ROLE = 'io.machine.test.role';
/** The user that the sudo-user flavour logs in as (Debian's cloud images use a similar one). */
export const SUDO_USER = 'debian';

/** The machine image each test-host flavour boots from. */
export function imageFlavourOf(flavour: TestHostFlavour): ImageFlavour {
  switch (flavour) {
    case 'docker':
      return 'docker';
    case 'sysvinit':
      return 'sysvinit';
    case 'nodocker':
    case 'sudo-user':
      return 'nodocker';
  }
}

let docker: Dockerode | undefined;
export function engine(): Dockerode {
  docker ??= new Dockerode();
  return docker;
}

/** One id per test process unless MACHINE_TEST_RUN_ID names it; it is in every label and name. */
export const runId: string = process.env.MACHINE_TEST_RUN_ID ?? `${process.pid.toString(36)}${crypto.randomBytes(3).toString('hex')}`;

// Several processes may share a run id (test/run-all.sh sets one for all
// suites): names also carry the process, so they never collide.
const namePrefix = `machine-test-${runId}${process.env.MACHINE_TEST_RUN_ID ? `-${process.pid.toString(36)}` : ''}`;

function runLabels(role: string): Record<string, string> {
  return { [LABEL_RUN]: runId, [LABEL_OWNER_PID]: String(process.pid), [LABEL_ROLE]: role };
}

export interface RunKey {
  privateKeyPath: string;
  publicKey: string;
}

let runKey: RunKey | undefined;
/** This run's ed25519 key (OpenSSH format, readable by ssh2 and ssh), authorized on every host by default. */
export function testRunKey(): RunKey {
  if (runKey) return runKey;
  // The SDK's OpenSSH writer, not ssh2's generateKeyPairSync: about 1 in 200
  // of ssh2's ed25519 keys fail its own parser ("Malformed OpenSSH private
  // key"), which failed whole test runs.
  const pair = generateEd25519HostKey(`machine-test-${runId}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `machine-test-${runId}-`));
  const privateKeyPath = path.join(dir, 'id_ed25519');
  fs.writeFileSync(privateKeyPath, pair.privateKey, { mode: 0o600 });
  fs.writeFileSync(`${privateKeyPath}.pub`, `${pair.publicKey}\n`, { mode: 0o644 });
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  runKey = { privateKeyPath, publicKey: pair.publicKey.trim() };
  return runKey;
}

export interface TestNetwork {
  id: string;
  name: string;
  remove(): Promise<void>;
}

let networkSeq = 0;
/**
 * A bridge network owned by this run. `internal` networks have no route out
 * (no mirror, no internet), for proving that something works offline; the
 * test process still reaches their hosts.
 */
export async function createTestNetwork(opts: { name?: string; internal?: boolean } = {}): Promise<TestNetwork> {
  const name = opts.name ?? `${namePrefix}-net${++networkSeq}`;
  const net = await engine().createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Internal: opts.internal ?? false, Labels: runLabels('network') });
  return {
    id: net.id,
    name,
    remove: async () => {
      await net.remove().catch(ignoreNotFound);
    },
  };
}

let defaultNetwork: Promise<TestNetwork> | undefined;
function runNetwork(): Promise<TestNetwork> {
  defaultNetwork ??= createTestNetwork({ name: namePrefix }).catch((err: unknown) => {
    defaultNetwork = undefined;
    throw err;
  });
  return defaultNetwork;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface TestHost {
  readonly name: string;
  readonly containerId: string;
  /** The host's address on its network, reachable from the test process; refreshed by start(). */
  readonly ip: string;
  readonly port: 22;
  /** 'root', or a user with passwordless sudo. */
  readonly user: string;
  /** A private key authorized for `user` (this run's key unless other keys were given instead). */
  readonly privateKeyPath: string;
  readonly flavour: TestHostFlavour;
  readonly network: string;
  /** Runs a command in the host as root, through the engine (not SSH). A string goes to `sh -c`. */
  exec(cmd: string | string[], opts?: { env?: Record<string, string>; user?: string }): Promise<ExecResult>;
  /** Shuts the host down cleanly (init's stop signal). */
  stop(): Promise<void>;
  /** Starts a stopped host, refreshes `ip` and waits for SSH. */
  start(): Promise<void>;
  /** Kills the host at once, as power loss would. */
  kill(): Promise<void>;
  remove(): Promise<void>;
  /** Resolves when sshd accepts `user` with the key and runs a command. */
  waitForSSH(timeoutMs?: number): Promise<void>;
}

export interface StartHostOptions {
  flavour: TestHostFlavour;
  /** A network from createTestNetwork(), by name; default: this run's own network. */
  network?: string | TestNetwork;
  /** Container name and hostname; default machine-test-RUN[-PID]-N. */
  name?: string;
  /** The SSH user; default root, or SUDO_USER for 'sudo-user'. A non-root user gets passwordless sudo. */
  user?: string;
  /** Public keys authorized for `user`, in addition to this run's key unless `withRunKey` is false. */
  authorizedKeys?: string[];
  withRunKey?: boolean;
  /** Private key that `waitForSSH` uses when the run key is not authorized. */
  privateKeyPath?: string;
  /** Wait until SSH answers before returning (default true). */
  waitForSSH?: boolean;
}

let hostSeq = 0;

export async function startHost(opts: StartHostOptions): Promise<TestHost> {
  const { imageTag, stopSignal, systemdHostConfig } = await import('@machine/driver-docker/lib/image');
  const flavour = opts.flavour;
  if (!TEST_HOST_FLAVOURS.includes(flavour)) throw new Error(`unknown test-host flavour '${flavour}' (one of: ${TEST_HOST_FLAVOURS.join(', ')})`);
  const imageFlavour = imageFlavourOf(flavour);
  const image = imageTag(imageFlavour);
  const network = typeof opts.network === 'string' ? opts.network : (opts.network ?? (await runNetwork())).name;
  const name = opts.name ?? `${namePrefix}-${++hostSeq}`;
  const user = opts.user ?? (flavour === 'sudo-user' ? SUDO_USER : 'root');
  const withRunKey = opts.withRunKey ?? true;
  const keys = [...(opts.authorizedKeys ?? []), ...(withRunKey ? [testRunKey().publicKey] : [])];
  const privateKeyPath = opts.privateKeyPath ?? (withRunKey ? testRunKey().privateKeyPath : '');
  if (!privateKeyPath) throw new Error('startHost: pass privateKeyPath when withRunKey is false, so that the host can be reached');

  let container: Dockerode.Container;
  try {
    container = await engine().createContainer({
      name,
      Hostname: name.slice(0, 63),
      Image: image,
      Labels: { ...runLabels('host'), 'io.machine.test.flavour': flavour },
      StopSignal: stopSignal(imageFlavour),
      Tty: true,
      HostConfig: systemdHostConfig(network),
    });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404 && /image/i.test(String((err as Error).message))) {
      throw new Error(`the test-host image ${image} is missing; build it with: node test/lib/hosts/prepare.js`);
    }
    throw err;
  }
  const host = new ContainerHost(container, name, flavour, network, user, privateKeyPath);
  try {
    await container.start();
    await host.refreshIp();
    await host.authorize(keys);
    if (opts.waitForSSH ?? true) await host.waitForSSH();
  } catch (err) {
    await host.remove().catch(() => undefined);
    throw err;
  }
  return host;
}

class ContainerHost implements TestHost {
  readonly port = 22 as const;
  readonly containerId: string;
  private address = '';

  constructor(
    private readonly container: Dockerode.Container,
    readonly name: string,
    readonly flavour: TestHostFlavour,
    readonly network: string,
    readonly user: string,
    readonly privateKeyPath: string,
  ) {
    this.containerId = container.id;
  }

  get ip(): string {
    return this.address;
  }

  async refreshIp(): Promise<void> {
    const info = await this.container.inspect();
    const ip = info.NetworkSettings.Networks[this.network]?.IPAddress;
    if (!ip) throw new Error(`test host ${this.name} has no address on network ${this.network}`);
    this.address = ip;
  }

  /** Creates the user (with sudo) when needed and installs its authorized keys. */
  async authorize(keys: string[]): Promise<void> {
    const script = [
      'set -eu',
      'if [ "$U" != root ]; then',
      // A user named like an existing group (docker) joins that group instead of failing to make its own.
      '  id -u "$U" >/dev/null 2>&1 || useradd -m -s /bin/bash $(getent group "$U" >/dev/null && echo -g "$U") "$U"',
      '  printf "%s ALL=(ALL) NOPASSWD:ALL\\n" "$U" > "/etc/sudoers.d/90-$U"',
      '  chmod 0440 "/etc/sudoers.d/90-$U"',
      'fi',
      'home=$(getent passwd "$U" | cut -d: -f6)',
      'install -d -m 0700 -o "$U" -g "$(id -gn "$U")" "$home/.ssh"',
      'printf "%s\\n" "$KEYS" > "$home/.ssh/authorized_keys"',
      'chown "$U:$(id -gn "$U")" "$home/.ssh/authorized_keys"',
      'chmod 0600 "$home/.ssh/authorized_keys"',
    ].join('\n');
    const r = await this.exec(['sh', '-c', script], { env: { U: this.user, KEYS: keys.join('\n') } });
    if (r.code !== 0) throw new Error(`setting up user ${this.user} on test host ${this.name} failed: ${r.stderr.trim()}`);
  }

  async exec(cmd: string | string[], opts: { env?: Record<string, string>; user?: string } = {}): Promise<ExecResult> {
    const argv = typeof cmd === 'string' ? ['sh', '-c', cmd] : cmd;
    const exec = await this.container.exec({
      Cmd: argv,
      AttachStdout: true,
      AttachStderr: true,
      Env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
      User: opts.user ?? 'root',
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const { PassThrough } = await import('node:stream');
    const so = new PassThrough();
    const se = new PassThrough();
    so.on('data', (b: Buffer) => out.push(b));
    se.on('data', (b: Buffer) => err.push(b));
    engine().modem.demuxStream(stream, so, se);
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
    const info = await exec.inspect();
    return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: info.ExitCode ?? -1 };
  }

  async stop(): Promise<void> {
    await this.container.stop({ t: 20 }).catch(ignoreNotModified);
  }

  async start(): Promise<void> {
    await this.container.start().catch(ignoreNotModified);
    await this.refreshIp();
    await this.waitForSSH();
  }

  async kill(): Promise<void> {
    await this.container.kill({ signal: 'SIGKILL' }).catch(ignoreConflict);
  }

  async remove(): Promise<void> {
    await this.container.remove({ force: true, v: true }).catch(ignoreNotFound);
  }

  async waitForSSH(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const key = fs.readFileSync(this.privateKeyPath);
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        await sshRun(this.address, this.user, key, 'true', Math.min(5_000, Math.max(1_000, deadline - Date.now())));
        return;
      } catch (err) {
        last = err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    throw new Error(`sshd on test host ${this.name} (${this.address}:22, user ${this.user}) did not accept the key within ${timeoutMs} ms: ${String((last as Error)?.message ?? last)}`);
  }
}

/** Runs one command over SSH with ssh2 and resolves with its output; rejects on connection failure. */
export async function sshRun(host: string, username: string, privateKey: Buffer | string, command: string, readyTimeout = 10_000): Promise<ExecResult> {
  const { Client } = await import('ssh2');
  return new Promise<ExecResult>((resolve, reject) => {
    const client = new Client();
    let settled = false;
    const finish = (err: Error | null, result?: ExecResult) => {
      if (settled) return;
      settled = true;
      client.end();
      if (err) reject(err);
      else resolve(result as ExecResult);
    };
    client.on('error', (err) => finish(err));
    client.on('ready', () => {
      client.exec(command, (err, channel) => {
        if (err) return finish(err);
        let stdout = '';
        let stderr = '';
        let code = -1;
        channel.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
        channel.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
        channel.on('exit', (c: number | null) => (code = c ?? -1));
        channel.on('close', () => finish(null, { stdout, stderr, code }));
      });
    });
    client.connect({ host, port: 22, username, privateKey, readyTimeout, hostVerifier: () => true });
  });
}

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number } | null)?.statusCode;
}
function ignoreNotFound(err: unknown): void {
  if (statusOf(err) !== 404) throw err;
}
function ignoreNotModified(err: unknown): void {
  if (statusOf(err) !== 304) throw err;
}
function ignoreConflict(err: unknown): void {
  // 409: the container is not running, which is what kill wants.
  if (statusOf(err) !== 409) throw err;
}

/** Removes every container and network of this run (or of `run`), and only those. */
export async function cleanupTestHosts(run: string = runId): Promise<{ containers: number; networks: number }> {
  const docker = engine();
  const filters = JSON.stringify({ label: [`${LABEL_RUN}=${run}`] });
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreNotFound)));
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(ignoreNotFound)));
  if (run === runId) defaultNetwork = undefined;
  return { containers: containers.length, networks: networks.length };
}

/**
 * Removes test hosts and networks left by runs whose process has died on
 * this machine (a crashed or killed test run). Live runs are never touched.
 */
export async function cleanupAbandonedTestHosts(): Promise<string[]> {
  const docker = engine();
  const filters = JSON.stringify({ label: [LABEL_RUN] });
  // A run may span several processes (MACHINE_TEST_RUN_ID): it has ended
  // only when every process that made something for it is gone.
  const owners = new Map<string, Set<string>>();
  const note = (labels: Record<string, string> | undefined) => {
    const run = labels?.[LABEL_RUN];
    if (!run) return;
    if (!owners.has(run)) owners.set(run, new Set());
    owners.get(run)?.add(labels?.[LABEL_OWNER_PID] ?? '');
  };
  for (const c of await docker.listContainers({ all: true, filters })) note(c.Labels);
  for (const n of await docker.listNetworks({ filters })) note(n.Labels);
  const ended: string[] = [];
  for (const [run, pids] of owners) {
    if (run === runId) continue;
    const dead = [...pids].every((pid) => /^\d+$/.test(pid) && !processAlive(Number(pid)));
    if (!dead) continue;
    await cleanupTestHosts(run);
    ended.push(run);
  }
  return ended;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * For a test file: hosts started through the returned function are removed
 * after the enclosing describe block, pass or fail.
 */
export function useTestHosts(): { start: (opts: StartHostOptions) => Promise<TestHost>; network: (opts?: { internal?: boolean }) => Promise<TestNetwork> } {
  const hosts: TestHost[] = [];
  const networks: TestNetwork[] = [];
  after(async function () {
    this.timeout(120_000);
    await Promise.all(hosts.map((h) => h.remove()));
    await Promise.all(networks.map((n) => n.remove()));
  });
  return {
    start: async (opts) => {
      const h = await startHost(opts);
      hosts.push(h);
      return h;
    },
    network: async (opts) => {
      const n = await createTestNetwork(opts);
      networks.push(n);
      return n;
    },
  };
}
