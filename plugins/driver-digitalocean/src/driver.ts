// The digitalocean driver: Docker Machine's DigitalOcean behaviour on the API
// v2, waiting for every action it starts, giving up on a droplet that never
// gets an address, and deleting whatever a failed create made.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DriverError, generateSSHKeyPair, publicKeyFromPrivate, writeSSHKeyPair, type Driver, type DriverContext, type DriverInfo } from '@machine/driver-sdk';
import type { Description, FlagSpec, FlagValues, JsonObject, MachineStateName, SSHInfo } from '@machine/driver-sdk';
import { DigitalOceanApi, abortableSleep, isApiError, timing } from './api';
import { resolveToken, tokenFor } from './credentials';
import { translateError } from './errors';
import { DOCKER_PORT, FLAGS, invalid, parseTags, stateFromFlags, type DOState } from './flags';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../package.json') as { version: string }).version;

export interface Network {
  ip_address: string;
  netmask?: string;
  gateway?: string;
  type: 'public' | 'private';
}

export interface Droplet {
  id: number;
  name: string;
  status: 'new' | 'active' | 'off' | 'archive';
  networks: { v4: Network[]; v6?: Network[] };
  tags?: string[];
}

export interface Action {
  id: number;
  status: 'in-progress' | 'completed' | 'errored';
  type: string;
}

interface SSHKey {
  id: number;
  name: string;
  fingerprint: string;
  public_key: string;
}

export function machineState(status: string | undefined): MachineStateName {
  switch (status) {
    case 'new':
      return 'Starting';
    case 'active':
      return 'Running';
    case 'off':
      return 'Stopped';
    default:
      return '';
  }
}

/** DigitalOcean's key fingerprint: MD5 of the key blob, as colon-separated hex. */
export function fingerprintOf(publicKey: string): string {
  const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? '', 'base64');
  return createHash('md5').update(blob).digest('hex').replace(/(..)(?!$)/g, '$1:');
}

export function addressOf(droplet: Droplet | undefined, type: 'public' | 'private'): string | undefined {
  return droplet?.networks?.v4?.find((n) => n.type === type)?.ip_address || undefined;
}

type PowerAction = 'power_on' | 'shutdown' | 'power_off' | 'reboot';

export class DigitalOceanDriver implements Driver<DOState> {
  readonly info: DriverInfo = {
    name: 'digitalocean',
    version: VERSION,
    description: 'DigitalOcean droplets',
    stateVersion: 1,
    capabilities: ['cancel-create'],
  };

  schema(): FlagSpec[] {
    return FLAGS;
  }

  configure(ctx: DriverContext, flags: FlagValues): DOState {
    const state = stateFromFlags(flags, ctx.machine, `machine-create-${randomBytes(6).toString('hex')}`);
    const context = typeof flags['digitalocean-context'] === 'string' && flags['digitalocean-context'] !== '' ? flags['digitalocean-context'] : undefined;
    const flagToken = typeof flags['digitalocean-access-token'] === 'string' ? flags['digitalocean-access-token'].trim() : undefined;
    const source = resolveToken(flagToken || undefined, context);
    if (source.doctlContext) state.DoctlContext = source.doctlContext;
    else state.AccessToken = source.token;
    return state;
  }

  /** Reads state written by older drivers, the reference's included (see normalizeState). */
  upgradeState(_ctx: DriverContext, old: JsonObject, _fromVersion: number): DOState {
    return normalizeState({ ...(old as Partial<DOState>) } as DOState);
  }

  async preCreateCheck(ctx: DriverContext, stored: DOState): Promise<void> {
    const s = normalizeState(stored);
    const api = this.api(ctx, s);
    const call = this.caller(s);
    const opts = { signal: ctx.signal };
    const account = await call('read the account', () => api.get<{ account: { status?: string; status_message?: string; droplet_limit?: number } }>('v2/account', opts));
    if (account.account?.status && account.account.status !== 'active') {
      throw new DriverError('permission-denied', `the DigitalOcean account is ${account.account.status}${account.account.status_message ? ` (${account.account.status_message})` : ''}: it cannot create droplets`);
    }
    const regions = await call('list the regions', () => api.list<{ slug: string; available: boolean; sizes?: string[] }>('v2/regions', 'regions', opts));
    const region = regions.find((r) => r.slug === s.Region);
    if (!region) {
      throw invalid('region', `digitalocean requires a valid region: "${s.Region}" is not one (--digitalocean-region)`, `Regions: ${regions.map((r) => r.slug).join(', ')}`);
    }
    if (!region.available) throw invalid('region', `the region "${s.Region}" takes no new droplets now: choose another --digitalocean-region`);
    const sizes = await call('list the sizes', () => api.list<{ slug: string; available?: boolean; regions?: string[] }>('v2/sizes', 'sizes', opts));
    const size = sizes.find((x) => x.slug === s.Size);
    if (!size) throw invalid('size', `"${s.Size}" is not a DigitalOcean size (--digitalocean-size)`, `Sizes: ${sizes.map((x) => x.slug).join(', ')}`);
    const offered = region.sizes ? region.sizes.includes(s.Size) : size.regions ? size.regions.includes(s.Region) : true;
    if (size.available === false || !offered) {
      throw invalid('size', `the size "${s.Size}" is not available in ${s.Region}: choose another --digitalocean-size or --digitalocean-region`);
    }
    try {
      await api.get(`v2/images/${encodeURIComponent(s.Image)}`, opts);
    } catch (err) {
      if (isApiError(err, 404)) throw invalid('image', `"${s.Image}" is not a DigitalOcean image slug or id (--digitalocean-image)`, `${err.id}: ${err.apiMessage}`);
      throw translateError(err, s, 'look up the image');
    }
    if (s.SSHKeyFingerprint) await this.accountKey(api, s, ctx.signal);
    if (s.SSHKey) await this.readKeyFiles(s);
  }

  async create(ctx: DriverContext, initial: DOState): Promise<DOState> {
    const s: DOState = { ...normalizeState(initial), DropletID: undefined, SSHKeyID: undefined, SSHKeyCreated: false };
    const api = this.api(ctx, s);
    const call = this.caller(s);
    const opts = { signal: ctx.signal };
    try {
      await this.setUpKey(ctx, api, s);

      const userData = s.UserDataFile ? await this.readUserData(s) : undefined;
      ctx.progress(`Creating a ${s.Size} droplet from ${s.Image} in ${s.Region}`);
      const body = {
        name: ctx.machine.name,
        region: s.Region,
        size: s.Size,
        image: /^\d+$/.test(s.Image) ? Number(s.Image) : s.Image,
        ssh_keys: [s.SSHKeyID],
        backups: s.Backups,
        ipv6: s.IPv6,
        private_networking: s.PrivateNetworking,
        monitoring: s.Monitoring,
        tags: [...parseTags(s.Tags), s.CreateTag],
        ...(userData ? { user_data: userData } : {}),
        ...(s.VpcUUID ? { vpc_uuid: s.VpcUUID } : {}),
      };
      const created = await call('create the droplet', () => api.post<{ droplet: Droplet }>('v2/droplets', body, opts));
      s.DropletID = created.droplet.id;
      s.DropletName = created.droplet.name;
      await this.deleteDuplicates(ctx, api, s);

      ctx.progress(`Waiting for droplet ${s.DropletID} to be active with ${s.UsePrivateIP ? 'a private' : 'a public'} IPv4 address`);
      await this.waitForAddress(ctx, api, s, s.CreateTimeout * 1000);
      ctx.progress(`Droplet ${s.DropletID} is active at ${this.address(s)}`);
      return s;
    } catch (err) {
      const failure = ctx.signal.aborted ? new DriverError('cancelled', 'create was cancelled', { cause: err }) : translateError(err, s, 'create the machine');
      await this.rollback(ctx, s, failure);
      throw failure;
    }
  }

  async start(ctx: DriverContext, stored: DOState): Promise<DOState> {
    const s = normalizeState(stored);
    const api = this.dropletApi(ctx, s);
    const droplet = await this.droplet(ctx, api, s);
    // A droplet still being created needs no power_on: it comes up by itself.
    if (droplet.status === 'off') await this.powerAction(ctx, api, s, 'power_on');
    await this.waitForAddress(ctx, api, s, s.CreateTimeout * 1000);
    return s;
  }

  async stop(ctx: DriverContext, stored: DOState): Promise<DOState> {
    return this.powerOff(ctx, normalizeState(stored), 'shutdown');
  }

  async kill(ctx: DriverContext, stored: DOState): Promise<DOState> {
    return this.powerOff(ctx, normalizeState(stored), 'power_off');
  }

  async restart(ctx: DriverContext, stored: DOState): Promise<DOState> {
    const s = normalizeState(stored);
    const api = this.dropletApi(ctx, s);
    const droplet = await this.droplet(ctx, api, s);
    // Rebooting a droplet that is off is starting it.
    await this.powerAction(ctx, api, s, droplet.status === 'off' ? 'power_on' : 'reboot');
    await this.waitForAddress(ctx, api, s, s.CreateTimeout * 1000);
    return s;
  }

  async remove(ctx: DriverContext, stored: DOState): Promise<void> {
    const s = normalizeState(stored);
    // Nothing was ever asked of the API for this machine (the unknown-machine rule).
    if (!s.DropletID && !s.SSHKeyID && !s.CreateTag) return;
    const problems = await this.cleanUp(ctx, s);
    if (problems.length > 0) {
      throw new DriverError('internal', `could not remove everything the machine used in DigitalOcean: ${problems.join('; ')}`, {
        detail: 'Run rm again, or delete these resources in the DigitalOcean control panel.',
      });
    }
  }

  async getState(ctx: DriverContext, stored: DOState): Promise<MachineStateName> {
    const s = normalizeState(stored);
    return machineState((await this.droplet(ctx, this.dropletApi(ctx, s), s)).status);
  }

  async getIP(ctx: DriverContext, stored: DOState): Promise<string> {
    const s = normalizeState(stored);
    const droplet = await this.droplet(ctx, this.dropletApi(ctx, s), s);
    const ip = addressOf(droplet, s.UsePrivateIP ? 'private' : 'public');
    if (!ip && droplet.status !== 'active') return '';
    if (!ip) throw new DriverError('failed-precondition', `droplet ${s.DropletID} has no ${s.UsePrivateIP ? 'private' : 'public'} IPv4 address (status: ${droplet.status})`);
    return ip;
  }

  async getURL(ctx: DriverContext, stored: DOState): Promise<string> {
    const s = normalizeState(stored);
    const droplet = await this.droplet(ctx, this.dropletApi(ctx, s), s);
    const ip = addressOf(droplet, s.UsePrivateIP ? 'private' : 'public');
    return droplet.status === 'active' && ip ? `tcp://${ip}:${DOCKER_PORT}` : '';
  }

  /** State, IP and URL from one droplet read, for `ls`. */
  async describe(ctx: DriverContext, stored: DOState): Promise<Description> {
    const s = normalizeState(stored);
    if (!s.DropletID) return { state: 'Not Found', ip: '', url: '' };
    let droplet: Droplet;
    try {
      droplet = await this.droplet(ctx, this.dropletApi(ctx, s), s);
    } catch (err) {
      if (err instanceof DriverError && err.code === 'not-found') return { state: 'Not Found', ip: '', url: '', stateError: err.message };
      return { state: 'Error', ip: '', url: '', stateError: err instanceof Error ? err.message : String(err) };
    }
    const state = machineState(droplet.status);
    const ip = addressOf(droplet, s.UsePrivateIP ? 'private' : 'public') ?? '';
    return { state, ip, url: state === 'Running' && ip ? `tcp://${ip}:${DOCKER_PORT}` : '' };
  }

  async getSSHInfo(ctx: DriverContext, stored: DOState): Promise<SSHInfo> {
    const s = normalizeState(stored);
    return { host: await this.getIP(ctx, s), port: s.SSHPort, user: s.SSHUser, keyPath: path.join(ctx.machine.machineDir, 'id_rsa') };
  }

  // ---- create steps ----

  /** Writes the machine's key pair and finds or adds its public key in the account. */
  private async setUpKey(ctx: DriverContext, api: DigitalOceanApi, s: DOState): Promise<void> {
    const keyPath = path.join(ctx.machine.machineDir, 'id_rsa');
    await fs.mkdir(ctx.machine.machineDir, { recursive: true });
    if (s.SSHKeyFingerprint) {
      const key = await this.accountKey(api, s, ctx.signal);
      await writeSSHKeyPair(keyPath, await this.readKeyFiles(s));
      s.SSHKeyID = key.id;
      return;
    }
    let publicKey: string;
    if (s.SSHKey) {
      const pair = await this.readKeyFiles(s);
      await writeSSHKeyPair(keyPath, pair);
      publicKey = pair.publicKey;
    } else {
      ctx.progress('Creating an SSH key');
      const pair = await generateSSHKeyPair(ctx.machine.name);
      await writeSSHKeyPair(keyPath, pair);
      publicKey = pair.publicKey;
    }
    const call = this.caller(s);
    const fingerprint = fingerprintOf(publicKey);
    const existing = await call('look up the SSH key', () => this.keyByFingerprint(api, fingerprint, ctx.signal));
    if (existing) {
      ctx.progress(`Using the account's SSH key ${existing.name} (${fingerprint})`);
      s.SSHKeyID = existing.id;
      return;
    }
    ctx.progress(`Adding the SSH key ${ctx.machine.name} to the account`);
    try {
      const out = await api.post<{ ssh_key: SSHKey }>('v2/account/keys', { name: ctx.machine.name, public_key: publicKey }, { signal: ctx.signal });
      s.SSHKeyID = out.ssh_key.id;
      s.SSHKeyCreated = true;
    } catch (err) {
      // Another create with the same key may have added it meanwhile.
      const raced = isApiError(err, 422) ? await this.keyByFingerprint(api, fingerprint, ctx.signal).catch(() => undefined) : undefined;
      if (!raced) throw translateError(err, s, 'add the SSH key');
      s.SSHKeyID = raced.id;
    }
  }

  private async keyByFingerprint(api: DigitalOceanApi, fingerprint: string, signal?: AbortSignal): Promise<SSHKey | undefined> {
    try {
      return (await api.get<{ ssh_key: SSHKey }>(`v2/account/keys/${fingerprint}`, { signal })).ssh_key;
    } catch (err) {
      if (isApiError(err, 404)) return undefined;
      throw err;
    }
  }

  private async accountKey(api: DigitalOceanApi, s: DOState, signal?: AbortSignal): Promise<SSHKey> {
    const key = await this.caller(s)('look up the SSH key', () => this.keyByFingerprint(api, s.SSHKeyFingerprint!, signal));
    if (!key) {
      throw invalid('ssh-key-fingerprint', `Digital Ocean SSH key with fingerprint ${s.SSHKeyFingerprint} doesn't exist (--digitalocean-ssh-key-fingerprint)`);
    }
    return key;
  }

  private async readUserData(s: DOState): Promise<string> {
    try {
      return await fs.readFile(s.UserDataFile!, 'utf8');
    } catch (err) {
      throw invalid('userdata', `cannot read the user data file ${s.UserDataFile}: ${(err as Error).message}`);
    }
  }

  private async readKeyFiles(s: DOState): Promise<{ privateKey: string; publicKey: string }> {
    let privateKey: string;
    try {
      privateKey = await fs.readFile(s.SSHKey!, 'utf8');
    } catch (err) {
      throw invalid('ssh-key-path', `cannot read the SSH key ${s.SSHKey}: ${(err as Error).message}`);
    }
    try {
      return { privateKey, publicKey: (await fs.readFile(`${s.SSHKey}.pub`, 'utf8')).trim() };
    } catch {
      try {
        return { privateKey, publicKey: publicKeyFromPrivate(privateKey) };
      } catch {
        throw invalid('ssh-key-path', `cannot read ${s.SSHKey}.pub, and cannot derive it from the private key: put the public key beside it`);
      }
    }
  }

  /**
   * Polls the droplet until it is active with the address the machine talks
   * over. The reference waited forever; a droplet that never gets an address
   * is given up after `timeoutMs`.
   */
  private async waitForAddress(ctx: DriverContext, api: DigitalOceanApi, s: DOState, timeoutMs: number): Promise<void> {
    const { pollMs } = timing();
    const deadline = Date.now() + timeoutMs;
    const kind = s.UsePrivateIP ? 'private' : 'public';
    for (;;) {
      const droplet = await this.droplet(ctx, api, s);
      s.IPAddress = addressOf(droplet, 'public') ?? '';
      s.PrivateIPAddress = addressOf(droplet, 'private');
      if (droplet.status === 'active' && this.address(s)) return;
      if (Date.now() + pollMs > deadline) {
        const seconds = Math.round(timeoutMs / 1000);
        throw new DriverError(
          'deadline-exceeded',
          droplet.status === 'active'
            ? `droplet ${s.DropletID} is active but got no ${kind} IPv4 address within ${seconds} s`
            : `droplet ${s.DropletID} did not become active within ${seconds} s (status: ${droplet.status})`,
          { flag: 'digitalocean-create-timeout', detail: 'Raise --digitalocean-create-timeout if DigitalOcean is slow today, or try another --digitalocean-region.' },
        );
      }
      await abortableSleep(pollMs, ctx.signal);
    }
  }

  /**
   * A create that failed with 5xx is retried, but the server may have made
   * the droplet before it failed. Those droplets carry this create's tag:
   * any but the one kept are deleted.
   */
  private async deleteDuplicates(ctx: DriverContext, api: DigitalOceanApi, s: DOState): Promise<void> {
    const tagged = await this.caller(s)('list the droplets of this create', () => api.list<Droplet>('v2/droplets', 'droplets', { signal: ctx.signal, query: { tag_name: s.CreateTag } }));
    for (const d of tagged) {
      if (d.id === s.DropletID) continue;
      ctx.progress(`Deleting droplet ${d.id}, made by a create request that was retried`);
      await this.caller(s)(`delete the duplicate droplet ${d.id}`, () => api.delete(`v2/droplets/${d.id}`));
    }
  }

  // ---- power ----

  private async powerOff(ctx: DriverContext, s: DOState, type: 'shutdown' | 'power_off'): Promise<DOState> {
    const api = this.dropletApi(ctx, s);
    const droplet = await this.droplet(ctx, api, s);
    if (droplet.status !== 'off') await this.powerAction(ctx, api, s, type);
    return s;
  }

  /** Starts a droplet action and waits until DigitalOcean reports it completed. */
  private async powerAction(ctx: DriverContext, api: DigitalOceanApi, s: DOState, type: PowerAction): Promise<void> {
    const call = this.caller(s);
    const id = this.id(s);
    ctx.progress(`Running ${type} on droplet ${id}`);
    let action = (await call(`${type} the droplet`, () => api.post<{ action: Action }>(`v2/droplets/${id}/actions`, { type }, { signal: ctx.signal }))).action;
    const { pollMs } = timing();
    const deadline = Date.now() + s.CreateTimeout * 1000;
    while (action.status === 'in-progress') {
      if (Date.now() > deadline) {
        throw new DriverError('deadline-exceeded', `the ${type} action ${action.id} on droplet ${id} did not complete within ${s.CreateTimeout} s`, { flag: 'digitalocean-create-timeout' });
      }
      await abortableSleep(pollMs, ctx.signal);
      action = (await call(`follow the ${type} action`, () => api.get<{ action: Action }>(`v2/actions/${action.id}`, { signal: ctx.signal }))).action;
    }
    if (action.status !== 'completed') {
      throw new DriverError('failed-precondition', `the ${type} action ${action.id} on droplet ${id} ended ${action.status}`, {
        detail: type === 'shutdown' ? 'The droplet did not shut down in time; "machine kill" powers it off.' : 'See the droplet\'s history in the DigitalOcean control panel.',
      });
    }
  }

  // ---- removal ----

  /** Deletes what the state says exists, never throwing for API errors; returns what is left. */
  private async cleanUp(ctx: DriverContext, s: DOState): Promise<string[]> {
    // No abort signal: cleanup runs to the end even when the call was cancelled.
    const api = this.api(ctx, s);
    const problems: string[] = [];
    const attempt = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        problems.push(`${what}: ${translateError(err, s, what).message}`);
      }
    };
    const dropletIds = s.DropletID ? [s.DropletID] : [];
    if (dropletIds.length === 0 && s.CreateTag) {
      // The create request may have gone through though its answer never came back.
      await attempt('look for the droplet', async () => {
        for (const d of await api.list<Droplet>('v2/droplets', 'droplets', { query: { tag_name: s.CreateTag } })) dropletIds.push(d.id);
      });
    }
    for (const id of dropletIds) {
      ctx.progress(`Deleting droplet ${id}`);
      await attempt(`delete droplet ${id}`, () => api.delete(`v2/droplets/${id}`));
    }
    if (s.SSHKeyCreated && s.SSHKeyID) {
      await attempt(`delete SSH key ${s.SSHKeyID}`, () => api.delete(`v2/account/keys/${s.SSHKeyID}`));
    } else if (!s.SSHKeyID && !s.SSHKeyFingerprint && !s.SSHKey && s.CreateTag) {
      // The key was perhaps added before the process died: it is the one named after the machine with its public key.
      await attempt('look for the SSH key', async () => {
        const pub = await fs.readFile(path.join(ctx.machine.machineDir, 'id_rsa.pub'), 'utf8').catch(() => undefined);
        if (!pub) return;
        const fingerprint = fingerprintOf(pub);
        const keys = await api.list<SSHKey>('v2/account/keys', 'ssh_keys');
        for (const key of keys) if (key.fingerprint === fingerprint && key.name === ctx.machine.name) await api.delete(`v2/account/keys/${key.id}`);
      });
    }
    return problems;
  }

  private async rollback(ctx: DriverContext, s: DOState, failure: Error): Promise<void> {
    ctx.progress('Create failed; deleting what it made in DigitalOcean');
    const problems = await this.cleanUp(ctx, s);
    if (problems.length > 0) {
      ctx.warn(`could not undo everything create made in DigitalOcean: ${problems.join('; ')}`, 'Delete these resources in the DigitalOcean control panel.');
      if (failure instanceof DriverError) {
        (failure as { detail?: string }).detail = `${failure.detail ? `${failure.detail}\n` : ''}Left behind: ${problems.join('; ')}`;
      }
    }
  }

  // ---- helpers ----

  private async droplet(ctx: DriverContext, api: DigitalOceanApi, s: DOState): Promise<Droplet> {
    const id = this.id(s);
    try {
      return (await api.get<{ droplet: Droplet }>(`v2/droplets/${id}`, { signal: ctx.signal })).droplet;
    } catch (err) {
      if (isApiError(err, 404)) throw new DriverError('not-found', `droplet ${id} does not exist`, { detail: `${err.id}: ${err.apiMessage}` });
      throw translateError(err, s, 'read the droplet');
    }
  }

  private id(s: DOState): number {
    if (!s.DropletID) throw new DriverError('not-found', 'the machine has no droplet (create did not finish)');
    return s.DropletID;
  }

  private address(s: DOState): string {
    return (s.UsePrivateIP ? s.PrivateIPAddress : s.IPAddress) ?? '';
  }

  private caller(s: DOState) {
    return async <T>(action: string, fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        throw translateError(err, s, action);
      }
    };
  }

  /** The client for calls about the droplet: an unknown machine is not-found before any token is needed. */
  private dropletApi(ctx: DriverContext, s: DOState): DigitalOceanApi {
    this.id(s);
    return this.api(ctx, s);
  }

  private api(ctx: DriverContext, s: DOState): DigitalOceanApi {
    return new DigitalOceanApi({ baseUrl: s.ApiURL, token: tokenFor(s), log: ctx.log, userAgent: `machine-driver-digitalocean/${VERSION}` });
  }
}

/**
 * Makes any stored state safe to use. Hosts pass states of version 0 (the
 * reference's stores) unchanged, so this runs on every call: Go's zero
 * values arrive as 0 and "", and the reference had no API URL or timeout.
 */
export function normalizeState(stored: DOState): DOState {
  const s = Object.fromEntries(Object.entries(stored ?? {}).filter(([, v]) => v !== null && v !== '')) as DOState;
  s.ApiURL ??= 'https://api.digitalocean.com';
  s.CreateTimeout = Number(s.CreateTimeout) > 0 ? Number(s.CreateTimeout) : 600;
  s.SSHPort = Number(s.SSHPort) > 0 ? Number(s.SSHPort) : 22;
  s.SSHUser ??= 'root';
  if (!s.DropletID) delete s.DropletID;
  if (!s.SSHKeyID) delete s.SSHKeyID;
  // The reference added the key unless the user named one by fingerprint.
  if (s.SSHKeyCreated === undefined && s.SSHKeyID) s.SSHKeyCreated = !s.SSHKeyFingerprint;
  return s;
}
