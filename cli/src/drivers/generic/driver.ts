// The generic driver: an existing host reached over SSH. It makes nothing,
// so Remove has nothing to undo; it can only reboot the host (over SSH), and
// it reports the host as Running while its SSH port accepts connections.
import { setTimeout as sleep } from 'node:timers/promises';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { baseDriverState, DriverError, type BaseDriverState, type Driver, type DriverContext } from '@machine/driver-sdk';
import type { FlagSpec, FlagValues, JsonObject, MachineStateName, SSHInfo } from '@machine/driver-sdk';
import { hostAddressProblem, hostPort } from '../../format/address';

/** Field names are the reference's, so stores it wrote load unchanged. */
export type GenericState = BaseDriverState & {
  EnginePort: number;
  /** The key file the user gave; copied to SSHKeyPath at create. */
  SSHKey: string;
};

const DEFAULT_USER = 'root';
const DEFAULT_SSH_PORT = 22;
const DEFAULT_ENGINE_PORT = 2376;
const PROBE_TIMEOUT_MS = 3000;

function expandHome(p: string): string {
  return p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p;
}

function port(value: unknown, flag: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new DriverError('invalid-argument', `--${flag} must be a port number between 1 and 65535, not "${String(value)}"`, { flag });
  }
  return n;
}

export { hostPort };

/** Resolves when host:port accepts a TCP connection, rejects otherwise. */
export function probeTcp(host: string, p: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port: p });
    const done = (err?: Error) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error(`no answer from ${hostPort(host, p)} within ${timeoutMs / 1000} s`)), timeoutMs);
    sock.once('connect', () => done());
    sock.once('error', (e) => done(e));
  });
}

export class GenericDriver implements Driver<GenericState> {
  readonly info = {
    name: 'generic',
    version: '0.1.0',
    description: 'An existing host, reached over SSH',
    stateVersion: 1,
  };

  schema(): FlagSpec[] {
    return [
      { name: 'generic-ip-address', type: 'string', description: 'IP address (or resolvable name) of the host', envVar: 'GENERIC_IP_ADDRESS' },
      { name: 'generic-ssh-user', type: 'string', description: 'SSH user', default: DEFAULT_USER, envVar: 'GENERIC_SSH_USER' },
      { name: 'generic-ssh-key', type: 'string', description: 'SSH private key path (default: the SSH agent)', envVar: 'GENERIC_SSH_KEY' },
      { name: 'generic-ssh-port', type: 'int', description: 'SSH port', default: DEFAULT_SSH_PORT, envVar: 'GENERIC_SSH_PORT' },
      { name: 'generic-engine-port', type: 'int', description: 'Docker engine port', default: DEFAULT_ENGINE_PORT, envVar: 'GENERIC_ENGINE_PORT' },
    ];
  }

  configure(ctx: DriverContext, flags: FlagValues): GenericState {
    const ip = String(flags['generic-ip-address'] ?? '').trim();
    if (!ip) {
      throw new DriverError('invalid-argument', 'generic driver requires the --generic-ip-address option', {
        flag: 'generic-ip-address',
        detail: 'Give the address of the host to register, e.g. --generic-ip-address 203.0.113.10.',
      });
    }
    const problem = hostAddressProblem(ip);
    if (problem) {
      throw new DriverError('invalid-argument', `--generic-ip-address "${ip}" is not an IP address or a host name: ${problem}`, { flag: 'generic-ip-address' });
    }
    const key = expandHome(String(flags['generic-ssh-key'] ?? '').trim());
    return {
      ...baseDriverState(ctx.machine, {
        IPAddress: ip,
        SSHUser: String(flags['generic-ssh-user'] || DEFAULT_USER),
        SSHPort: port(flags['generic-ssh-port'], 'generic-ssh-port', DEFAULT_SSH_PORT),
        SSHKeyPath: key ? path.join(ctx.machine.machineDir, 'id_rsa') : '',
      }),
      EnginePort: port(flags['generic-engine-port'], 'generic-engine-port', DEFAULT_ENGINE_PORT),
      SSHKey: key ? path.resolve(key) : '',
    };
  }

  private checkKeyReadable(state: GenericState): void {
    if (state.SSHKey) {
      try {
        fs.accessSync(state.SSHKey, fs.constants.R_OK);
      } catch (err) {
        throw new DriverError('invalid-argument', `cannot read the SSH key ${state.SSHKey}: ${(err as Error).message}`, { flag: 'generic-ssh-key' });
      }
    } else if (!process.env.SSH_AUTH_SOCK) {
      throw new DriverError('invalid-argument', 'no SSH key given and no SSH agent running', {
        flag: 'generic-ssh-key',
        detail: 'Pass --generic-ssh-key with a private key authorised on the host, or start ssh-agent with the key loaded.',
      });
    }
  }

  async preCreateCheck(_ctx: DriverContext, state: GenericState): Promise<void> {
    this.checkKeyReadable(state);
    await this.checkSshListens(state);
  }

  async create(ctx: DriverContext, state: GenericState): Promise<GenericState> {
    if (state.SSHKey) {
      ctx.progress('Importing SSH key...');
      fs.mkdirSync(ctx.machine.machineDir, { recursive: true, mode: 0o700 });
      fs.copyFileSync(state.SSHKey, state.SSHKeyPath);
      fs.chmodSync(state.SSHKeyPath, 0o600);
      if (fs.existsSync(`${state.SSHKey}.pub`)) {
        fs.copyFileSync(`${state.SSHKey}.pub`, `${state.SSHKeyPath}.pub`);
        fs.chmodSync(`${state.SSHKeyPath}.pub`, 0o644);
      }
    }
    return state;
  }

  async start(_ctx: DriverContext, state: GenericState): Promise<void> {
    if (await this.reachable(state)) return;
    throw new DriverError('failed-precondition', `the host ${state.IPAddress} is not reachable on SSH port ${state.SSHPort}, and the generic driver cannot power it on`, {
      detail: 'Start the host by the means that manage it (its console, hypervisor or provider); machine will find it again once SSH answers.',
    });
  }

  async stop(): Promise<void> {
    throw new DriverError('failed-precondition', 'the generic driver does not support stop', {
      detail: 'A host registered with the generic driver is not managed by machine; stop it by the means that manage it, or run "machine ssh NAME sudo poweroff".',
    });
  }

  async kill(): Promise<void> {
    throw new DriverError('failed-precondition', 'the generic driver does not support kill', {
      detail: 'A host registered with the generic driver is not managed by machine; stop it by the means that manage it.',
    });
  }

  /** Reboots the host over SSH, like the reference, and returns once the reboot has begun. */
  async restart(ctx: DriverContext, state: GenericState): Promise<void> {
    const { SshConnection } = await import('../../ssh/client');
    ctx.progress('Rebooting the host over SSH...');
    const conn = await SshConnection.connect(this.sshTarget(state), {
      hostKey: { expected: ctx.machine.sshHostKey, machineName: ctx.machine.name },
      readyTimeoutMs: 20_000,
      signal: ctx.signal,
    });
    try {
      const cmd = state.SSHUser === 'root' ? 'shutdown -r now || reboot' : 'sudo -n shutdown -r now || sudo -n reboot';
      // The connection usually drops before the command reports back.
      await Promise.race([conn.exec(`(sleep 1; ${cmd}) >/dev/null 2>&1 &`).catch(() => undefined), sleep(5000)]);
    } finally {
      conn.close();
    }
    // Wait until SSH goes away, so the caller's wait for "running" sees the host come back, not the old one.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !ctx.signal.aborted) {
      if (!(await this.reachable(state, 1000))) return;
      await sleep(250);
    }
  }

  async remove(): Promise<void> {
    // Nothing was made for the host; its key copy goes with the machine directory.
  }

  async getState(_ctx: DriverContext, state: GenericState): Promise<MachineStateName> {
    // No address means no host was ever attached: the protocol's unknown-machine rule.
    if (!state.IPAddress) return 'Not Found';
    return (await this.reachable(state)) ? 'Running' : 'Stopped';
  }

  async getIP(_ctx: DriverContext, state: GenericState): Promise<string> {
    if (!state.IPAddress) throw new DriverError('failed-precondition', 'IP address is not set');
    return state.IPAddress;
  }

  async getURL(ctx: DriverContext, state: GenericState): Promise<string> {
    const ip = await this.getIP(ctx, state);
    return `tcp://${hostPort(ip, state.EnginePort || DEFAULT_ENGINE_PORT)}`;
  }

  async getSSHInfo(_ctx: DriverContext, state: GenericState): Promise<SSHInfo> {
    return { host: state.IPAddress, port: state.SSHPort || DEFAULT_SSH_PORT, user: state.SSHUser || DEFAULT_USER, keyPath: state.SSHKeyPath };
  }

  upgradeState(_ctx: DriverContext, state: JsonObject): GenericState {
    return {
      IPAddress: String(state.IPAddress ?? ''),
      MachineName: String(state.MachineName ?? ''),
      SSHUser: String(state.SSHUser ?? DEFAULT_USER),
      SSHPort: Number(state.SSHPort ?? DEFAULT_SSH_PORT),
      SSHKeyPath: String(state.SSHKeyPath ?? ''),
      StorePath: String(state.StorePath ?? ''),
      SwarmMaster: state.SwarmMaster === true,
      SwarmHost: String(state.SwarmHost ?? ''),
      SwarmDiscovery: String(state.SwarmDiscovery ?? ''),
      EnginePort: Number(state.EnginePort ?? DEFAULT_ENGINE_PORT),
      SSHKey: String(state.SSHKey ?? ''),
    };
  }

  /**
   * A refused connection means nothing listens on the SSH port: waiting
   * would not help an existing host, so say so now. A time-out or no route
   * may be a host still booting or a network still coming up, and is left
   * to the wait that follows create.
   */
  private async checkSshListens(state: GenericState): Promise<void> {
    const sshPort = state.SSHPort || DEFAULT_SSH_PORT;
    try {
      await probeTcp(state.IPAddress, sshPort);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED') return;
      throw new DriverError('failed-precondition', `cannot reach SSH on ${hostPort(state.IPAddress, sshPort)}: connection refused`, {
        flag: 'generic-ssh-port',
        detail: `Check that the host runs an SSH server on port ${sshPort} (--generic-ssh-port) and that no firewall rejects the connection.`,
      });
    }
  }

  private sshTarget(state: GenericState) {
    return { host: state.IPAddress, port: state.SSHPort || DEFAULT_SSH_PORT, user: state.SSHUser || DEFAULT_USER, keyPath: state.SSHKeyPath || undefined };
  }

  private async reachable(state: GenericState, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
    try {
      await probeTcp(state.IPAddress, state.SSHPort || DEFAULT_SSH_PORT, timeoutMs);
      return true;
    } catch {
      return false;
    }
  }
}
