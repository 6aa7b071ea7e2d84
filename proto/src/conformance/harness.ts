// Low-level helpers for the conformance kit: start a driver by hand, read its
// handshake and dial it, without the host's conveniences, so the kit can see
// exactly what the driver does on stdout, on exit and on the wire.
import { setTimeout as delay } from 'node:timers/promises';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as grpcTypes from '@grpc/grpc-js';
import {
  ENV_CLIENT_CERT,
  ENV_LIFELINE,
  ENV_PROTOCOL_VERSIONS,
  ENV_TRANSPORT,
  ENV_UNIX_SOCKET_DIR,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
} from '../constants';
import { parseHandshake, type HandshakeLine } from '../handshake';
import type { HealthClient } from '../gen/grpc/health/v1/Health';
import type { GRPCControllerClient } from '../gen/plugin/GRPCController';
import { loadWire } from '../wire';
import { isProcessAlive } from '../process-alive';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A driver process started by the kit, with everything it wrote. */
export class RawDriver {
  readonly child: ChildProcessWithoutNullStreams;
  readonly socketBase: string;
  stdout = '';
  stderr = '';
  exit?: Exit;
  private readonly exited: Promise<Exit>;
  private channel?: grpcTypes.Channel;

  constructor(executable: string, args: string[], env: NodeJS.ProcessEnv, opts: { cookie?: boolean; versions?: string; lifeline?: boolean } = {}) {
    this.socketBase = fs.mkdtempSync(path.join(os.tmpdir(), 'machine-conf-'));
    const full: NodeJS.ProcessEnv = { ...env, [ENV_UNIX_SOCKET_DIR]: this.socketBase };
    delete full[ENV_CLIENT_CERT];
    delete full[ENV_TRANSPORT];
    if (opts.cookie === false) delete full[MAGIC_COOKIE_KEY];
    else full[MAGIC_COOKIE_KEY] = MAGIC_COOKIE_VALUE;
    full[ENV_PROTOCOL_VERSIONS] = opts.versions ?? '1';
    if (opts.lifeline !== false) full[ENV_LIFELINE] = 'stdin';
    else delete full[ENV_LIFELINE];
    this.child = spawn(executable, args, { env: full, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin.on('error', () => undefined);
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stdout.on('data', (c: string) => (this.stdout += c));
    this.child.stderr.on('data', (c: string) => (this.stderr += c));
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      this.child.on('error', () => {
        this.exit = { code: -1, signal: null };
        resolve(this.exit);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves with the first stdout line, or undefined when the process exits or the time is up. */
  async firstLine(timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const nl = this.stdout.indexOf('\n');
      if (nl >= 0) return this.stdout.slice(0, nl);
      if (this.exit) return undefined;
      await sleep(10);
    }
    return undefined;
  }

  async handshake(timeoutMs: number): Promise<HandshakeLine> {
    const line = await this.firstLine(timeoutMs);
    if (line === undefined) {
      throw new Error(
        `no handshake line within ${timeoutMs} ms (${this.exit ? `exited with ${describe(this.exit)}` : 'still running'}); stderr:\n${this.stderr.slice(-2000)}`,
      );
    }
    return parseHandshake(line, [1]);
  }

  /**
   * The unix socket the driver announced in its handshake line, wherever it
   * is: older go-plugin releases put it in the temp directory
   * (/tmp/pluginNNN), outside PLUGIN_UNIX_SOCKET_DIR.
   */
  announcedSocket(): string | undefined {
    const nl = this.stdout.indexOf('\n');
    if (nl < 0) return undefined;
    const fields = this.stdout.slice(0, nl).split('|');
    return fields[2] === 'unix' && fields[3] ? fields[3] : undefined;
  }

  /** Socket files of this driver still on disk: under PLUGIN_UNIX_SOCKET_DIR and the one it announced. */
  socketsLeft(): string[] {
    const left = socketsUnder(this.socketBase);
    const announced = this.announcedSocket();
    if (announced && !left.includes(announced) && isSocket(announced)) left.push(announced);
    return left;
  }

  /** Waits for the process to exit; true when it did within the time. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    if (this.exit) return true;
    // The timer is cleared as soon as the process exits: a pending one would
    // keep mocha (without --exit) alive for timeoutMs after the last test.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    try {
      await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
    return this.exit !== undefined;
  }

  private dial(hs: HandshakeLine): grpcTypes.Channel {
    if (this.channel) return this.channel;
    if (hs.network !== 'unix') throw new Error(`expected a unix socket without ${ENV_CLIENT_CERT}, got ${hs.network}`);
    const { grpc } = loadWire();
    this.channel = new grpc.Channel(`unix:${hs.address}`, grpc.credentials.createInsecure(), { 'grpc.enable_http_proxy': 0 });
    return this.channel;
  }

  health(hs: HandshakeLine, service: string, timeoutMs = 10_000): Promise<string> {
    const wire = loadWire();
    const client = new wire.protos.grpc.health.v1.Health('unused', wire.grpc.credentials.createInsecure(), {
      channelOverride: this.dial(hs),
    }) as HealthClient;
    return new Promise((resolve, reject) =>
      client.Check({ service }, { deadline: Date.now() + timeoutMs, waitForReady: true } as grpcTypes.CallOptions, (err, res) =>
        err ? reject(err) : resolve(String(res?.status)),
      ),
    );
  }

  shutdown(hs: HandshakeLine, timeoutMs = 10_000): Promise<void> {
    const wire = loadWire();
    const client = new wire.protos.plugin.GRPCController('unused', wire.grpc.credentials.createInsecure(), {
      channelOverride: this.dial(hs),
    }) as GRPCControllerClient;
    // A driver may exit before the reply arrives; both count as done.
    return new Promise((resolve) => client.Shutdown({}, { deadline: Date.now() + timeoutMs }, () => resolve()));
  }

  /** Kills the process tree and removes the socket directory. */
  async dispose(): Promise<void> {
    this.channel?.close();
    for (const pid of descendants(this.pid)) signal(pid, 'SIGKILL');
    if (!this.exit) {
      this.child.kill('SIGKILL');
      await this.waitExit(5_000);
    }
    fs.rmSync(this.socketBase, { recursive: true, force: true });
    // A killed driver cannot remove a socket it made outside that directory.
    const announced = this.announcedSocket();
    if (announced && isSocket(announced)) fs.rmSync(announced, { force: true });
  }
}

function isSocket(file: string): boolean {
  try {
    return fs.lstatSync(file).isSocket();
  } catch {
    return false;
  }
}

export function describe(exit: Exit): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

export function sleep(ms: number): Promise<void> {
  return delay(ms);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

export function isAlive(pid: number | undefined): boolean {
  return pid !== undefined && isProcessAlive(pid);
}

/** All descendants of pid (Linux /proc; empty elsewhere). */
export function descendants(pid: number | undefined): number[] {
  if (!pid || process.platform !== 'linux') return [];
  const parents = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(entry));
      parents.set(ppid, list);
    } catch {
      // the process went away while we looked
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    for (const c of parents.get(p) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** Socket files left anywhere under dir. */
export function socketsUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isSocket()) out.push(p);
    }
  };
  walk(dir);
  return out;
}
