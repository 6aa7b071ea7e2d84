// The none driver: an existing Docker endpoint registered by URL. There is
// no host to control and no SSH; the core skips provisioning for it.
import { baseDriverState, DriverError, type BaseDriverState, type Driver, type DriverContext, type DriverInfo } from '@machine/driver-sdk';
import type { FlagSpec, FlagValues, MachineStateName, SSHInfo } from '@machine/driver-sdk';
import { parseTcpHostPort } from '../../format/address';

/**
 * The reference's none driver state: its embedded BaseDriver's fields, then
 * URL, in that order, so config.json and inspect read as Docker Machine's do.
 * IPAddress holds the host alone (the reference kept "host:port" there).
 */
export type NoneState = BaseDriverState & { URL: string };

/** host part of tcp://host:port (IPv6 brackets removed). */
export function hostOfURL(url: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(\[[^\]]+\]|[^:/]+)/i.exec(url.trim());
  if (!m) return '';
  return m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
}

const unsupported = (what: string) =>
  new DriverError('failed-precondition', `a machine registered with the none driver cannot be ${what}`, {
    detail: 'machine only knows its URL; manage the engine behind it by other means.',
  });

export class NoneDriver implements Driver<NoneState> {
  readonly info: DriverInfo = {
    name: 'none',
    version: '0.1.0',
    description: 'An existing Docker engine, registered by URL',
    stateVersion: 1,
    provisioning: 'none',
  };

  schema(): FlagSpec[] {
    return [{ name: 'url', type: 'string', description: 'URL of the Docker engine, e.g. tcp://203.0.113.10:2376', envVar: 'NONE_URL' }];
  }

  configure(ctx: DriverContext, flags: FlagValues): NoneState {
    const url = String(flags.url ?? '').trim();
    if (!url) throw new DriverError('invalid-argument', '--url option is required when no driver is selected', { flag: 'url' });
    const parsed = parseTcpHostPort(url);
    if ('problem' in parsed) {
      throw new DriverError('invalid-argument', `--url "${url}" is not a Docker engine address: ${parsed.problem}`, { flag: 'url' });
    }
    return { ...baseDriverState(ctx.machine, { IPAddress: parsed.host }), URL: url };
  }

  async create(_ctx: DriverContext, state: NoneState): Promise<NoneState> {
    return state;
  }

  async start(): Promise<void> {
    throw unsupported('started');
  }

  async stop(): Promise<void> {
    throw unsupported('stopped');
  }

  async restart(): Promise<void> {
    throw unsupported('restarted');
  }

  async kill(): Promise<void> {
    throw unsupported('killed');
  }

  async remove(): Promise<void> {
    // Nothing was made.
  }

  async getState(_ctx: DriverContext, state: NoneState): Promise<MachineStateName> {
    // No URL means no machine was ever registered: the protocol's unknown-machine rule.
    if (!state.URL) return 'Not Found';
    return 'Running';
  }

  async getIP(_ctx: DriverContext, state: NoneState): Promise<string> {
    return state.IPAddress || hostOfURL(state.URL);
  }

  async getURL(_ctx: DriverContext, state: NoneState): Promise<string> {
    return state.URL;
  }

  async getSSHInfo(): Promise<SSHInfo> {
    throw new DriverError('failed-precondition', 'a machine registered with the none driver has no SSH access');
  }
}
