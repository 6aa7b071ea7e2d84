// The local Nova, Neutron and Glance: each its own HTTP endpoint on
// 127.0.0.1, registered in the real Keystone's catalog under a region of
// their own, checking every X-Auth-Token with Keystone, answering with the
// services' JSON shapes and error bodies. Servers are backed by real test
// hosts (or addresses only) through a HostProvider.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AddressOnlyHosts, type BackingHost, type HostProvider } from '../common/hosts';
import { FaultPlan, type Fault } from '../common/faults';
import { startHttpFake, type FakeRequest, type FakeResponse, type HttpFake, type LoggedRequest } from '../common/server';
import { keystone, registerRegion, removeStaleRegions, type Keystone, type TokenInfo } from './keystone';

export interface Timings {
  /** Time in BUILD besides starting the host. */
  buildMs: number;
  /** Time a power action (stop, start, reboot) takes besides the host's own. */
  actionMs: number;
  /** Time between DELETE and the server disappearing. */
  deleteMs: number;
}

export interface Flavor {
  id: string;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
}
export interface Image {
  id: string;
  name: string;
  /** The image's default user, who gets the key pair. */
  user: string;
  /** Glance's status (default active): an upload that never finished stays queued, a failed one is killed. */
  status?: GlanceImageStatus;
}
export type GlanceImageStatus = 'queued' | 'saving' | 'active' | 'killed' | 'deactivated';
/** How Nova's image proxy shows Glance's statuses. */
const NOVA_IMAGE_STATUS: Record<GlanceImageStatus, string> = { queued: 'SAVING', saving: 'SAVING', active: 'ACTIVE', killed: 'DELETED', deactivated: 'ERROR' };
export interface Network {
  id: string;
  name: string;
  projectId: string;
  external: boolean;
  /** Whether fixed addresses on it are the hosts' real addresses (a provider network); otherwise 10.x, never reached. */
  routed: boolean;
  subnetId: string;
  nextHost: number;
  /** Floating IPs the pool (an external network) can still give. */
  capacity: number;
}
export interface Port {
  id: string;
  networkId: string;
  deviceId: string;
  projectId: string;
  fixedIp: string;
  mac: string;
  securityGroups: string[];
}
export interface FloatingIp {
  id: string;
  networkId: string;
  projectId: string;
  address: string;
  portId: string | null;
}
export interface SecurityGroupRule {
  id: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  portMin: number | null;
  portMax: number | null;
  remote: string | null;
}
export interface SecurityGroup {
  id: string;
  name: string;
  description: string;
  projectId: string;
  rules: SecurityGroupRule[];
}
export interface KeyPair {
  name: string;
  userId: string;
  publicKey: string;
  fingerprint: string;
}
/** A Cinder volume (block storage v3). */
export interface Volume {
  id: string;
  name: string;
  projectId: string;
  size: number;
  status: 'creating' | 'available' | 'in-use' | 'deleting' | 'error';
  imageId?: string;
  volumeType?: string;
  /** The server it is attached to, and whether Nova deletes it with the server. */
  attachedTo?: string;
  deleteOnTermination?: boolean;
}
export interface ServerGroup {
  id: string;
  name: string;
  projectId: string;
  policies: string[];
  members: string[];
}
export interface Server {
  id: string;
  name: string;
  projectId: string;
  userId: string;
  status: string;
  taskState: string | null;
  flavorId: string;
  imageId: string;
  keyName?: string;
  metadata: Record<string, string>;
  securityGroups: string[];
  portId?: string;
  availabilityZone: string;
  configDrive: boolean;
  blockDevices: unknown[];
  serverGroupId?: string;
  fault?: { code: number; message: string; details: string; created: string };
  host?: BackingHost;
  created: string;
  updated: string;
  /** When the create request came, and when the server first became ACTIVE (ms), for the bench. */
  requestedAt: number;
  activeAt?: number;
  /** How long starting its host took (ms). */
  hostStartMs?: number;
  /** Ends the BUILD wait early (a delete of a building server). */
  wakeBuild?: () => void;
  /** Pending host work, so that tests can wait for it. */
  busy: Promise<unknown>;
}

export interface FakeOpenStackOptions {
  hosts?: HostProvider;
  timings?: Partial<Timings>;
  flavors?: Flavor[];
  images?: Image[];
  /** Items per page of flavors, images and networks (default 1000). */
  pageSize?: number;
  /** Whether Cinder is in the catalog (default true), as it is not in every cloud. */
  blockStorage?: boolean;
}

export interface FakeOpenStack {
  readonly keystone: Keystone;
  /** The Keystone URL to give the driver (its root: version discovery happens there). */
  readonly authUrl: string;
  /** This fake's region in the catalog. */
  readonly region: string;
  readonly compute: HttpFake;
  readonly network: HttpFake;
  readonly image: HttpFake;
  readonly faults: FaultPlan;
  readonly timings: Timings;
  pageSize: number;
  readonly flavors: Flavor[];
  readonly images: Image[];
  readonly networks: Map<string, Network>;
  readonly ports: Map<string, Port>;
  readonly floatingIps: Map<string, FloatingIp>;
  readonly securityGroups: Map<string, SecurityGroup>;
  readonly keyPairs: Map<string, KeyPair>;
  readonly servers: Map<string, Server>;
  readonly serverGroups: Map<string, ServerGroup>;
  readonly volumes: Map<string, Volume>;
  readonly volume: HttpFake;
  /** Every request of the four services, in order, labelled "service operation". */
  requests(): LoggedRequest[];
  /** The next server to build goes to ERROR with this fault message. */
  failNextBuild(message: string): void;
  /** Revokes, at Keystone, the token of the next call of `operation`, before answering it. */
  expireTokenOn(operation: string): void;
  /** Adds a network to a project; returns it. */
  addNetwork(name: string, options?: { external?: boolean; routed?: boolean; capacity?: number; projectId?: string }): Network;
  /** Waits until every server's host work is done. */
  settle(): Promise<void>;
  /** Unregisters the region, stops the servers and destroys every host. */
  close(): Promise<void>;
}

const DEFAULT_TIMINGS: Timings = { buildMs: 50, actionMs: 20, deleteMs: 20 };

/** The only microversion this Nova implements, and so the maximum its version document names. */
const NOVA_MAX_MICROVERSION = '2.1';

export function defaultFlavors(): Flavor[] {
  return [
    { id: '1', name: 'm1.tiny', ram: 512, vcpus: 1, disk: 1 },
    { id: '2', name: 'm1.small', ram: 2048, vcpus: 1, disk: 20 },
    { id: '3', name: 'm1.medium', ram: 4096, vcpus: 2, disk: 40 },
    { id: '4', name: 'm1.large', ram: 8192, vcpus: 4, disk: 80 },
    { id: '5', name: 'm1.xlarge', ram: 16384, vcpus: 8, disk: 160 },
  ];
}

export function defaultImages(): Image[] {
  return [
    { id: randomUUID(), name: 'cirros-0.6.2', user: 'cirros' },
    { id: randomUUID(), name: 'debian-12', user: 'debian' },
    { id: randomUUID(), name: 'ubuntu-22.04', user: 'ubuntu' },
  ];
}

/** Nova's error body: {"itemNotFound": {"code": 404, "message": "..."}}. */
class NovaError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
  get key(): string {
    return { 400: 'badRequest', 401: 'unauthorized', 403: 'forbidden', 404: 'itemNotFound', 409: 'conflictingRequest', 413: 'overLimit', 503: 'serviceUnavailable' }[this.status] ?? 'computeFault';
  }
}
/** Neutron's error body: {"NeutronError": {"type": "...", "message": "...", "detail": ""}}. */
class NeutronError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): FakeResponse => ({
  status,
  headers: { 'content-type': 'application/json', 'x-openstack-request-id': `req-${randomUUID()}`, ...headers },
  body: body === undefined ? '' : JSON.stringify(body),
});
const empty = (status: number): FakeResponse => ({ status, headers: { 'x-openstack-request-id': `req-${randomUUID()}` }, body: '' });
const iso = (ms = Date.now()) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** keystonemiddleware's answer to a missing, invalid or expired token. */
function unauthorized(authUrl: string): FakeResponse {
  return json(401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } }, { 'www-authenticate': `Keystone uri="${authUrl}"` });
}

function fingerprintOf(publicKey: string): string {
  const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? '', 'base64');
  return createHash('md5').update(blob).digest('hex').replace(/(..)(?!$)/g, '$1:');
}

export async function startFakeOpenStack(options: FakeOpenStackOptions = {}): Promise<FakeOpenStack> {
  const ks = await keystone();
  await removeStaleRegions(ks).catch(() => undefined);
  const hosts = options.hosts ?? new AddressOnlyHosts();
  const timings: Timings = { ...DEFAULT_TIMINGS, ...options.timings };
  const faults = new FaultPlan();
  const region = `fake-${randomBytes(4).toString('hex')}`;
  const flavors = options.flavors ?? defaultFlavors();
  const images = options.images ?? defaultImages();
  const networks = new Map<string, Network>();
  const ports = new Map<string, Port>();
  const floatingIps = new Map<string, FloatingIp>();
  const securityGroups = new Map<string, SecurityGroup>();
  const keyPairs = new Map<string, KeyPair>();
  const servers = new Map<string, Server>();
  const serverGroups = new Map<string, ServerGroup>();
  const volumes = new Map<string, Volume>();
  const buildFaults: string[] = [];
  const expireOn: string[] = [];
  const demoProject = await ks.projectId('demo');
  let closed = false;
  let nextFloating = 10;

  const addNetwork: FakeOpenStack['addNetwork'] = (name, o = {}) => {
    const n: Network = {
      id: randomUUID(),
      name,
      projectId: o.projectId ?? demoProject,
      external: o.external ?? false,
      routed: o.routed ?? !o.external,
      subnetId: randomUUID(),
      nextHost: 3,
      capacity: o.capacity ?? 50,
    };
    networks.set(n.id, n);
    return n;
  };
  // A provider network whose fixed addresses are the hosts' own, a tenant
  // network reached only through floating IPs, and the external pool.
  addNetwork('provider');
  addNetwork('private', { routed: false });
  addNetwork('public', { external: true, capacity: 20 });

  const defaultGroup = (projectId: string) => {
    if ([...securityGroups.values()].some((g) => g.projectId === projectId && g.name === 'default')) return;
    const id = randomUUID();
    securityGroups.set(id, { id, name: 'default', description: 'Default security group', projectId, rules: [] });
  };
  defaultGroup(demoProject);

  const fixedAddress = (server: Server): string | undefined => {
    const port = server.portId ? ports.get(server.portId) : undefined;
    if (!port) return undefined;
    const net = networks.get(port.networkId);
    return net?.routed ? server.host?.ip : port.fixedIp;
  };
  const floatingOf = (server: Server) => [...floatingIps.values()].find((f) => f.portId && f.portId === server.portId);
  /** A floating IP is the host's address: the fake has no NAT, so the host's own address stands for it. */
  const floatingAddress = (f: FloatingIp): string => {
    const server = [...servers.values()].find((s) => s.portId === f.portId);
    return server?.host && f.portId ? server.host.ip : f.address;
  };

  // ---- auth ----

  // A refusal says why in the request log, so a test that finds one can tell a missing token from one Keystone refused.
  const authenticate = async (req: FakeRequest, operation: string): Promise<TokenInfo | (FakeResponse & { why: string })> => {
    const token = req.headers['x-auth-token'];
    if (typeof token !== 'string' || token === '') return { ...unauthorized(ks.url), why: 'no token' };
    const expireAt = expireOn.indexOf(operation);
    let why = 'Keystone did not validate the token';
    if (expireAt >= 0) {
      expireOn.splice(expireAt, 1);
      await ks.revoke(token);
      why = 'token revoked by the expiry switch';
    }
    const info = await ks.validate(token);
    return info ?? { ...unauthorized(ks.url), why: `${why} (…${token.slice(-6)})` };
  };

  // ---- routing helpers ----

  type Route = (req: FakeRequest, m: RegExpExecArray, url: URL, who: TokenInfo) => Promise<FakeResponse> | FakeResponse;
  interface RouteDef {
    method: string;
    path: RegExp;
    op: string;
    handle: Route;
  }
  const service = (name: string, routes: RouteDef[], renderError: (err: Error) => FakeResponse, renderFault: (f: Fault) => FakeResponse) => {
    return async (req: FakeRequest): Promise<FakeResponse & { label?: string; error?: string }> => {
      const url = new URL(req.url, 'http://fake');
      for (const r of routes) {
        if (r.method !== req.method) continue;
        const m = r.path.exec(url.pathname);
        if (!m) continue;
        const label = `${name} ${r.op}`;
        if (closed) return { ...json(503, {}), label, error: 'Closed' };
        const who = await authenticate(req, r.op);
        if ('status' in who) return { status: who.status, headers: who.headers, body: who.body, label, error: `Unauthorized: ${who.why}` };
        const fault = faults.take(r.op);
        if (fault) return { ...renderFault(fault), label, error: fault.code };
        try {
          return { ...(await r.handle(req, m, url, who)), label };
        } catch (err) {
          if (err instanceof NovaError || err instanceof NeutronError || err instanceof GlanceError) return { ...renderError(err), label, error: err instanceof NeutronError ? err.type : String(err.status) };
          throw err;
        }
      }
      return { ...renderError(name === 'network' ? new NeutronError(404, 'HTTPNotFound', 'The resource could not be found.') : new NovaError(404, 'The resource could not be found.')), label: `${name} unknown ${req.method} ${url.pathname}`, error: 'NotFound' };
    };
  };
  const body = <T>(req: FakeRequest, key: string, Err: (msg: string) => Error): T => {
    let doc: unknown;
    try {
      doc = JSON.parse(req.body.toString() || 'null');
    } catch {
      throw Err('Malformed request body');
    }
    const inner = (doc as Record<string, unknown> | null)?.[key];
    if (typeof inner !== 'object' || inner === null) throw Err(`Missing ${key} in request body`);
    return inner as T;
  };
  const novaBad = (msg: string) => new NovaError(400, msg);
  const neutronBad = (msg: string) => new NeutronError(400, 'BadRequest', msg);

  /** Nova/Neutron-style paging: ?limit=&marker=, with a next link while more remain. */
  const page = <T extends { id: string }>(items: T[], url: URL, base: string, key: string): Record<string, unknown> => {
    const limit = Math.min(Number(url.searchParams.get('limit') ?? fake.pageSize) || fake.pageSize, fake.pageSize);
    const marker = url.searchParams.get('marker');
    let start = 0;
    if (marker) {
      const at = items.findIndex((i) => i.id === marker);
      if (at < 0) throw key === 'networks' ? new NeutronError(404, 'MarkerNotFound', `Marker ${marker} could not be found.`) : new NovaError(400, `marker [${marker}] not found`);
      start = at + 1;
    }
    const slice = items.slice(start, start + limit);
    const out: Record<string, unknown> = { [key]: slice };
    if (start + limit < items.length && slice.length > 0) {
      const next = new URL(base + url.pathname);
      for (const [k, v] of url.searchParams) if (k !== 'marker' && k !== 'limit') next.searchParams.append(k, v);
      next.searchParams.set('limit', String(limit));
      next.searchParams.set('marker', slice[slice.length - 1].id);
      out[`${key}_links`] = [{ rel: 'next', href: next.toString() }];
    }
    return out;
  };

  // ---- Nova ----

  const flavorJson = (f: Flavor, base: string) => ({
    id: f.id,
    name: f.name,
    ram: f.ram,
    vcpus: f.vcpus,
    disk: f.disk,
    'OS-FLV-EXT-DATA:ephemeral': 0,
    'OS-FLV-DISABLED:disabled': false,
    'os-flavor-access:is_public': true,
    swap: '',
    rxtx_factor: 1.0,
    links: [{ rel: 'self', href: `${base}/v2.1/flavors/${f.id}` }],
  });
  const novaImageJson = (i: Image, base: string) => ({
    id: i.id,
    name: i.name,
    status: NOVA_IMAGE_STATUS[i.status ?? 'active'],
    progress: (i.status ?? 'active') === 'active' ? 100 : 0,
    minDisk: 0,
    minRam: 0,
    metadata: {},
    created: iso(0),
    updated: iso(0),
    links: [{ rel: 'self', href: `${base}/v2.1/images/${i.id}` }],
  });
  const serverJson = (s: Server, base: string) => {
    const addresses: Record<string, unknown[]> = {};
    const port = s.portId ? ports.get(s.portId) : undefined;
    const fixed = fixedAddress(s);
    if (port && fixed) {
      const net = networks.get(port.networkId)!;
      const entries: unknown[] = [{ addr: fixed, version: 4, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': port.mac }];
      const fip = floatingOf(s);
      if (fip) entries.push({ addr: floatingAddress(fip), version: 4, 'OS-EXT-IPS:type': 'floating', 'OS-EXT-IPS-MAC:mac_addr': port.mac });
      addresses[net.name] = entries;
    }
    const vmState = ({ BUILD: 'building', ACTIVE: 'active', SHUTOFF: 'stopped', REBOOT: 'active', HARD_REBOOT: 'active', ERROR: 'error', DELETED: 'deleted' } as Record<string, string>)[s.status] ?? 'active';
    return {
      id: s.id,
      name: s.name,
      status: s.status,
      tenant_id: s.projectId,
      user_id: s.userId,
      metadata: s.metadata,
      hostId: createHash('sha224').update(s.projectId + 'host1').digest('hex'),
      image: s.imageId ? { id: s.imageId, links: [{ rel: 'bookmark', href: `${base}/images/${s.imageId}` }] } : '',
      flavor: { id: s.flavorId, links: [{ rel: 'bookmark', href: `${base}/flavors/${s.flavorId}` }] },
      created: s.created,
      updated: s.updated,
      addresses,
      accessIPv4: '',
      accessIPv6: '',
      links: [
        { rel: 'self', href: `${base}/v2.1/servers/${s.id}` },
        { rel: 'bookmark', href: `${base}/servers/${s.id}` },
      ],
      key_name: s.keyName ?? null,
      security_groups: s.securityGroups.map((id) => ({ name: securityGroups.get(id)?.name ?? id })),
      config_drive: s.configDrive ? 'True' : '',
      progress: s.status === 'BUILD' ? 0 : 100,
      'OS-DCF:diskConfig': 'MANUAL',
      'OS-EXT-AZ:availability_zone': s.availabilityZone,
      'OS-EXT-STS:vm_state': vmState,
      'OS-EXT-STS:task_state': s.taskState,
      'OS-EXT-STS:power_state': s.status === 'ACTIVE' ? 1 : s.status === 'SHUTOFF' ? 4 : 0,
      'OS-SRV-USG:launched_at': s.status === 'BUILD' ? null : s.created,
      'OS-SRV-USG:terminated_at': null,
      'os-extended-volumes:volumes_attached': [],
      ...(s.fault ? { fault: s.fault } : {}),
    };
  };

  const findServer = (id: string, who: TokenInfo): Server => {
    const s = servers.get(id);
    if (!s || s.projectId !== who.projectId) throw new NovaError(404, `Instance ${id} could not be found.`);
    return s;
  };
  const findGroupByNameOrId = (ref: string, projectId: string): SecurityGroup | undefined => {
    const own = [...securityGroups.values()].filter((g) => g.projectId === projectId);
    return own.find((g) => g.id === ref) ?? own.find((g) => g.name === ref);
  };
  const touch = (s: Server) => (s.updated = iso());
  const work = (s: Server, fn: () => Promise<void>) => {
    s.busy = s.busy.then(fn).catch((err: unknown) => {
      s.status = 'ERROR';
      s.taskState = null;
      s.fault = { code: 500, message: (err as Error).message, details: String((err as Error).stack ?? ''), created: iso() };
    });
  };

  const build = (s: Server, image: Image | undefined, key: KeyPair | undefined) =>
    work(s, async () => {
      await Promise.race([sleep(timings.buildMs), new Promise<void>((wake) => (s.wakeBuild = wake))]);
      s.wakeBuild = undefined;
      // Nova deletes a building server at once: nothing is started for it.
      if (s.taskState === 'deleting') return;
      const fault = buildFaults.shift();
      if (fault) {
        s.status = 'ERROR';
        s.taskState = null;
        s.fault = { code: 500, message: fault, details: 'Traceback (most recent call last):\n  File "nova/compute/manager.py", in _build_and_run_instance', created: iso() };
        touch(s);
        return;
      }
      const hostStarted = Date.now();
      try {
        s.host = await hosts.launch({ id: s.id, user: image?.user ?? 'root', authorizedKeys: key ? [key.publicKey] : [], image: image?.name ?? 'volume' });
      } catch (err) {
        s.status = 'ERROR';
        s.taskState = null;
        s.fault = { code: 500, message: `Build of instance ${s.id} aborted: ${(err as Error).message}`, details: '', created: iso() };
        touch(s);
        return;
      }
      s.hostStartMs = Date.now() - hostStarted;
      if (closed || s.status === 'DELETED') return;
      s.status = 'ACTIVE';
      s.activeAt = Date.now();
      s.taskState = null;
      touch(s);
    });

  const novaRoutes: RouteDef[] = [
    { method: 'GET', path: /^\/v2\.1\/?$/, op: 'version', handle: () => json(200, { version: { id: 'v2.1', status: 'CURRENT', version: NOVA_MAX_MICROVERSION, min_version: '2.1' } }) },
    {
      method: 'GET',
      path: /^\/v2\.1\/flavors\/detail$/,
      op: 'flavors.list',
      handle: (_r, _m, url) => json(200, page(flavors.map((f) => flavorJson(f, fake.compute.url)), url, fake.compute.url, 'flavors')),
    },
    {
      method: 'GET',
      path: /^\/v2\.1\/flavors\/([^/]+)$/,
      op: 'flavors.get',
      handle: (_r, m) => {
        const f = flavors.find((x) => x.id === m[1]);
        if (!f) throw new NovaError(404, `Flavor ${m[1]} could not be found.`);
        return json(200, { flavor: flavorJson(f, fake.compute.url) });
      },
    },
    {
      method: 'GET',
      path: /^\/v2\.1\/images\/detail$/,
      op: 'images.list',
      handle: (_r, _m, url) => {
        const name = url.searchParams.get('name');
        const list = images.filter((i) => name === null || i.name === name).map((i) => novaImageJson(i, fake.compute.url));
        return json(200, page(list, url, fake.compute.url, 'images'));
      },
    },
    {
      method: 'GET',
      path: /^\/v2\.1\/images\/([^/]+)$/,
      op: 'images.get',
      handle: (_r, m) => {
        const i = images.find((x) => x.id === m[1]);
        if (!i) throw new NovaError(404, 'Image not found.');
        return json(200, { image: novaImageJson(i, fake.compute.url) });
      },
    },
    {
      method: 'POST',
      path: /^\/v2\.1\/os-keypairs$/,
      op: 'keypairs.create',
      handle: (req, _m, _u, who) => {
        const k = body<{ name?: string; public_key?: string }>(req, 'keypair', novaBad);
        if (!k.name || !/^[\w. @-]{1,255}$/.test(k.name)) throw new NovaError(400, `Invalid input for field/attribute name. Value: ${k.name}.`);
        if (!k.public_key) throw new NovaError(400, 'Keypair data is invalid: this local Nova does not generate keys; give public_key');
        if (!/^(ssh-rsa|ssh-ed25519|ecdsa-sha2-\S+) [A-Za-z0-9+/=]+/.test(k.public_key)) throw new NovaError(400, 'Keypair data is invalid: failed to generate fingerprint');
        const id = `${who.userId}/${k.name}`;
        if (keyPairs.has(id)) throw new NovaError(409, `Key pair '${k.name}' already exists.`);
        const kp: KeyPair = { name: k.name, userId: who.userId, publicKey: k.public_key.trim(), fingerprint: fingerprintOf(k.public_key) };
        keyPairs.set(id, kp);
        return json(200, { keypair: { name: kp.name, public_key: kp.publicKey, fingerprint: kp.fingerprint, user_id: kp.userId } });
      },
    },
    {
      method: 'GET',
      path: /^\/v2\.1\/os-keypairs$/,
      op: 'keypairs.list',
      handle: (_r, _m, _u, who) =>
        json(200, { keypairs: [...keyPairs.values()].filter((k) => k.userId === who.userId).map((k) => ({ keypair: { name: k.name, public_key: k.publicKey, fingerprint: k.fingerprint } })) }),
    },
    {
      method: 'GET',
      path: /^\/v2\.1\/os-keypairs\/([^/]+)$/,
      op: 'keypairs.get',
      handle: (_r, m, _u, who) => {
        const name = decodeURIComponent(m[1]);
        const kp = keyPairs.get(`${who.userId}/${name}`);
        if (!kp) throw new NovaError(404, `Keypair ${name} not found for user ${who.userId}`);
        return json(200, { keypair: { name: kp.name, public_key: kp.publicKey, fingerprint: kp.fingerprint, user_id: kp.userId, id: 1, deleted: false, created_at: iso(), updated_at: null, deleted_at: null } });
      },
    },
    {
      method: 'DELETE',
      path: /^\/v2\.1\/os-keypairs\/([^/]+)$/,
      op: 'keypairs.delete',
      handle: (_r, m, _u, who) => {
        const name = decodeURIComponent(m[1]);
        if (!keyPairs.delete(`${who.userId}/${name}`)) throw new NovaError(404, `Keypair ${name} not found for user ${who.userId}`);
        return empty(202);
      },
    },
    {
      method: 'GET',
      path: /^\/v2\.1\/os-server-groups$/,
      op: 'server-groups.list',
      handle: (_r, _m, _u, who) =>
        json(200, { server_groups: [...serverGroups.values()].filter((g) => g.projectId === who.projectId).map((g) => ({ id: g.id, name: g.name, policies: g.policies, members: g.members, metadata: {} })) }),
    },
    {
      method: 'GET',
      path: /^\/v2\.1\/os-server-groups\/([^/]+)$/,
      op: 'server-groups.get',
      handle: (_r, m, _u, who) => {
        const g = serverGroups.get(m[1]);
        if (!g || g.projectId !== who.projectId) throw new NovaError(404, `Instance group ${m[1]} could not be found.`);
        return json(200, { server_group: { id: g.id, name: g.name, policies: g.policies, members: g.members, metadata: {} } });
      },
    },
    // nova-network's floating IP API, which Nova 2.1 proxies to Neutron.
    {
      method: 'POST',
      path: /^\/v2\.1\/os-floating-ips$/,
      op: 'os-floating-ips.create',
      handle: (req, _m, _u, who) => {
        const doc = JSON.parse(req.body.toString() || '{}') as { pool?: string };
        const pool = [...networks.values()].find((n) => n.external && n.name === doc.pool);
        if (!pool) throw new NovaError(404, `Floating IP pool not found.`);
        if ([...floatingIps.values()].filter((f) => f.networkId === pool.id).length >= pool.capacity) throw new NovaError(404, `No more floating IPs in pool ${pool.name}.`);
        const f: FloatingIp = { id: randomUUID(), networkId: pool.id, projectId: who.projectId, address: `203.0.113.${nextFloating++ % 250}`, portId: null };
        floatingIps.set(f.id, f);
        return json(200, { floating_ip: { id: f.id, ip: f.address, pool: pool.name, fixed_ip: null, instance_id: null } });
      },
    },
    {
      method: 'DELETE',
      path: /^\/v2\.1\/os-floating-ips\/([^/]+)$/,
      op: 'os-floating-ips.delete',
      handle: (_r, m, _u, who) => {
        const f = floatingIps.get(m[1]);
        if (!f || f.projectId !== who.projectId) throw new NovaError(404, `Floating IP not found for ID ${m[1]}`);
        floatingIps.delete(f.id);
        return empty(202);
      },
    },
    {
      method: 'POST',
      path: /^\/v2\.1\/servers$/,
      op: 'servers.create',
      handle: (req, _m, _u, who) => {
        const doc = JSON.parse(req.body.toString() || '{}') as { 'os:scheduler_hints'?: { group?: string } };
        const b = body<{
          name?: string;
          flavorRef?: string;
          imageRef?: string;
          key_name?: string;
          security_groups?: { name?: string }[];
          networks?: { uuid?: string; port?: string }[] | string;
          metadata?: Record<string, string>;
          availability_zone?: string;
          config_drive?: boolean;
          user_data?: string;
          block_device_mapping_v2?: { boot_index?: number; uuid?: string; source_type?: string; destination_type?: string; volume_size?: number }[];
        }>(req, 'server', novaBad);
        if (!b.name || typeof b.name !== 'string') throw new NovaError(400, "Invalid input for field/attribute server. Value: {}. 'name' is a required property");
        if (!b.flavorRef) throw new NovaError(400, "Invalid input for field/attribute server. 'flavorRef' is a required property");
        const flavor = flavors.find((f) => f.id === b.flavorRef);
        if (!flavor) throw new NovaError(400, `Flavor ${b.flavorRef} could not be found.`);
        const bdm = b.block_device_mapping_v2 ?? [];
        const bootVolume = bdm.find((d) => d.boot_index === 0);
        let bootFrom: Volume | undefined;
        if (bootVolume?.source_type === 'volume') {
          bootFrom = volumes.get(bootVolume.uuid ?? '');
          if (!bootFrom || bootFrom.projectId !== who.projectId) throw new NovaError(400, `Block Device Mapping is Invalid: failed to get volume ${bootVolume.uuid}.`);
          if (bootFrom.status !== 'available') throw new NovaError(400, `Block Device Mapping is Invalid: Volume ${bootFrom.id} status must be available, but current status is: ${bootFrom.status}.`);
        }
        const imageRef = b.imageRef || (bootVolume?.source_type === 'image' ? bootVolume.uuid : bootFrom?.imageId);
        let image: Image | undefined;
        if (imageRef) {
          image = images.find((i) => i.id === imageRef);
          if (!image) throw new NovaError(400, `Image ${imageRef} could not be found.`);
          if ((image.status ?? 'active') !== 'active') throw new NovaError(400, `Image ${imageRef} is not active.`);
        } else if (!bootVolume) {
          throw new NovaError(400, 'Block Device Mapping is Invalid: You specified more local devices than the limit allows');
        }
        let key: KeyPair | undefined;
        if (b.key_name) {
          key = keyPairs.get(`${who.userId}/${b.key_name}`);
          if (!key) throw new NovaError(400, 'Invalid key_name provided.');
        }
        if (b.user_data !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(b.user_data)) throw new NovaError(400, 'User data needs to be valid base 64.');
        const groupRefs = (b.security_groups ?? [{ name: 'default' }]).map((g) => g.name ?? '');
        defaultGroup(who.projectId);
        const groups = groupRefs.map((ref) => {
          const g = findGroupByNameOrId(ref, who.projectId);
          if (!g) throw new NovaError(400, `Security group ${ref} not found for project ${who.projectId}.`);
          return g.id;
        });
        let network: Network | undefined;
        if (Array.isArray(b.networks) && b.networks.length > 0) {
          const uuid = b.networks[0].uuid;
          network = uuid ? networks.get(uuid) : undefined;
          if (!network || (network.projectId !== who.projectId && !network.external)) throw new NovaError(400, `Network ${uuid} could not be found.`);
        } else {
          const own = [...networks.values()].filter((n) => n.projectId === who.projectId && !n.external);
          if (own.length > 1) throw new NovaError(409, 'Multiple possible networks found, use a Network ID to be more specific.');
          network = own[0];
        }
        let serverGroupId: string | undefined;
        if (doc['os:scheduler_hints']?.group) {
          const g = serverGroups.get(doc['os:scheduler_hints'].group);
          if (!g || g.projectId !== who.projectId) throw new NovaError(400, `Invalid input for field/attribute group. Value: ${doc['os:scheduler_hints'].group}.`);
          serverGroupId = g.id;
        }
        const now = iso();
        const s: Server = {
          id: randomUUID(),
          name: b.name,
          projectId: who.projectId,
          userId: who.userId,
          status: 'BUILD',
          taskState: 'scheduling',
          flavorId: flavor.id,
          imageId: b.imageRef ?? '',
          keyName: b.key_name,
          metadata: b.metadata ?? {},
          securityGroups: groups,
          availabilityZone: b.availability_zone ?? 'nova',
          configDrive: b.config_drive === true,
          blockDevices: bdm,
          serverGroupId,
          created: now,
          updated: now,
          requestedAt: Date.now(),
          busy: Promise.resolve(),
        };
        servers.set(s.id, s);
        if (bootFrom) {
          bootFrom.status = 'in-use';
          bootFrom.attachedTo = s.id;
          bootFrom.deleteOnTermination = (bootVolume as { delete_on_termination?: boolean }).delete_on_termination === true;
        }
        if (serverGroupId) serverGroups.get(serverGroupId)!.members.push(s.id);
        if (network) {
          const port: Port = {
            id: randomUUID(),
            networkId: network.id,
            deviceId: s.id,
            projectId: who.projectId,
            fixedIp: `10.0.${Math.floor(network.nextHost / 250)}.${(network.nextHost++ % 250) + 3}`,
            mac: `fa:16:3e:${randomBytes(3).toString('hex').replace(/(..)(?!$)/g, '$1:')}`,
            securityGroups: groups,
          };
          ports.set(port.id, port);
          s.portId = port.id;
        }
        build(s, image, key);
        const base = fake.compute.url;
        return json(
          202,
          {
            server: {
              id: s.id,
              links: [
                { rel: 'self', href: `${base}/v2.1/servers/${s.id}` },
                { rel: 'bookmark', href: `${base}/servers/${s.id}` },
              ],
              'OS-DCF:diskConfig': 'MANUAL',
              adminPass: randomBytes(9).toString('base64url'),
              security_groups: groupRefs.map((name) => ({ name })),
            },
          },
          { location: `${base}/v2.1/servers/${s.id}` },
        );
      },
    },
    {
      method: 'GET',
      path: /^\/v2\.1\/servers(\/detail)?$/,
      op: 'servers.list',
      handle: (_r, m, url, who) => {
        const name = url.searchParams.get('name');
        let re: RegExp | undefined;
        try {
          re = name === null ? undefined : new RegExp(name);
        } catch {
          throw new NovaError(400, `Invalid regular expression ${name}`);
        }
        const list = [...servers.values()].filter((s) => s.projectId === who.projectId && s.status !== 'DELETED' && (!re || re.test(s.name)));
        const base = fake.compute.url;
        return json(200, { servers: list.map((s) => (m[1] ? serverJson(s, base) : { id: s.id, name: s.name, links: serverJson(s, base).links })) });
      },
    },
    {
      method: 'GET',
      path: /^\/v2\.1\/servers\/([^/]+)$/,
      op: 'servers.get',
      handle: (_r, m, _u, who) => {
        const s = findServer(m[1], who);
        if (s.status === 'DELETED') throw new NovaError(404, `Instance ${m[1]} could not be found.`);
        return json(200, { server: serverJson(s, fake.compute.url) });
      },
    },
    {
      method: 'DELETE',
      path: /^\/v2\.1\/servers\/([^/]+)$/,
      op: 'servers.delete',
      handle: (_r, m, _u, who) => {
        const s = findServer(m[1], who);
        if (s.status === 'DELETED') throw new NovaError(404, `Instance ${m[1]} could not be found.`);
        s.taskState = 'deleting';
        touch(s);
        s.wakeBuild?.();
        work(s, async () => {
          await sleep(timings.deleteMs);
          await s.host?.destroy();
          s.status = 'DELETED';
          s.taskState = null;
          if (s.portId) {
            ports.delete(s.portId);
            for (const f of floatingIps.values()) if (f.portId === s.portId) f.portId = null;
          }
          for (const g of serverGroups.values()) g.members = g.members.filter((id) => id !== s.id);
          for (const v of volumes.values()) {
            if (v.attachedTo !== s.id) continue;
            v.attachedTo = undefined;
            if (v.deleteOnTermination) volumes.delete(v.id);
            else v.status = 'available';
          }
          servers.delete(s.id);
        });
        return empty(204);
      },
    },
    {
      method: 'POST',
      path: /^\/v2\.1\/servers\/([^/]+)\/action$/,
      op: 'servers.action',
      handle: (req, m, _u, who) => {
        const s = findServer(m[1], who);
        const doc = JSON.parse(req.body.toString() || '{}') as Record<string, unknown>;
        const [action] = Object.keys(doc);
        const vm = s.status === 'SHUTOFF' ? 'stopped' : s.status === 'ERROR' ? 'error' : s.status === 'BUILD' ? 'building' : 'active';
        const conflict = (what: string) => new NovaError(409, `Cannot '${what}' instance ${s.id} while it is in vm_state ${vm}`);
        if (s.taskState) throw new NovaError(409, `Cannot '${action}' instance ${s.id} while it is in task_state ${s.taskState}`);
        switch (action) {
          case 'os-start':
            if (s.status !== 'SHUTOFF') throw conflict('start');
            s.taskState = 'powering-on';
            work(s, async () => {
              await sleep(timings.actionMs);
              await s.host?.start();
              s.status = 'ACTIVE';
              s.taskState = null;
              touch(s);
            });
            return empty(202);
          case 'os-stop':
            if (s.status !== 'ACTIVE' && s.status !== 'ERROR') throw conflict('stop');
            s.taskState = 'powering-off';
            work(s, async () => {
              await sleep(timings.actionMs);
              await s.host?.stop();
              s.status = 'SHUTOFF';
              s.taskState = null;
              touch(s);
            });
            return empty(202);
          case 'reboot': {
            const type = (doc.reboot as { type?: string } | null)?.type;
            if (type !== 'SOFT' && type !== 'HARD') throw new NovaError(400, `Invalid input for field/attribute type. Value: ${type}. '${type}' is not one of ['HARD', 'Hard', 'SOFT', 'Soft']`);
            if (type === 'SOFT' && s.status !== 'ACTIVE') throw conflict('reboot');
            if (s.status === 'BUILD') throw conflict('reboot');
            s.status = type === 'SOFT' ? 'REBOOT' : 'HARD_REBOOT';
            s.taskState = type === 'SOFT' ? 'rebooting' : 'rebooting_hard';
            work(s, async () => {
              await sleep(timings.actionMs);
              await s.host?.reboot();
              s.status = 'ACTIVE';
              s.taskState = null;
              touch(s);
            });
            return empty(202);
          }
          case 'addFloatingIp': {
            const address = (doc.addFloatingIp as { address?: string } | null)?.address;
            const f = [...floatingIps.values()].find((x) => x.address === address && x.projectId === s.projectId);
            if (!f) throw new NovaError(404, `floating IP not found`);
            if (!s.portId) throw new NovaError(400, `No nw_info cache associated with instance`);
            f.portId = s.portId;
            return empty(202);
          }
          default:
            throw new NovaError(400, `There is no such action: ${action}`);
        }
      },
    },
  ];
  const renderNova = (err: Error) => {
    const e = err instanceof NovaError ? err : new NovaError((err as NeutronError).status ?? 500, err.message);
    return json(e.status, { [e.key]: { code: e.status, message: e.message } }, { 'openstack-api-version': `compute ${NOVA_MAX_MICROVERSION}`, 'x-openstack-nova-api-version': NOVA_MAX_MICROVERSION, vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version' });
  };
  const withMicroversion = (handler: (req: FakeRequest) => Promise<FakeResponse & { label?: string; error?: string }>) => async (req: FakeRequest) => {
    const header = req.headers['x-openstack-nova-api-version'] ?? /^compute\s+(\S+)/i.exec(String(req.headers['openstack-api-version'] ?? ''))?.[1];
    const asked = typeof header === 'string' ? header.trim() : undefined;
    if (asked !== undefined && asked.toLowerCase() !== 'latest') {
      if (!/^[1-9]\d*\.(0|[1-9]\d*)$/.test(asked)) {
        return json(400, { badRequest: { code: 400, message: `API Version String ${asked} is of invalid format. Must be of format MajorNum.MinorNum.` } });
      }
      // This Nova implements 2.1 only, and its version document says so; a real one answers 406 for versions it lacks.
      if (asked !== NOVA_MAX_MICROVERSION) {
        return json(406, { computeFault: { code: 406, message: `Version ${asked} is not supported by the API. Minimum is 2.1 and maximum is ${NOVA_MAX_MICROVERSION}.` } });
      }
    }
    const out = await handler(req);
    out.headers = { 'openstack-api-version': `compute ${NOVA_MAX_MICROVERSION}`, 'x-openstack-nova-api-version': NOVA_MAX_MICROVERSION, vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version', ...out.headers };
    return out;
  };

  // ---- Neutron ----

  const netJson = (n: Network) => ({
    id: n.id,
    name: n.name,
    status: 'ACTIVE',
    admin_state_up: true,
    subnets: [n.subnetId],
    shared: false,
    'router:external': n.external,
    tenant_id: n.projectId,
    project_id: n.projectId,
    mtu: 1450,
    port_security_enabled: true,
  });
  const portJson = (p: Port) => ({
    id: p.id,
    name: '',
    network_id: p.networkId,
    device_id: p.deviceId,
    device_owner: 'compute:nova',
    mac_address: p.mac,
    fixed_ips: [{ subnet_id: networks.get(p.networkId)?.subnetId, ip_address: p.fixedIp }],
    security_groups: p.securityGroups,
    status: 'ACTIVE',
    admin_state_up: true,
    tenant_id: p.projectId,
    project_id: p.projectId,
  });
  const fipJson = (f: FloatingIp) => {
    const port = f.portId ? ports.get(f.portId) : undefined;
    return {
      id: f.id,
      floating_network_id: f.networkId,
      floating_ip_address: floatingAddress(f),
      port_id: f.portId,
      fixed_ip_address: port?.fixedIp ?? null,
      router_id: null,
      status: f.portId ? 'ACTIVE' : 'DOWN',
      tenant_id: f.projectId,
      project_id: f.projectId,
      description: '',
    };
  };
  const ruleJson = (g: SecurityGroup, r: SecurityGroupRule) => ({
    id: r.id,
    security_group_id: g.id,
    direction: r.direction,
    ethertype: r.ethertype,
    protocol: r.protocol,
    port_range_min: r.portMin,
    port_range_max: r.portMax,
    remote_ip_prefix: r.remote,
    remote_group_id: null,
    tenant_id: g.projectId,
    project_id: g.projectId,
  });
  const sgJson = (g: SecurityGroup) => ({ id: g.id, name: g.name, description: g.description, tenant_id: g.projectId, project_id: g.projectId, security_group_rules: g.rules.map((r) => ruleJson(g, r)) });
  const visibleNetworks = (who: TokenInfo) => [...networks.values()].filter((n) => n.projectId === who.projectId || n.external);
  const filtered = <T>(items: T[], url: URL, fields: Record<string, (item: T) => unknown>) =>
    items.filter((item) =>
      [...url.searchParams].every(([k, v]) => {
        const get = fields[k];
        if (!get) return true;
        const value = get(item);
        return value === null ? v === '' || v === 'null' : String(value) === v;
      }),
    );
  const findFip = (id: string, who: TokenInfo) => {
    const f = floatingIps.get(id);
    if (!f || f.projectId !== who.projectId) throw new NeutronError(404, 'FloatingIPNotFound', `Floating IP ${id} could not be found`);
    return f;
  };
  const findSg = (id: string, who: TokenInfo) => {
    const g = securityGroups.get(id);
    if (!g || g.projectId !== who.projectId) throw new NeutronError(404, 'SecurityGroupNotFound', `Security group ${id} does not exist`);
    return g;
  };

  const neutronRoutes: RouteDef[] = [
    {
      method: 'GET',
      path: /^\/v2\.0\/networks$/,
      op: 'networks.list',
      handle: (_r, _m, url, who) =>
        json(200, page(filtered(visibleNetworks(who), url, { name: (n) => n.name, id: (n) => n.id, 'router:external': (n) => n.external }).map(netJson), url, fake.network.url, 'networks')),
    },
    {
      method: 'GET',
      path: /^\/v2\.0\/networks\/([^/]+)$/,
      op: 'networks.get',
      handle: (_r, m, _u, who) => {
        const n = visibleNetworks(who).find((x) => x.id === m[1]);
        if (!n) throw new NeutronError(404, 'NetworkNotFound', `Network ${m[1]} could not be found.`);
        return json(200, { network: netJson(n) });
      },
    },
    {
      method: 'GET',
      path: /^\/v2\.0\/ports$/,
      op: 'ports.list',
      handle: (_r, _m, url, who) =>
        json(200, { ports: filtered([...ports.values()].filter((p) => p.projectId === who.projectId), url, { device_id: (p) => p.deviceId, network_id: (p) => p.networkId, id: (p) => p.id }).map(portJson) }),
    },
    {
      method: 'GET',
      path: /^\/v2\.0\/floatingips$/,
      op: 'floatingips.list',
      handle: (_r, _m, url, who) =>
        json(200, {
          floatingips: filtered([...floatingIps.values()].filter((f) => f.projectId === who.projectId), url, { floating_network_id: (f) => f.networkId, port_id: (f) => f.portId, id: (f) => f.id }).map(fipJson),
        }),
    },
    {
      method: 'POST',
      path: /^\/v2\.0\/floatingips$/,
      op: 'floatingips.create',
      handle: (req, _m, _u, who) => {
        const b = body<{ floating_network_id?: string; port_id?: string }>(req, 'floatingip', neutronBad);
        const net = b.floating_network_id ? networks.get(b.floating_network_id) : undefined;
        if (!net) throw new NeutronError(404, 'NetworkNotFound', `Network ${b.floating_network_id} could not be found.`);
        if (!net.external) throw new NeutronError(400, 'BadRequest', `Bad floatingip request: Network ${net.id} is not a valid external network.`);
        if (b.port_id) {
          const port = ports.get(b.port_id);
          if (!port || port.projectId !== who.projectId) throw new NeutronError(404, 'PortNotFound', `Port ${b.port_id} could not be found.`);
        }
        const used = [...floatingIps.values()].filter((f) => f.networkId === net.id).length;
        if (used >= net.capacity) throw new NeutronError(409, 'IpAddressGenerationFailure', `No more IP addresses available on network ${net.id}.`);
        const f: FloatingIp = { id: randomUUID(), networkId: net.id, projectId: who.projectId, address: `203.0.113.${nextFloating++ % 250}`, portId: b.port_id ?? null };
        floatingIps.set(f.id, f);
        return json(201, { floatingip: fipJson(f) });
      },
    },
    {
      method: 'GET',
      path: /^\/v2\.0\/floatingips\/([^/]+)$/,
      op: 'floatingips.get',
      handle: (_r, m, _u, who) => json(200, { floatingip: fipJson(findFip(m[1], who)) }),
    },
    {
      method: 'PUT',
      path: /^\/v2\.0\/floatingips\/([^/]+)$/,
      op: 'floatingips.update',
      handle: (req, m, _u, who) => {
        const f = findFip(m[1], who);
        const b = body<{ port_id?: string | null }>(req, 'floatingip', neutronBad);
        if (b.port_id) {
          const port = ports.get(b.port_id);
          if (!port || port.projectId !== who.projectId) throw new NeutronError(404, 'PortNotFound', `Port ${b.port_id} could not be found.`);
        }
        f.portId = b.port_id ?? null;
        return json(200, { floatingip: fipJson(f) });
      },
    },
    {
      method: 'DELETE',
      path: /^\/v2\.0\/floatingips\/([^/]+)$/,
      op: 'floatingips.delete',
      handle: (_r, m, _u, who) => {
        findFip(m[1], who);
        floatingIps.delete(m[1]);
        return empty(204);
      },
    },
    {
      method: 'GET',
      path: /^\/v2\.0\/security-groups$/,
      op: 'security-groups.list',
      handle: (_r, _m, url, who) => {
        defaultGroup(who.projectId);
        return json(200, { security_groups: filtered([...securityGroups.values()].filter((g) => g.projectId === who.projectId), url, { name: (g) => g.name, id: (g) => g.id }).map(sgJson) });
      },
    },
    {
      method: 'POST',
      path: /^\/v2\.0\/security-groups$/,
      op: 'security-groups.create',
      handle: (req, _m, _u, who) => {
        const b = body<{ name?: string; description?: string }>(req, 'security_group', neutronBad);
        if (b.name === 'default') throw new NeutronError(409, 'SecurityGroupDefaultAlreadyExists', 'Default security group already exists.');
        const g: SecurityGroup = { id: randomUUID(), name: b.name ?? '', description: b.description ?? '', projectId: who.projectId, rules: [] };
        for (const ethertype of ['IPv4', 'IPv6']) g.rules.push({ id: randomUUID(), direction: 'egress', ethertype, protocol: null, portMin: null, portMax: null, remote: null });
        securityGroups.set(g.id, g);
        return json(201, { security_group: sgJson(g) });
      },
    },
    {
      method: 'GET',
      path: /^\/v2\.0\/security-groups\/([^/]+)$/,
      op: 'security-groups.get',
      handle: (_r, m, _u, who) => json(200, { security_group: sgJson(findSg(m[1], who)) }),
    },
    {
      method: 'DELETE',
      path: /^\/v2\.0\/security-groups\/([^/]+)$/,
      op: 'security-groups.delete',
      handle: (_r, m, _u, who) => {
        const g = findSg(m[1], who);
        if (g.name === 'default') throw new NeutronError(409, 'SecurityGroupCannotRemoveDefault', 'Insufficient rights for removing default security group.');
        if ([...ports.values()].some((p) => p.securityGroups.includes(g.id))) throw new NeutronError(409, 'SecurityGroupInUse', `Security Group ${g.id} in use.`);
        securityGroups.delete(g.id);
        return empty(204);
      },
    },
    {
      method: 'POST',
      path: /^\/v2\.0\/security-group-rules$/,
      op: 'security-group-rules.create',
      handle: (req, _m, _u, who) => {
        const b = body<{ security_group_id?: string; direction?: string; ethertype?: string; protocol?: string; port_range_min?: number; port_range_max?: number; remote_ip_prefix?: string }>(
          req,
          'security_group_rule',
          neutronBad,
        );
        const g = findSg(b.security_group_id ?? '', who);
        if (b.direction !== 'ingress' && b.direction !== 'egress') throw new NeutronError(400, 'InvalidInput', `Invalid input for direction. Reason: '${b.direction}' is not in ['ingress', 'egress'].`);
        const rule: SecurityGroupRule = {
          id: randomUUID(),
          direction: b.direction,
          ethertype: b.ethertype ?? 'IPv4',
          protocol: b.protocol ?? null,
          portMin: b.port_range_min ?? null,
          portMax: b.port_range_max ?? null,
          remote: b.remote_ip_prefix ?? null,
        };
        const same = g.rules.find((r) => JSON.stringify({ ...r, id: '' }) === JSON.stringify({ ...rule, id: '' }));
        if (same) throw new NeutronError(409, 'SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${same.id}.`);
        g.rules.push(rule);
        return json(201, { security_group_rule: ruleJson(g, rule) });
      },
    },
    {
      method: 'DELETE',
      path: /^\/v2\.0\/security-group-rules\/([^/]+)$/,
      op: 'security-group-rules.delete',
      handle: (_r, m, _u, who) => {
        for (const g of securityGroups.values()) {
          if (g.projectId !== who.projectId) continue;
          const at = g.rules.findIndex((r) => r.id === m[1]);
          if (at >= 0) {
            g.rules.splice(at, 1);
            return empty(204);
          }
        }
        throw new NeutronError(404, 'SecurityGroupRuleNotFound', `Security group rule ${m[1]} does not exist`);
      },
    },
  ];
  const renderNeutron = (err: Error) => {
    const e = err instanceof NeutronError ? err : new NeutronError((err as NovaError).status ?? 500, 'HTTPError', err.message);
    return json(e.status, { NeutronError: { type: e.type, message: e.message, detail: '' } });
  };

  // ---- Glance ----

  const glanceImageJson = (i: Image) => ({
    id: i.id,
    name: i.name,
    status: i.status ?? 'active',
    visibility: 'public',
    protected: false,
    disk_format: 'qcow2',
    container_format: 'bare',
    size: 21430272,
    min_disk: 0,
    min_ram: 0,
    tags: [],
    os_hidden: false,
    created_at: iso(0),
    updated_at: iso(0),
    self: `/v2/images/${i.id}`,
    file: `/v2/images/${i.id}/file`,
    schema: '/v2/schemas/image',
  });
  const glanceRoutes: RouteDef[] = [
    {
      method: 'GET',
      path: /^\/v2\/images$/,
      op: 'images.list',
      handle: (_r, _m, url) => {
        const name = url.searchParams.get('name');
        const list = images.filter((i) => name === null || i.name === name);
        const limit = Math.min(Number(url.searchParams.get('limit') ?? fake.pageSize) || fake.pageSize, fake.pageSize);
        const marker = url.searchParams.get('marker');
        const start = marker ? list.findIndex((i) => i.id === marker) + 1 : 0;
        if (marker && start === 0) throw new GlanceError(400, `Invalid marker. Image ${marker} could not be found.`);
        const slice = list.slice(start, start + limit);
        const out: Record<string, unknown> = { images: slice.map(glanceImageJson), first: `/v2/images${url.search}`, schema: '/v2/schemas/images' };
        if (start + limit < list.length) {
          const next = new URLSearchParams(url.searchParams);
          next.set('marker', slice[slice.length - 1].id);
          next.set('limit', String(limit));
          out.next = `/v2/images?${next.toString()}`;
        }
        return json(200, out);
      },
    },
    {
      method: 'GET',
      path: /^\/v2\/images\/([^/]+)$/,
      op: 'images.get',
      handle: (_r, m) => {
        const i = images.find((x) => x.id === m[1]);
        if (!i) throw new GlanceError(404, `No image found with ID ${m[1]}`);
        return json(200, glanceImageJson(i));
      },
    },
  ];
  // ---- Cinder (block storage v3): volumes, enough to boot from one ----

  const volumeJson = (v: Volume) => ({
    id: v.id,
    name: v.name,
    size: v.size,
    status: v.status,
    volume_type: v.volumeType ?? '__DEFAULT__',
    bootable: v.imageId ? 'true' : 'false',
    attachments: v.attachedTo ? [{ server_id: v.attachedTo, volume_id: v.id, attachment_id: v.id }] : [],
    'os-vol-tenant-attr:tenant_id': v.projectId,
    volume_image_metadata: v.imageId ? { image_id: v.imageId } : undefined,
  });
  const findVolume = (id: string, who: TokenInfo): Volume => {
    const v = volumes.get(id);
    if (!v || v.projectId !== who.projectId) throw new NovaError(404, `Volume ${id} could not be found.`);
    return v;
  };
  const cinderRoutes: RouteDef[] = [
    {
      method: 'POST',
      path: /^\/v3\/[^/]+\/volumes$/,
      op: 'volumes.create',
      handle: (req, _m, _u, who) => {
        const b = body<{ name?: string; size?: number; imageRef?: string; volume_type?: string }>(req, 'volume', (msg) => new NovaError(400, msg));
        if (!Number.isInteger(b.size) || (b.size ?? 0) < 1) throw new NovaError(400, `Invalid input for field/attribute size. Value: ${String(b.size)}. None is not of type 'integer'`);
        if (b.imageRef && !images.some((i) => i.id === b.imageRef)) throw new NovaError(400, 'Invalid image identifier or unable to access requested image.');
        if (b.volume_type && !['ssd', 'hdd', '__DEFAULT__'].includes(b.volume_type)) throw new NovaError(404, `Volume type with name ${b.volume_type} could not be found.`);
        const v: Volume = { id: randomUUID(), name: b.name ?? '', projectId: who.projectId, size: b.size!, status: 'creating', imageId: b.imageRef, volumeType: b.volume_type };
        volumes.set(v.id, v);
        // Copying the image takes a while, as it does in Cinder.
        setTimeout(() => {
          if (v.status === 'creating') v.status = 'available';
        }, timings.buildMs).unref();
        return json(202, { volume: volumeJson(v) });
      },
    },
    {
      method: 'GET',
      path: /^\/v3\/[^/]+\/volumes(\/detail)?$/,
      op: 'volumes.list',
      handle: (_r, _m, url, who) => {
        const name = url.searchParams.get('name');
        return json(200, { volumes: [...volumes.values()].filter((v) => v.projectId === who.projectId && (name === null || v.name === name)).map(volumeJson) });
      },
    },
    {
      method: 'GET',
      path: /^\/v3\/[^/]+\/volumes\/([^/]+)$/,
      op: 'volumes.get',
      handle: (_r, m, _u, who) => json(200, { volume: volumeJson(findVolume(m[1], who)) }),
    },
    {
      method: 'DELETE',
      path: /^\/v3\/[^/]+\/volumes\/([^/]+)$/,
      op: 'volumes.delete',
      handle: (_r, m, _u, who) => {
        const v = findVolume(m[1], who);
        if (v.attachedTo || !['available', 'error'].includes(v.status)) {
          throw new NovaError(400, 'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots or be disassociated from snapshots after volume transfer.');
        }
        volumes.delete(v.id);
        return empty(202);
      },
    },
  ];
  const renderCinder = (err: Error) => {
    const e = err instanceof NovaError ? err : new NovaError((err as NeutronError).status ?? 500, err.message);
    return json(e.status, { [e.key]: { code: e.status, message: e.message } });
  };

  // Glance answers errors as text from webob.
  const renderGlance = (err: Error) => {
    const status = (err as GlanceError).status ?? 500;
    const title = ({ 400: 'Bad Request', 404: 'Not Found', 503: 'Service Unavailable' } as Record<number, string>)[status] ?? 'Error';
    return { status, headers: { 'content-type': 'text/plain; charset=UTF-8' }, body: `${status} ${title}\n\n${err.message}\n\n   ` };
  };

  const renderFault = (render: (e: Error) => FakeResponse, make: (f: Fault) => Error) => (f: Fault) => render(make(f));
  const compute = await startHttpFake(
    withMicroversion(service('compute', novaRoutes, renderNova, renderFault(renderNova, (f) => new NovaError(f.status, f.message)))),
  );
  const network = await startHttpFake(service('network', neutronRoutes, renderNeutron, renderFault(renderNeutron, (f) => new NeutronError(f.status, f.code, f.message))));
  const image = await startHttpFake(service('image', glanceRoutes, renderGlance, renderFault(renderGlance, (f) => new GlanceError(f.status, f.message))));
  const volume = await startHttpFake(service('volumev3', cinderRoutes, renderCinder, renderFault(renderCinder, (f) => new NovaError(f.status, f.message))));
  const unregister = await registerRegion(ks, region, [
    { type: 'compute', name: 'nova', url: `${compute.url}/v2.1` },
    { type: 'network', name: 'neutron', url: network.url },
    { type: 'image', name: 'glance', url: image.url },
    // Keystone puts the token's project into the URL, as Cinder's v3 endpoints have it.
    ...(options.blockStorage === false ? [] : [{ type: 'volumev3', name: 'cinderv3', url: `${volume.url}/v3/$(project_id)s` }]),
  ]);

  const fake: FakeOpenStack = {
    keystone: ks,
    authUrl: ks.url,
    region,
    compute,
    network,
    image,
    faults,
    timings,
    pageSize: options.pageSize ?? 1000,
    flavors,
    images,
    networks,
    ports,
    floatingIps,
    securityGroups,
    keyPairs,
    servers,
    serverGroups,
    volumes,
    volume,
    requests: () => [...compute.requests, ...network.requests, ...image.requests, ...volume.requests].sort((a, b) => a.at - b.at),
    failNextBuild: (message) => buildFaults.push(message),
    expireTokenOn: (operation) => expireOn.push(operation),
    addNetwork,
    settle: async () => {
      await Promise.all([...servers.values()].map((s) => s.busy));
    },
    close: async () => {
      closed = true;
      await unregister().catch(() => undefined);
      await Promise.all([...servers.values()].map((s) => s.busy));
      await Promise.all([...servers.values()].map((s) => s.host?.destroy().catch(() => undefined)));
      await Promise.all([compute.close(), network.close(), image.close(), volume.close()]);
    },
  };
  return fake;
}

class GlanceError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A fault with a service's status: 503 by default. */
export function openstackFault(status = 503, message = 'The server is currently unavailable. Please try again at a later time.'): Fault {
  return { status, code: status === 503 ? 'ServiceUnavailable' : `HTTP${status}`, message };
}
