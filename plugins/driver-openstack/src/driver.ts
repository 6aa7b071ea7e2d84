// The openstack driver: Docker Machine's OpenStack behaviour on Keystone v3,
// Nova, Neutron and Glance, with a security group made for the machine when
// none is given, and rollback of everything create makes.
import { randomBytes, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DriverError, generateSSHKeyPair, publicKeyFromPrivate, writeSSHKeyPair, type Driver, type DriverContext, type DriverInfo } from '@machine/driver-sdk';
import type { Description, FlagSpec, FlagValues, JsonObject, MachineStateName, SSHInfo } from '@machine/driver-sdk';
import { OpenStackClient, pollMs, sleep, type Service } from './client';
import { isStatus, translateError } from './errors';
import { DOCKER_PORT, FLAGS, parseMetadata, stateFromFlags, withCloud, type OpenStackState } from './flags';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../package.json') as { version: string }).version;

/** Metadata key on servers create makes: finds a server whose create answer never came back. */
export const REQUEST_METADATA_KEY = 'machine-create-request';

/** Nova server status → machine state. BUILD is Starting (the reference looked for "BUILDING" and showed None). */
export function machineState(status: string | undefined): MachineStateName {
  switch (status) {
    case 'BUILD':
    case 'REBUILD':
    case 'REBOOT':
    case 'HARD_REBOOT':
      return 'Starting';
    case 'ACTIVE':
    case 'RESIZE':
    case 'VERIFY_RESIZE':
    case 'MIGRATING':
    case 'PASSWORD':
      return 'Running';
    case 'PAUSED':
      return 'Paused';
    case 'SUSPENDED':
    case 'SHELVED':
    case 'SHELVED_OFFLOADED':
      return 'Saved';
    case 'SHUTOFF':
    case 'STOPPED':
      return 'Stopped';
    case 'ERROR':
      return 'Error';
    case 'DELETED':
    case 'SOFT_DELETED':
      return 'Not Found';
    default:
      return '';
  }
}

export interface ServerAddress {
  addr: string;
  version?: number;
  'OS-EXT-IPS:type'?: string;
}

export interface Server {
  id: string;
  name?: string;
  status?: string;
  addresses?: Record<string, ServerAddress[]>;
  fault?: { code?: number; message?: string; details?: string };
  metadata?: Record<string, string>;
}

/** The address of a server by version and type (floating when a pool is used); a missing version counts as 4. */
export function pickAddress(server: Server | undefined, ipVersion: number, floating: boolean): string | undefined {
  const wanted = floating ? 'floating' : 'fixed';
  for (const entries of Object.values(server?.addresses ?? {})) {
    for (const a of entries) {
      if ((a.version ?? 4) === ipVersion && (a['OS-EXT-IPS:type'] ?? 'fixed') === wanted) return a.addr;
    }
  }
  return undefined;
}

/** An image as Glance (status active, queued, ...) or Nova's image proxy (ACTIVE, SAVING, ...) lists it. */
export interface ListedImage {
  id: string;
  name: string;
  status?: string;
}

/**
 * The first active image of a name. Glance keeps the images of uploads that
 * never finished (queued) or failed (killed) under the same name, newest
 * first, and Nova refuses to boot them: they are passed over, on every page.
 */
export function bootableImage(images: ListedImage[], name: string, flag: string): string {
  const named = images.filter((i) => i.name === name);
  const active = named.find((i) => (i.status ?? 'active').toLowerCase() === 'active');
  if (active) return active.id;
  if (named.length > 0) {
    const states = named.map((i) => `${i.id} is ${String(i.status).toLowerCase()}`).join(', ');
    throw new DriverError('failed-precondition', `no image named ${name} is active (${states}): wait for its upload or choose another with --openstack-image-name`, { flag });
  }
  throw new DriverError('invalid-argument', `Unable to find image named ${name}: check --openstack-image-name`, { flag });
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

interface Resolved {
  flavorId: string;
  imageId?: string;
  networkId?: string;
  poolId?: string;
  serverGroupId?: string;
}

export class OpenStackDriver implements Driver<OpenStackState> {
  readonly info: DriverInfo = {
    name: 'openstack',
    version: VERSION,
    description: 'OpenStack servers (Keystone v3, Nova, Neutron, Glance)',
    stateVersion: 1,
    capabilities: ['cancel-create'],
  };

  schema(): FlagSpec[] {
    return FLAGS;
  }

  configure(ctx: DriverContext, flags: FlagValues): OpenStackState {
    return stateFromFlags(flags, ctx.machine);
  }

  upgradeState(ctx: DriverContext, old: JsonObject, _fromVersion: number): OpenStackState {
    return normalizeState(old as Partial<OpenStackState>, ctx);
  }

  /** Everything that can fail before anything is made: credentials, catalog, names, files. */
  async preCreateCheck(ctx: DriverContext, stored: OpenStackState): Promise<void> {
    const s = normalizeState(stored, ctx);
    const client = new OpenStackClient(withCloud(s), ctx.signal, ctx.log);
    await client.authenticate();
    await client.endpoint('compute');
    if (!s.NovaNetwork && (s.FloatingIpPool || s.SecurityGroups.length === 0 || s.NetworkName)) await client.endpoint('network');
    if (s.VolumeName && !(await client.hasService('volumev3'))) {
      throw new DriverError('failed-precondition', 'the cloud\'s catalog has no block storage service (Cinder), which --openstack-volume-name needs to make the named boot volume: leave it out to let Nova make an unnamed one', {
        flag: 'openstack-volume-name',
      });
    }
    await this.resolve(client, s);
    if (s.KeyPairName) await this.existingKeyPair(client, s);
    if (s.PrivateKeyFile) await this.readPrivateKey(s);
    if (s.UserDataFile) await this.readUserData(s);
  }

  async create(ctx: DriverContext, initial: OpenStackState): Promise<OpenStackState> {
    const s: OpenStackState = { ...normalizeState(initial, ctx), KeyPairCreated: false };
    const requestToken = randomUUID();
    let serverRequested = false;
    const client = new OpenStackClient(withCloud(s), ctx.signal, ctx.log);
    try {
      ctx.progress(`Authenticating with Keystone at ${withCloud(s).AuthUrl}`);
      await client.authenticate();
      const resolved = await this.resolve(client, s);
      s.FlavorId = resolved.flavorId;
      if (resolved.imageId) s.ImageId = resolved.imageId;
      if (resolved.networkId) s.NetworkId = resolved.networkId;
      if (resolved.poolId) s.FloatingIpPoolId = resolved.poolId;
      if (resolved.serverGroupId) s.ServerGroupId = resolved.serverGroupId;

      await this.setUpKeyPair(ctx, client, s);
      await writeJournal(ctx, s);
      const groups = await this.setUpSecurityGroup(ctx, client, s);
      await writeJournal(ctx, s);
      const userData = s.UserDataFile ? (await this.readUserData(s)).toString('base64') : undefined;
      if (s.VolumeName) await this.createBootVolume(ctx, client, s);

      ctx.progress(`Creating server ${ctx.machine.name}`);
      serverRequested = true;
      await writeJournal(ctx, s, requestToken);
      const res = await call('create the server', () =>
        client.request<{ server: Server }>('compute', 'POST', '/servers', { body: this.serverRequest(ctx, s, groups, userData, requestToken) }),
      );
      s.MachineId = res.body.server.id;
      await writeJournal(ctx, s, requestToken);

      ctx.progress(`Waiting for server ${s.MachineId} to become ACTIVE`);
      await this.waitFor(ctx, client, s, 'ACTIVE', s.ActiveTimeout);

      if (s.FloatingIpPool) {
        await this.attachFloatingIp(ctx, client, s);
        await writeJournal(ctx, s, requestToken);
      }
      s.IPAddress = await this.waitForAddress(ctx, client, s);
      ctx.progress(`Server ${s.MachineId} is ACTIVE at ${s.IPAddress}`);
      // The host stores the returned state; the journal has done its work.
      await removeJournal(ctx);
      return s;
    } catch (err) {
      const failure = translateError(err, 'create the machine');
      await this.rollback(ctx, s, failure, serverRequested ? requestToken : undefined);
      await removeJournal(ctx);
      throw failure;
    }
  }

  async start(ctx: DriverContext, stored: OpenStackState): Promise<OpenStackState> {
    const s = normalizeState(stored, ctx);
    const client = new OpenStackClient(withCloud(s), ctx.signal, ctx.log);
    const server = await this.server(client, s);
    if (server.status !== 'ACTIVE') {
      await call('start the server', () => client.request('compute', 'POST', `/servers/${this.id(s)}/action`, { body: { 'os-start': null } }));
      await this.waitFor(ctx, client, s, 'ACTIVE', s.ActiveTimeout);
    }
    s.IPAddress = await this.waitForAddress(ctx, client, s);
    return s;
  }

  async stop(ctx: DriverContext, stored: OpenStackState): Promise<OpenStackState> {
    return this.powerOff(ctx, normalizeState(stored, ctx), 'stop');
  }

  /** Nova has no harder power-off than os-stop, which cuts power once the guest ignores ACPI; the reference did the same. */
  async kill(ctx: DriverContext, stored: OpenStackState): Promise<OpenStackState> {
    return this.powerOff(ctx, normalizeState(stored, ctx), 'kill');
  }

  /** A soft reboot of a running server; a hard one when it is not ACTIVE, which is the only reboot Nova allows then. */
  async restart(ctx: DriverContext, stored: OpenStackState): Promise<OpenStackState> {
    const s = normalizeState(stored, ctx);
    const client = new OpenStackClient(withCloud(s), ctx.signal, ctx.log);
    const server = await this.server(client, s);
    const type = server.status === 'ACTIVE' ? 'SOFT' : 'HARD';
    await call(`reboot the server (${type})`, () => client.request('compute', 'POST', `/servers/${this.id(s)}/action`, { body: { reboot: { type } } }));
    await this.waitFor(ctx, client, s, 'ACTIVE', s.ActiveTimeout, true);
    s.IPAddress = await this.waitForAddress(ctx, client, s);
    return s;
  }

  async remove(ctx: DriverContext, stored: OpenStackState): Promise<void> {
    // A create that was killed outright (SIGKILL) left its work in the journal, not in the stored state.
    const journal = await readJournal(ctx);
    const s = { ...normalizeState(stored, ctx), ...journal?.made };
    const made = s.MachineId || (s.KeyPairCreated && s.KeyPairName) || s.CreatedSecurityGroupId || s.CreatedVolumeId || (s.FloatingIpCreated && s.FloatingIpId) || journal?.requestToken;
    if (!made) return;
    const problems = await this.cleanUp(ctx, s, journal?.requestToken);
    if (problems.length === 0) await removeJournal(ctx);
    if (problems.length > 0) {
      throw new DriverError('internal', `could not remove everything the machine used in OpenStack: ${problems.join('; ')}`, {
        detail: 'Run rm again, or delete these resources with the openstack CLI or the dashboard.',
      });
    }
  }

  async getState(ctx: DriverContext, stored: OpenStackState): Promise<MachineStateName> {
    const s = normalizeState(stored, ctx);
    const server = await this.server(new OpenStackClient(withCloud(s), ctx.signal, ctx.log), s);
    return machineState(server.status);
  }

  async getIP(ctx: DriverContext, stored: OpenStackState): Promise<string> {
    const s = normalizeState(stored, ctx);
    const server = await this.server(new OpenStackClient(withCloud(s), ctx.signal, ctx.log), s);
    const ip = pickAddress(server, s.IpVersion, !!s.FloatingIpPool);
    if (ip) return ip;
    if (server.status !== 'ACTIVE') return '';
    throw new DriverError('failed-precondition', `server ${s.MachineId} has no ${s.FloatingIpPool ? 'floating' : 'fixed'} IPv${s.IpVersion} address`, { flag: 'openstack-ip-version' });
  }

  async getURL(ctx: DriverContext, stored: OpenStackState): Promise<string> {
    const d = await this.describe(ctx, stored);
    return d.url;
  }

  /** State, IP and URL from one GET of the server, for `ls`. */
  async describe(ctx: DriverContext, stored: OpenStackState): Promise<Description> {
    const s = normalizeState(stored, ctx);
    if (!s.MachineId) return { state: 'Not Found', ip: '', url: '' };
    let server: Server;
    try {
      server = await this.server(new OpenStackClient(withCloud(s), ctx.signal, ctx.log), s);
    } catch (err) {
      if (err instanceof DriverError && err.code === 'not-found') return { state: 'Not Found', ip: '', url: '', stateError: err.message };
      return { state: 'Error', ip: '', url: '', stateError: err instanceof Error ? err.message : String(err) };
    }
    const state = machineState(server.status);
    const ip = pickAddress(server, s.IpVersion, !!s.FloatingIpPool) ?? '';
    return { state, ip, url: state === 'Running' && ip ? `tcp://${ip}:${DOCKER_PORT}` : '' };
  }

  async getSSHInfo(ctx: DriverContext, stored: OpenStackState): Promise<SSHInfo> {
    const s = normalizeState(stored, ctx);
    return { host: await this.getIP(ctx, s), port: s.SSHPort, user: s.SSHUser, keyPath: path.join(ctx.machine.machineDir, 'id_rsa') };
  }

  // ---- create steps ----

  /** Flavor, image, network, floating IP pool and server group ids from names or ids, across pages. */
  private async resolve(client: OpenStackClient, s: OpenStackState): Promise<Resolved> {
    const out: Resolved = { flavorId: '' };
    if (s.FlavorName) {
      const flavors = await call('list the flavors', () =>
        client.listAll<{ id: string; name: string }>('compute', '/flavors/detail', 'flavors', (page) => page.some((f) => f.name === s.FlavorName)),
      );
      const flavor = flavors.find((f) => f.name === s.FlavorName);
      if (!flavor) throw new DriverError('invalid-argument', `Unable to find flavor named ${s.FlavorName}: check --openstack-flavor-name`, { flag: 'openstack-flavor-name' });
      out.flavorId = flavor.id;
    } else {
      await this.mustExist(client, 'compute', `/flavors/${encodeURIComponent(s.FlavorId!)}`, `flavor ${s.FlavorId}`, 'openstack-flavor-id');
      out.flavorId = s.FlavorId!;
    }

    if (s.ImageName || s.ImageId) out.imageId = await this.resolveImage(client, s);

    if (s.NetworkName) {
      if (s.NovaNetwork) throw new DriverError('invalid-argument', 'with --openstack-nova-network give the network by --openstack-net-id', { flag: 'openstack-net-name' });
      out.networkId = await this.networkByName(client, s.NetworkName, 'openstack-net-name', false);
    } else if (s.NetworkId && !s.NovaNetwork) {
      await this.mustExist(client, 'network', `${await neutronPrefix(client)}/networks/${encodeURIComponent(s.NetworkId)}`, `network ${s.NetworkId}`, 'openstack-net-id');
      out.networkId = s.NetworkId;
    }

    if (s.FloatingIpPool && !s.NovaNetwork) {
      out.poolId = await this.networkByName(client, s.FloatingIpPool, 'openstack-floatingip-pool', true);
    }

    if (s.ServerGroupName) {
      const res = await call('list the server groups', () => client.request<{ server_groups: { id: string; name: string }[] }>('compute', 'GET', '/os-server-groups'));
      const group = res.body.server_groups.find((g) => g.name === s.ServerGroupName);
      if (!group) throw new DriverError('invalid-argument', `Unable to find server group named ${s.ServerGroupName}: check --openstack-server-group-name`, { flag: 'openstack-server-group-name' });
      out.serverGroupId = group.id;
    } else if (s.ServerGroupId) {
      await this.mustExist(client, 'compute', `/os-server-groups/${encodeURIComponent(s.ServerGroupId)}`, `server group ${s.ServerGroupId}`, 'openstack-server-group-id');
      out.serverGroupId = s.ServerGroupId;
    }
    return out;
  }

  private async resolveImage(client: OpenStackClient, s: OpenStackState): Promise<string> {
    const flag = s.ImageName ? 'openstack-image-name' : 'openstack-image-id';
    if (await client.hasService('image')) {
      const prefix = (await client.endpoint('image')).endsWith('/v2') ? '' : '/v2';
      if (s.ImageId) {
        await this.mustExist(client, 'image', `${prefix}/images/${encodeURIComponent(s.ImageId)}`, `image ${s.ImageId}`, flag);
        return s.ImageId;
      }
      const images = await call('list the images', () => client.listAll<ListedImage>('image', `${prefix}/images?name=${encodeURIComponent(s.ImageName!)}`, 'images'));
      return bootableImage(images, s.ImageName!, flag);
    }
    // Clouds without Glance in the catalog: Nova's image proxy (microversion 2.1).
    if (s.ImageId) {
      await this.mustExist(client, 'compute', `/images/${encodeURIComponent(s.ImageId)}`, `image ${s.ImageId}`, flag);
      return s.ImageId;
    }
    const images = await call('list the images', () => client.listAll<ListedImage>('compute', `/images/detail?name=${encodeURIComponent(s.ImageName!)}`, 'images'));
    return bootableImage(images, s.ImageName!, flag);
  }

  private async networkByName(client: OpenStackClient, nameOrId: string, flag: string, external: boolean): Promise<string> {
    const prefix = await neutronPrefix(client);
    if (UUID.test(nameOrId)) {
      const res = await call('look up the network', () => client.request<{ network: { id: string } }>('network', 'GET', `${prefix}/networks/${nameOrId}`, { accept: [404] }));
      if (res.status === 200) return res.body.network.id;
    }
    const query = `name=${encodeURIComponent(nameOrId)}${external ? '&router:external=true' : ''}`;
    const networks = await call('list the networks', () => client.listAll<{ id: string; name: string }>('network', `${prefix}/networks?${query}`, 'networks'));
    const matching = networks.filter((n) => n.name === nameOrId);
    if (matching.length === 0) {
      throw new DriverError('invalid-argument', `Unable to find ${external ? 'floating IP pool (external network)' : 'network'} named ${nameOrId}: check --${flag}`, { flag });
    }
    if (matching.length > 1) {
      throw new DriverError('invalid-argument', `${matching.length} networks are named ${nameOrId}: give the ID instead (${matching.map((n) => n.id).join(', ')})`, { flag });
    }
    return matching[0].id;
  }

  private async mustExist(client: OpenStackClient, service: Service, apiPath: string, what: string, flag: string): Promise<void> {
    const res = await call(`look up ${what}`, () => client.request(service, 'GET', apiPath, { accept: [404] }));
    if (res.status === 404) throw new DriverError('invalid-argument', `${what} does not exist: check --${flag}`, { flag });
  }

  private async existingKeyPair(client: OpenStackClient, s: OpenStackState): Promise<{ public_key: string }> {
    const res = await call('look up the key pair', () =>
      client.request<{ keypair: { public_key: string } }>('compute', 'GET', `/os-keypairs/${encodeURIComponent(s.KeyPairName!)}`, { accept: [404] }),
    );
    if (res.status === 404) throw new DriverError('invalid-argument', `the key pair ${s.KeyPairName} does not exist: check --openstack-keypair-name`, { flag: 'openstack-keypair-name' });
    return res.body.keypair;
  }

  private async readPrivateKey(s: OpenStackState): Promise<string> {
    try {
      return await fs.readFile(s.PrivateKeyFile!, 'utf8');
    } catch (err) {
      throw new DriverError('invalid-argument', `cannot read the private key ${s.PrivateKeyFile}: ${(err as Error).message}`, { flag: 'openstack-private-key-file' });
    }
  }

  private async readUserData(s: OpenStackState): Promise<Buffer> {
    try {
      return await fs.readFile(s.UserDataFile!);
    } catch (err) {
      throw new DriverError('invalid-argument', `cannot read the user data file ${s.UserDataFile}: ${(err as Error).message}`, { flag: 'openstack-user-data-file' });
    }
  }

  private async setUpKeyPair(ctx: DriverContext, client: OpenStackClient, s: OpenStackState): Promise<void> {
    const keyPath = path.join(ctx.machine.machineDir, 'id_rsa');
    await fs.mkdir(ctx.machine.machineDir, { recursive: true });
    if (s.KeyPairName && s.PrivateKeyFile) {
      const existing = await this.existingKeyPair(client, s);
      const privateKey = await this.readPrivateKey(s);
      let publicKey = existing.public_key.trim();
      try {
        publicKey = publicKeyFromPrivate(privateKey);
      } catch {
        // Keys the SDK cannot parse are copied as they are; the server has the key pair's public key.
      }
      await writeSSHKeyPair(keyPath, { privateKey, publicKey });
      s.KeyPairCreated = false;
      return;
    }
    ctx.progress('Creating an SSH key');
    const pair = await generateSSHKeyPair(ctx.machine.name);
    await writeSSHKeyPair(keyPath, pair);
    // Unique per create, as the reference did, so that a leftover never blocks a new machine of the same name.
    const name = `${ctx.machine.name}-${randomBytes(4).toString('hex')}`.replace(/\./g, '_');
    ctx.progress(`Creating key pair ${name}`);
    await call('create the key pair', () => client.request('compute', 'POST', '/os-keypairs', { body: { keypair: { name, public_key: pair.publicKey } } }));
    s.KeyPairName = name;
    s.KeyPairCreated = true;
  }

  /** The groups for the server; one opening SSH and Docker is made when none was given. */
  private async setUpSecurityGroup(ctx: DriverContext, client: OpenStackClient, s: OpenStackState): Promise<string[]> {
    if (s.SecurityGroups.length > 0) return s.SecurityGroups;
    const prefix = await neutronPrefix(client);
    const name = `machine-${ctx.machine.name}`;
    ctx.progress(`Creating security group ${name} opening ports ${s.SSHPort} and ${DOCKER_PORT}`);
    const res = await call('create the security group', () =>
      client.request<{ security_group: { id: string } }>('network', 'POST', `${prefix}/security-groups`, {
        body: { security_group: { name, description: `SSH and Docker for the machine ${ctx.machine.name}` } },
      }),
    );
    s.CreatedSecurityGroupId = res.body.security_group.id;
    const ethertypes = s.IpVersion === 6 ? [['IPv6', '::/0']] : [['IPv4', '0.0.0.0/0']];
    for (const port of [...new Set([s.SSHPort, DOCKER_PORT])]) {
      for (const [ethertype, prefixCidr] of ethertypes) {
        await call(`open port ${port} in the security group`, () =>
          client.request('network', 'POST', `${prefix}/security-group-rules`, {
            body: {
              security_group_rule: {
                security_group_id: s.CreatedSecurityGroupId,
                direction: 'ingress',
                ethertype,
                protocol: 'tcp',
                port_range_min: port,
                port_range_max: port,
                remote_ip_prefix: prefixCidr,
              },
            },
          }),
        );
      }
    }
    // Nova takes a Neutron group's id where it asks for a name, which stays unambiguous.
    return [s.CreatedSecurityGroupId];
  }

  /**
   * The boot volume, made from the image through Cinder so that it carries
   * --openstack-volume-name (Nova names the volumes it makes itself after
   * nothing). Waits until it is available to boot from.
   */
  private async createBootVolume(ctx: DriverContext, client: OpenStackClient, s: OpenStackState): Promise<void> {
    ctx.progress(`Creating boot volume ${s.VolumeName} (${s.VolumeSize} GB) from the image`);
    const volume: JsonObject = { name: s.VolumeName!, size: s.VolumeSize, imageRef: s.ImageId!, description: `Boot volume of the machine ${ctx.machine.name}` };
    if (s.VolumeType) volume.volume_type = s.VolumeType;
    const res = await client.request<{ volume: { id: string } }>('volumev3', 'POST', '/volumes', { body: { volume } }).catch((err: unknown) => {
      throw translateError(err, 'create the boot volume', /volume type/i.test((err as Error).message) ? 'openstack-volume-type' : 'openstack-volume-size');
    });
    s.CreatedVolumeId = res.body.volume.id;
    await writeJournal(ctx, s);
    const deadline = Date.now() + s.ActiveTimeout * 1000;
    for (;;) {
      const got = await call('read the boot volume', () => client.request<{ volume: { status: string } }>('volumev3', 'GET', `/volumes/${s.CreatedVolumeId}`));
      const status = got.body.volume.status;
      if (status === 'available') return;
      if (status === 'error' || status === 'error_restoring') {
        throw new DriverError('failed-precondition', `the boot volume ${s.VolumeName} (${s.CreatedVolumeId}) went to ${status}: check --openstack-volume-type and --openstack-volume-size`, { flag: 'openstack-volume-type' });
      }
      if (Date.now() > deadline) {
        throw new DriverError('deadline-exceeded', `the boot volume ${s.VolumeName} did not become available within ${s.ActiveTimeout} s (it is ${status}): raise --openstack-active-timeout`, { flag: 'openstack-active-timeout' });
      }
      await sleep(pollMs(2), ctx.signal);
    }
  }

  private serverRequest(ctx: DriverContext, s: OpenStackState, groups: string[], userData: string | undefined, requestToken: string): JsonObject {
    const server: JsonObject = {
      name: ctx.machine.name,
      flavorRef: s.FlavorId!,
      imageRef: s.BootFromVolume || s.VolumeId ? '' : s.ImageId!,
      key_name: s.KeyPairName!,
      security_groups: groups.map((name) => ({ name })),
      metadata: { ...parseMetadata(s.Metadata), [REQUEST_METADATA_KEY]: requestToken },
    };
    if (s.NetworkId) server.networks = [{ uuid: s.NetworkId }];
    if (s.AvailabilityZone) server.availability_zone = s.AvailabilityZone;
    if (userData) server.user_data = userData;
    if (s.ConfigDrive) server.config_drive = true;
    if (s.CreatedVolumeId) {
      // The volume create made: Nova deletes it with the server.
      const mapping: JsonObject = { boot_index: 0, uuid: s.CreatedVolumeId, source_type: 'volume', destination_type: 'volume', delete_on_termination: true };
      if (s.VolumeDevicePath) mapping.device_name = s.VolumeDevicePath;
      server.block_device_mapping_v2 = [mapping];
    } else if (s.BootFromVolume || s.VolumeId) {
      const mapping: JsonObject = s.VolumeId
        ? { boot_index: 0, uuid: s.VolumeId, source_type: 'volume', destination_type: 'volume', delete_on_termination: false }
        : { boot_index: 0, uuid: s.ImageId!, source_type: 'image', destination_type: 'volume', delete_on_termination: true };
      if (s.VolumeSize > 0) mapping.volume_size = s.VolumeSize;
      if (s.VolumeType) mapping.volume_type = s.VolumeType;
      if (s.VolumeDevicePath) mapping.device_name = s.VolumeDevicePath;
      server.block_device_mapping_v2 = [mapping];
    }
    const body: JsonObject = { server };
    if (s.ServerGroupId) body['os:scheduler_hints'] = { group: s.ServerGroupId };
    return body;
  }

  /** Polls the server until it reaches `status`; ERROR ends the wait with Nova's fault message. */
  private async waitFor(ctx: DriverContext, client: OpenStackClient, s: OpenStackState, status: string, timeoutSeconds: number, leaveFirst = false): Promise<Server> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    let sawOther = !leaveFirst;
    for (let polls = 0; ; polls++) {
      const server = await this.server(client, s);
      if (server.status !== status) sawOther = true;
      // After a reboot request the first answers may still be the old ACTIVE.
      if (server.status === status && (sawOther || polls >= 3)) return server;
      if (server.status === 'ERROR') {
        const fault = server.fault?.message;
        throw new DriverError('failed-precondition', `server ${s.MachineId} went to ERROR${fault ? `: ${fault}` : ''}`);
      }
      if (Date.now() > deadline) {
        throw new DriverError('deadline-exceeded', `server ${s.MachineId} did not become ${status} within ${timeoutSeconds} s (it is ${server.status ?? 'unknown'}): raise --openstack-active-timeout`, { flag: 'openstack-active-timeout' });
      }
      await sleep(pollMs(2), ctx.signal);
    }
  }

  private async waitForAddress(ctx: DriverContext, client: OpenStackClient, s: OpenStackState): Promise<string> {
    const floating = !!s.FloatingIpPool;
    for (let attempt = 0; ; attempt++) {
      const server = await this.server(client, s);
      const ip = pickAddress(server, s.IpVersion, floating);
      if (ip) return ip;
      if (attempt >= 100) {
        throw new DriverError('failed-precondition', `server ${s.MachineId} has no ${floating ? 'floating' : 'fixed'} IPv${s.IpVersion} address`, { flag: 'openstack-ip-version' });
      }
      await sleep(pollMs(2), ctx.signal);
    }
  }

  private async attachFloatingIp(ctx: DriverContext, client: OpenStackClient, s: OpenStackState): Promise<void> {
    if (s.NovaNetwork) {
      ctx.progress(`Allocating a floating IP from pool ${s.FloatingIpPool}`);
      const res = await call(
        'allocate a floating IP',
        () => client.request<{ floating_ip: { id: string | number; ip: string } }>('compute', 'POST', '/os-floating-ips', { body: { pool: s.FloatingIpPool } }),
        'openstack-floatingip-pool',
      );
      s.FloatingIpId = String(res.body.floating_ip.id);
      s.FloatingIpCreated = true;
      await call('attach the floating IP', () => client.request('compute', 'POST', `/servers/${this.id(s)}/action`, { body: { addFloatingIp: { address: res.body.floating_ip.ip } } }));
      return;
    }
    const prefix = await neutronPrefix(client);
    const portQuery = `device_id=${encodeURIComponent(this.id(s))}${s.NetworkId ? `&network_id=${encodeURIComponent(s.NetworkId)}` : ''}`;
    const ports = await call('find the server\'s port', () => client.listAll<{ id: string }>('network', `${prefix}/ports?${portQuery}`, 'ports'));
    if (ports.length === 0) throw new DriverError('failed-precondition', `server ${s.MachineId} has no network port to attach a floating IP to`);
    ctx.progress(`Attaching a floating IP from pool ${s.FloatingIpPool}`);
    const res = await call('create the floating IP', () =>
      client.request<{ floatingip: { id: string; floating_ip_address: string } }>('network', 'POST', `${prefix}/floatingips`, {
        body: { floatingip: { floating_network_id: s.FloatingIpPoolId, port_id: ports[0].id } },
      }),
    );
    s.FloatingIpId = res.body.floatingip.id;
    s.FloatingIpCreated = true;
  }

  // ---- removal ----

  /** Deletes what the state says exists, never throwing for API errors; returns what is left. */
  private async cleanUp(ctx: DriverContext, s: OpenStackState, requestToken: string | undefined): Promise<string[]> {
    // No abort signal: cleanup runs to the end even when the call was cancelled.
    const client = new OpenStackClient(withCloud(s), undefined, ctx.log);
    const problems: string[] = [];
    const attempt = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        if (isStatus(err, 404)) return;
        problems.push(`${what}: ${(err as Error).message}`);
      }
    };
    const serverIds = s.MachineId ? [s.MachineId] : [];
    if (!s.MachineId && requestToken) {
      // The create request may have gone through even though its answer never came back.
      await attempt('look for the created server', async () => {
        const res = await client.request<{ servers: Server[] }>('compute', 'GET', `/servers/detail?name=${encodeURIComponent(`^${escapeRegex(ctx.machine.name)}$`)}`);
        for (const server of res.body.servers) if (server.metadata?.[REQUEST_METADATA_KEY] === requestToken) serverIds.push(server.id);
      });
    }
    let serverGone = true;
    for (const id of serverIds) {
      ctx.progress(`Deleting server ${id}`);
      const before = problems.length;
      await attempt(`delete server ${id}`, () => client.request('compute', 'DELETE', `/servers/${id}`));
      if (problems.length > before) {
        serverGone = false;
        continue;
      }
      // Its ports hold the security group and floating IP until the server is gone.
      await attempt(`wait for server ${id} to be deleted`, async () => {
        for (let n = 0; n < 150; n++) {
          const res = await client.request<{ server: Server }>('compute', 'GET', `/servers/${id}`, { accept: [404] });
          if (res.status === 404 || res.body.server.status === 'DELETED') return;
          await sleep(pollMs(2));
        }
        throw new Error('still there');
      });
    }
    if (s.CreatedVolumeId && serverGone) {
      // Nova deletes it with its server; one whose server never came, or that Nova left, goes here.
      const volumeId = s.CreatedVolumeId;
      await attempt(`delete boot volume ${volumeId}`, async () => {
        for (let n = 0; n < 150; n++) {
          const res = await client.request<{ volume: { status: string } }>('volumev3', 'GET', `/volumes/${volumeId}`, { accept: [404] });
          if (res.status === 404) return;
          if (['available', 'error', 'error_restoring', 'error_extending'].includes(res.body.volume.status)) {
            ctx.progress(`Deleting boot volume ${volumeId}`);
            await client.request('volumev3', 'DELETE', `/volumes/${volumeId}`, { accept: [404] });
          }
          await sleep(pollMs(1));
        }
        throw new Error('still there');
      });
    } else if (s.CreatedVolumeId) {
      problems.push(`boot volume ${s.CreatedVolumeId} is kept while its server exists`);
    }
    if (s.FloatingIpCreated && s.FloatingIpId) {
      ctx.progress(`Releasing floating IP ${s.FloatingIpId}`);
      await attempt(`release floating IP ${s.FloatingIpId}`, async () =>
        s.NovaNetwork
          ? client.request('compute', 'DELETE', `/os-floating-ips/${s.FloatingIpId}`)
          : client.request('network', 'DELETE', `${await neutronPrefix(client)}/floatingips/${s.FloatingIpId}`),
      );
    }
    if (s.KeyPairCreated && s.KeyPairName) {
      ctx.progress(`Deleting key pair ${s.KeyPairName}`);
      await attempt(`delete key pair ${s.KeyPairName}`, () => client.request('compute', 'DELETE', `/os-keypairs/${encodeURIComponent(s.KeyPairName!)}`));
    }
    if (s.CreatedSecurityGroupId && serverGone) {
      ctx.progress(`Deleting security group ${s.CreatedSecurityGroupId}`);
      await attempt(`delete security group ${s.CreatedSecurityGroupId}`, async () => {
        const prefix = await neutronPrefix(client);
        for (let n = 0; ; n++) {
          try {
            await client.request('network', 'DELETE', `${prefix}/security-groups/${s.CreatedSecurityGroupId}`);
            return;
          } catch (err) {
            // A port of the deleted server may hold the group a moment longer.
            if (!isStatus(err, 409) || n >= 20) throw err;
            await sleep(pollMs(1));
          }
        }
      });
    } else if (s.CreatedSecurityGroupId) {
      problems.push(`security group ${s.CreatedSecurityGroupId} is kept while its server exists`);
    }
    return problems;
  }

  private async rollback(ctx: DriverContext, s: OpenStackState, failure: Error, requestToken: string | undefined): Promise<void> {
    const nothingMade = !s.MachineId && !requestToken && !s.KeyPairCreated && !s.CreatedSecurityGroupId && !s.CreatedVolumeId && !s.FloatingIpCreated;
    if (nothingMade) return;
    ctx.progress('Create failed; removing what it made in OpenStack');
    const problems = await this.cleanUp(ctx, s, requestToken);
    if (problems.length > 0) {
      ctx.warn(`could not undo everything create made in OpenStack: ${problems.join('; ')}`, 'Delete these resources with the openstack CLI or the dashboard.');
      if (failure instanceof DriverError) {
        (failure as { detail?: string }).detail = `${failure.detail ? `${failure.detail}\n` : ''}Left behind: ${problems.join('; ')}`;
      }
    }
  }

  // ---- helpers ----

  private async powerOff(ctx: DriverContext, s: OpenStackState, verb: 'stop' | 'kill'): Promise<OpenStackState> {
    const client = new OpenStackClient(withCloud(s), ctx.signal, ctx.log);
    const server = await this.server(client, s);
    if (server.status !== 'SHUTOFF') {
      await call(`${verb} the server`, () => client.request('compute', 'POST', `/servers/${this.id(s)}/action`, { body: { 'os-stop': null } }));
      await this.waitFor(ctx, client, s, 'SHUTOFF', s.ActiveTimeout);
    }
    return s;
  }

  private async server(client: OpenStackClient, s: OpenStackState): Promise<Server> {
    const res = await call('look up the server', () => client.request<{ server: Server }>('compute', 'GET', `/servers/${this.id(s)}`, { accept: [404] }));
    if (res.status === 404 || res.body.server.status === 'DELETED') throw new DriverError('not-found', `server ${s.MachineId} does not exist`);
    return res.body.server;
  }

  private id(s: OpenStackState): string {
    if (!s.MachineId) throw new DriverError('not-found', 'the machine has no OpenStack server (create did not finish)');
    return s.MachineId;
  }
}

/**
 * What a create has made so far, in the machine's directory: the host saves
 * the machine before create runs, so a create killed before it could answer
 * leaves a record whose `rm -f` finds the resources through this file.
 */
interface Journal {
  made: Partial<OpenStackState>;
  requestToken?: string;
}
const JOURNAL = '.openstack-create.json';

async function writeJournal(ctx: DriverContext, s: OpenStackState, requestToken?: string): Promise<void> {
  const made: Partial<OpenStackState> = {
    MachineId: s.MachineId,
    KeyPairName: s.KeyPairCreated ? s.KeyPairName : undefined,
    KeyPairCreated: s.KeyPairCreated,
    CreatedSecurityGroupId: s.CreatedSecurityGroupId,
    CreatedVolumeId: s.CreatedVolumeId,
    FloatingIpId: s.FloatingIpId,
    FloatingIpCreated: s.FloatingIpCreated,
  };
  await fs.mkdir(ctx.machine.machineDir, { recursive: true });
  const file = path.join(ctx.machine.machineDir, JOURNAL);
  await fs.writeFile(`${file}.tmp`, JSON.stringify({ made, requestToken } satisfies Journal), { mode: 0o600 });
  await fs.rename(`${file}.tmp`, file);
}

async function readJournal(ctx: DriverContext): Promise<Journal | undefined> {
  try {
    const journal = JSON.parse(await fs.readFile(path.join(ctx.machine.machineDir, JOURNAL), 'utf8')) as Journal;
    journal.made = Object.fromEntries(Object.entries(journal.made ?? {}).filter(([, v]) => v !== undefined && v !== null));
    return journal;
  } catch {
    return undefined;
  }
}

async function removeJournal(ctx: DriverContext): Promise<void> {
  await fs.rm(path.join(ctx.machine.machineDir, JOURNAL), { force: true });
}

async function call<T>(action: string, fn: () => Promise<T>, flag?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw translateError(err, action, flag);
  }
}

/** Neutron's catalog URL may or may not end in /v2.0. */
async function neutronPrefix(client: OpenStackClient): Promise<string> {
  return (await client.endpoint('network')).endsWith('/v2.0') ? '' : '/v2.0';
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Makes any stored state safe to use: hosts pass the reference's stores
 * (version 0) unchanged, with Go's nil slices as null and fields this driver
 * added missing.
 */
export function normalizeState(stored: Partial<OpenStackState>, ctx?: DriverContext): OpenStackState {
  const s = Object.fromEntries(Object.entries(stored).filter(([, v]) => v !== null)) as OpenStackState;
  s.SecurityGroups ??= [];
  s.EndpointType ??= 'publicURL';
  s.IpVersion ??= 4;
  s.SSHPort ??= 22;
  s.SSHUser ??= 'root';
  s.ActiveTimeout ??= 200;
  s.VolumeSize ??= 0;
  s.Insecure ??= false;
  s.NovaNetwork ??= false;
  s.ConfigDrive ??= false;
  s.BootFromVolume ??= false;
  if (ctx) {
    s.MachineName ??= ctx.machine.name;
    s.StorePath ??= ctx.machine.storePath;
    s.SSHKeyPath ??= path.join(ctx.machine.machineDir, 'id_rsa');
  }
  // The reference made the key pair unless the user named one with its private key.
  if (s.KeyPairCreated === undefined && s.MachineId) s.KeyPairCreated = !s.PrivateKeyFile && !!s.KeyPairName;
  return s;
}
