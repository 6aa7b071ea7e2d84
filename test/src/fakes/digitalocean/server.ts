// The local DigitalOcean API v2: the endpoints the driver uses, with the
// real JSON shapes, status codes, error body ({"id","message","request_id"}),
// pagination links, bearer tokens and rate-limit headers. Droplets are
// backed by hosts from a HostProvider (real test hosts in the end-to-end
// tests): created `new`, `active` once the host is up, `off` after a
// shutdown or power_off, which stop the host.
import { createHash } from 'node:crypto';
import { AddressOnlyHosts, type BackingHost, type HostProvider } from '../common/hosts';
import { FaultPlan, delay, type Fault } from '../common/faults';
import { requestId } from '../common/ids';
import { startHttpFake, type FakeRequest, type FakeResponse, type LoggedRequest } from '../common/server';
import { defaultImages, defaultRegions, defaultSizes, type FakeImage, type FakeRegion, type FakeSize } from './catalogue';

export const TOKEN = 'dop_v1_fake0123456789abcdef';

export interface DoTimings {
  /** How long a droplet stays `new` once its host is up. */
  newMs: number;
  /** How long an action stays `in-progress` after its host operation finished. */
  actionMs: number;
  /** Added to every response. */
  latencyMs: number;
}

export const DEFAULT_TIMINGS: DoTimings = { newMs: 200, actionMs: 100, latencyMs: 0 };

export interface FakeKey {
  id: number;
  name: string;
  fingerprint: string;
  public_key: string;
}

export interface FakeAction {
  id: number;
  status: 'in-progress' | 'completed' | 'errored';
  type: string;
  started_at: string;
  completed_at: string | null;
  resource_id: number;
  resource_type: 'droplet';
  region_slug: string;
}

export interface FakeDroplet {
  id: number;
  name: string;
  status: 'new' | 'active' | 'off' | 'archive';
  locked: boolean;
  createdAt: string;
  /** When it first became active (epoch ms), for benchmarks. */
  activeAt?: number;
  region: FakeRegion;
  size: FakeSize;
  image: FakeImage;
  sshKeyIds: number[];
  tags: string[];
  userData?: string;
  backups: boolean;
  ipv6: boolean;
  privateNetworking: boolean;
  monitoring: boolean;
  vpcUuid: string;
  /** Never gets an address (fault switch). */
  noAddress: boolean;
  publicIp?: string;
  privateIp?: string;
  host?: BackingHost;
  hostError?: string;
  deleted: boolean;
  /** Host operations run one after another. */
  chain: Promise<void>;
}

export interface FakeDigitalOceanOptions {
  /** Accepted bearer tokens (default: TOKEN). */
  tokens?: string[];
  hosts?: HostProvider;
  timings?: Partial<DoTimings>;
  /** Requests per window for each token (default 5000 an hour, as DigitalOcean). */
  rateLimit?: { limit: number; windowMs: number };
  /**
   * Which of the droplet's addresses is the host's real one: `public`
   * (default) or `private`, for machines reached over their VPC address;
   * the other gets a documentation address that is never contacted.
   */
  hostNetwork?: 'public' | 'private';
  /** The user that gets the droplet's keys (default root, as on DigitalOcean's images). */
  user?: string;
  /** The most items a page holds, whatever per_page asks (DigitalOcean: 200); small values force pagination. */
  pageSize?: number;
}

export interface FakeDigitalOcean {
  readonly url: string;
  readonly requests: LoggedRequest[];
  readonly faults: FaultPlan;
  readonly timings: DoTimings;
  readonly droplets: Map<number, FakeDroplet>;
  readonly keys: Map<number, FakeKey>;
  readonly actions: Map<number, FakeAction>;
  readonly regions: FakeRegion[];
  readonly sizes: FakeSize[];
  readonly images: FakeImage[];
  /** Fault switches that are not a single failed request. */
  readonly switches: {
    /** Droplets created while set never get an address (they still become active). */
    noAddress: boolean;
    /** The next actions of these types end `errored` without changing the droplet. */
    failActions: Map<string, number>;
    /** The next this many droplet creates make the droplet, then answer 500 as if the server failed afterwards. */
    createThenFail: number;
  };
  /** Answers the next `times` requests (of `operation`, or any) with 429 and a reset `resetSeconds` ahead. */
  throttle(times: number, options?: { operation?: string; resetSeconds?: number }): void;
  /** Answers the next `times` requests (of `operation`, or any) with 500. */
  serverErrors(times: number, operation?: string): void;
  /** Adds a key as a user would in the control panel. */
  addKey(name: string, publicKey: string): FakeKey;
  /** The operation ids (droplets_create, sshKeys_list, ...) called so far, in order. */
  operations(): string[];
  /** Requests of an operation that arrived and are held by `timings.latencyMs`, not yet answered. */
  waiting(operation: string): number;
  /** Waits until every droplet's host operations are done. */
  settle(): Promise<void>;
  /** Stops the server and destroys every host. */
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
  ) {
    super(message);
  }
}

const notFound = () => new ApiError(404, 'not_found', 'The resource you were accessing could not be found.');
const unprocessable = (message: string) => new ApiError(422, 'unprocessable_entity', message);

export function fingerprintOf(publicKey: string): string {
  const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? '', 'base64');
  return createHash('md5').update(blob).digest('hex').replace(/(..)(?!$)/g, '$1:');
}

const KEY_TYPES = /^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp(256|384|521))$/;
const TAG = /^[a-zA-Z0-9_:-]{1,255}$/;
const HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,253}[a-zA-Z0-9])?$/;
const POWER_ACTIONS = new Set(['power_on', 'shutdown', 'power_off', 'reboot', 'power_cycle']);
const ALL_ACTIONS = new Set([...POWER_ACTIONS, 'enable_backups', 'disable_backups', 'restore', 'password_reset', 'resize', 'rebuild', 'rename', 'change_kernel', 'enable_ipv6', 'snapshot']);

export async function startFakeDigitalOcean(options: FakeDigitalOceanOptions = {}): Promise<FakeDigitalOcean> {
  const tokens = new Set(options.tokens ?? [TOKEN]);
  const hosts = options.hosts ?? new AddressOnlyHosts();
  const timings: DoTimings = { ...DEFAULT_TIMINGS, ...options.timings };
  const window = options.rateLimit ?? { limit: 5000, windowMs: 3_600_000 };
  const hostNetwork = options.hostNetwork ?? 'public';
  const user = options.user ?? 'root';
  const regions = defaultRegions();
  const sizes = defaultSizes(regions.filter((r) => r.available).map((r) => r.slug));
  const images = defaultImages(regions.filter((r) => r.available).map((r) => r.slug));
  const faults = new FaultPlan();
  const droplets = new Map<number, FakeDroplet>();
  const keys = new Map<number, FakeKey>();
  const actions = new Map<number, FakeAction>();
  const switches = { noAddress: false, failActions: new Map<string, number>(), createThenFail: 0 };
  const pageSize = options.pageSize ?? 200;
  const budgets = new Map<string, { remaining: number; resetAt: number }>();
  /** Reset times of injected 429s, in the order they were injected. */
  const throttleResets: number[] = [];
  const operationLog: string[] = [];
  const inFlight = new Map<string, number>();
  /** Every droplet ever made, deleted ones too, whose host operations may still run. */
  const everyDroplet: FakeDroplet[] = [];
  let nextDropletId = 3164440;
  let nextKeyId = 512180;
  let nextActionId = 36804630;
  let nextAddress = 10;
  let base = '';
  let closed = false;

  const documentationAddress = () => `203.0.113.${(nextAddress++ % 240) + 10}`;
  const vpcAddress = () => `10.116.0.${(nextAddress++ % 240) + 10}`;

  const enqueue = (d: FakeDroplet, op: () => Promise<void>): Promise<void> => {
    d.chain = d.chain.then(op).catch((err: unknown) => {
      d.hostError = err instanceof Error ? err.message : String(err);
    });
    return d.chain;
  };

  const applyAddresses = (d: FakeDroplet) => {
    if (d.noAddress || !d.host) {
      d.publicIp = undefined;
      d.privateIp = undefined;
      return;
    }
    if (hostNetwork === 'public') {
      d.publicIp = d.host.ip;
      d.privateIp ??= vpcAddress();
    } else {
      d.privateIp = d.host.ip;
      d.publicIp ??= documentationAddress();
    }
  };

  // ---- JSON shapes ----

  const regionJson = (r: FakeRegion) => ({ name: r.name, slug: r.slug, features: r.features, available: r.available, sizes: r.sizes });
  const sizeJson = (s: FakeSize) => ({ ...s });
  const imageJson = (i: FakeImage) => ({ ...i });
  const network = (ip: string, type: 'public' | 'private') => ({
    ip_address: ip,
    netmask: type === 'public' ? '255.255.240.0' : '255.255.240.0',
    gateway: ip.replace(/\.\d+$/, '.1'),
    type,
  });
  const dropletJson = (d: FakeDroplet) => ({
    id: d.id,
    name: d.name,
    memory: d.size.memory,
    vcpus: d.size.vcpus,
    disk: d.size.disk,
    locked: d.locked,
    status: d.status,
    kernel: null,
    created_at: d.createdAt,
    features: [...(d.backups ? ['backups'] : []), ...(d.ipv6 ? ['ipv6'] : []), ...(d.monitoring ? ['monitoring'] : []), 'private_networking'],
    backup_ids: [],
    next_backup_window: d.backups ? { start: d.createdAt, end: d.createdAt } : null,
    snapshot_ids: [],
    image: imageJson(d.image),
    volume_ids: [],
    size: sizeJson(d.size),
    size_slug: d.size.slug,
    networks: {
      v4: [...(d.privateIp ? [network(d.privateIp, 'private')] : []), ...(d.publicIp ? [network(d.publicIp, 'public')] : [])],
      v6: [],
    },
    region: regionJson(d.region),
    tags: d.tags,
    vpc_uuid: d.vpcUuid,
  });
  const actionJson = (a: FakeAction) => ({ ...a, region: regionJson(regions.find((r) => r.slug === a.region_slug)!) });

  // ---- pagination ----

  const paginate = <T>(path: string, query: URLSearchParams, items: T[], key: string, render: (item: T) => unknown) => {
    const perPage = Math.min(pageSize, Math.max(1, Number(query.get('per_page') ?? 20) || 20));
    const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (n: number) => {
      const q = new URLSearchParams(query);
      q.set('page', String(n));
      q.set('per_page', String(perPage));
      return `${base}${path}?${q.toString()}`;
    };
    const pages: Record<string, string> = {};
    if (page > 1) Object.assign(pages, { first: link(1), prev: link(page - 1) });
    if (page < last) Object.assign(pages, { next: link(page + 1), last: link(last) });
    return {
      [key]: items.slice((page - 1) * perPage, page * perPage).map(render),
      links: Object.keys(pages).length ? { pages } : {},
      meta: { total: items.length },
    };
  };

  // ---- droplets and actions ----

  const launch = (d: FakeDroplet) =>
    enqueue(d, async () => {
      if (d.noAddress || d.deleted) {
        if (!d.deleted) d.status = 'active';
        return;
      }
      const authorizedKeys = d.sshKeyIds.map((id) => keys.get(id)?.public_key).filter((k): k is string => !!k);
      d.host = await hosts.launch({ id: String(d.id), user, authorizedKeys, image: d.image.slug ?? String(d.image.id) });
      if (d.deleted) return;
      // Sleeps in steps, so that a deleted droplet (or a closed fake) does not keep its caller waiting.
      for (const until = Date.now() + timings.newMs; !d.deleted && Date.now() < until; ) await delay(Math.min(25, until - Date.now()));
      if (d.deleted) return;
      applyAddresses(d);
      d.status = 'active';
      d.activeAt = Date.now();
    });

  const newAction = (d: FakeDroplet, type: string): FakeAction => {
    const a: FakeAction = {
      id: nextActionId++,
      status: 'in-progress',
      type,
      started_at: new Date().toISOString(),
      completed_at: null,
      resource_id: d.id,
      resource_type: 'droplet',
      region_slug: d.region.slug,
    };
    actions.set(a.id, a);
    return a;
  };

  const finish = (a: FakeAction, status: 'completed' | 'errored') => {
    a.status = status;
    a.completed_at = new Date().toISOString();
  };

  const runAction = (d: FakeDroplet, a: FakeAction) => {
    const failing = switches.failActions.get(a.type) ?? 0;
    if (failing > 0) switches.failActions.set(a.type, failing - 1);
    d.locked = true;
    void enqueue(d, async () => {
      try {
        if (failing > 0) {
          await delay(timings.actionMs);
          finish(a, 'errored');
          return;
        }
        switch (a.type) {
          case 'shutdown':
          case 'power_off':
            if (d.status !== 'off') {
              await d.host?.stop();
              d.status = 'off';
            }
            break;
          case 'power_on':
            if (d.status === 'off') {
              await d.host?.start();
              applyAddresses(d);
              d.status = 'active';
            }
            break;
          case 'reboot':
          case 'power_cycle':
            if (d.status === 'off') await d.host?.start();
            else await d.host?.reboot();
            applyAddresses(d);
            d.status = 'active';
            break;
        }
        await delay(timings.actionMs);
        finish(a, 'completed');
      } catch (err) {
        d.hostError = err instanceof Error ? err.message : String(err);
        finish(a, 'errored');
      } finally {
        d.locked = false;
      }
    });
  };

  const dropletOf = (idText: string): FakeDroplet => {
    const d = /^\d+$/.test(idText) ? droplets.get(Number(idText)) : undefined;
    if (!d || d.deleted) throw notFound();
    return d;
  };

  const keyOf = (ident: string): FakeKey => {
    const key = /^\d+$/.test(ident) ? keys.get(Number(ident)) : [...keys.values()].find((k) => k.fingerprint === ident);
    if (!key) throw notFound();
    return key;
  };

  const addKey = (name: string, publicKey: string): FakeKey => {
    const parts = publicKey.trim().split(/\s+/);
    if (parts.length < 2 || !KEY_TYPES.test(parts[0]) || Buffer.from(parts[1], 'base64').length < 32) {
      throw unprocessable('Key invalid, key should be of the format `type key [comment]`');
    }
    const fingerprint = fingerprintOf(publicKey);
    if ([...keys.values()].some((k) => k.fingerprint === fingerprint)) throw unprocessable('SSH Key is already in use on your account');
    const key: FakeKey = { id: nextKeyId++, name, fingerprint, public_key: publicKey.trim() };
    keys.set(key.id, key);
    return key;
  };

  const createDroplet = (body: Record<string, unknown>): FakeDroplet => {
    const name = body.name;
    if (typeof name !== 'string' || name === '') throw unprocessable('Name is required');
    if (!HOSTNAME.test(name)) throw unprocessable('Name Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)');
    const region = regions.find((r) => r.slug === body.region);
    if (!region || !region.available) throw unprocessable('Region is not available');
    const size = sizes.find((s) => s.slug === body.size);
    if (!size || !region.sizes.includes(size.slug)) throw unprocessable('Size is not available in this region.');
    const image = images.find((i) => i.slug === body.image || i.id === body.image || String(i.id) === body.image);
    if (!image) throw unprocessable('You specified an invalid image for Droplet creation.');
    const sshKeyIds: number[] = [];
    for (const k of Array.isArray(body.ssh_keys) ? body.ssh_keys : []) {
      const key = typeof k === 'number' ? keys.get(k) : [...keys.values()].find((x) => x.fingerprint === k || String(x.id) === k);
      if (!key) throw unprocessable(`${String(k)} are invalid key identifiers for Droplet creation.`);
      sshKeyIds.push(key.id);
    }
    const tags = Array.isArray(body.tags) ? body.tags.map(String) : [];
    for (const t of tags) if (!TAG.test(t)) throw unprocessable(`tag name "${t}" is invalid; only letters, numbers, colons, dashes and underscores are allowed`);
    const userData = typeof body.user_data === 'string' ? body.user_data : undefined;
    if (userData && Buffer.byteLength(userData) > 64 * 1024) throw unprocessable('user_data is too long: the maximum is 64 KiB');
    const vpcUuid = typeof body.vpc_uuid === 'string' ? body.vpc_uuid : `5a4981aa-9653-4bd1-bef5-d6bff5${String(regions.indexOf(region)).padStart(6, '0')}`;
    if (!/^[0-9a-f-]{36}$/i.test(vpcUuid)) throw unprocessable('vpc_uuid is not a valid VPC');
    const d: FakeDroplet = {
      id: nextDropletId++,
      name,
      status: 'new',
      locked: false,
      createdAt: new Date().toISOString(),
      region,
      size,
      image,
      sshKeyIds,
      tags,
      userData,
      backups: body.backups === true,
      ipv6: body.ipv6 === true,
      privateNetworking: body.private_networking === true,
      monitoring: body.monitoring === true,
      vpcUuid,
      noAddress: switches.noAddress,
      deleted: false,
      chain: Promise.resolve(),
    };
    droplets.set(d.id, d);
    everyDroplet.push(d);
    void launch(d);
    return d;
  };

  const deleteDroplet = (d: FakeDroplet) => {
    d.deleted = true;
    droplets.delete(d.id);
    void enqueue(d, async () => {
      await d.host?.destroy();
    });
  };

  // ---- routing ----

  type Handler = (m: RegExpExecArray, query: URLSearchParams, body: Record<string, unknown>) => { status: number; body?: unknown };
  const routes: [string, RegExp, string, Handler][] = [
    ['GET', /^\/v2\/account$/, 'account_get', () => ({
      status: 200,
      body: {
        account: {
          droplet_limit: 25,
          floating_ip_limit: 3,
          volume_limit: 100,
          email: 'sammy@example.com',
          uuid: 'b6fr89dbf6d9156cace5f3c78dc9851d957381ef',
          email_verified: true,
          status: 'active',
          status_message: '',
          team: { uuid: '5df3e3004a17e242b7c20ca6c9fc25b701a47ece', name: 'My Team' },
        },
      },
    })],
    ['GET', /^\/v2\/account\/keys$/, 'sshKeys_list', (_m, q) => ({ status: 200, body: paginate('/v2/account/keys', q, [...keys.values()], 'ssh_keys', (k) => ({ ...k })) })],
    ['POST', /^\/v2\/account\/keys$/, 'sshKeys_create', (_m, _q, b) => {
      if (typeof b.name !== 'string' || b.name === '') throw unprocessable('Name is required');
      if (typeof b.public_key !== 'string') throw unprocessable('Public key is required');
      return { status: 201, body: { ssh_key: { ...addKey(b.name, b.public_key) } } };
    }],
    ['GET', /^\/v2\/account\/keys\/([^/]+)$/, 'sshKeys_get', (m) => ({ status: 200, body: { ssh_key: { ...keyOf(decodeURIComponent(m[1])) } } })],
    ['DELETE', /^\/v2\/account\/keys\/([^/]+)$/, 'sshKeys_delete', (m) => {
      keys.delete(keyOf(decodeURIComponent(m[1])).id);
      return { status: 204 };
    }],
    ['GET', /^\/v2\/regions$/, 'regions_list', (_m, q) => ({ status: 200, body: paginate('/v2/regions', q, regions, 'regions', regionJson) })],
    ['GET', /^\/v2\/sizes$/, 'sizes_list', (_m, q) => ({ status: 200, body: paginate('/v2/sizes', q, sizes, 'sizes', sizeJson) })],
    ['GET', /^\/v2\/images$/, 'images_list', (_m, q) => {
      const type = q.get('type');
      const list = images.filter((i) => !type || (type === 'distribution' ? i.type === 'base' || i.type === 'distribution' : i.type === type));
      return { status: 200, body: paginate('/v2/images', q, list, 'images', imageJson) };
    }],
    ['GET', /^\/v2\/images\/([^/]+)$/, 'images_get', (m) => {
      const ident = decodeURIComponent(m[1]);
      const image = images.find((i) => i.slug === ident || String(i.id) === ident);
      if (!image) throw notFound();
      return { status: 200, body: { image: imageJson(image) } };
    }],
    ['GET', /^\/v2\/droplets$/, 'droplets_list', (_m, q) => {
      const tag = q.get('tag_name');
      const list = [...droplets.values()].filter((d) => !tag || d.tags.includes(tag));
      return { status: 200, body: paginate('/v2/droplets', q, list, 'droplets', dropletJson) };
    }],
    ['POST', /^\/v2\/droplets$/, 'droplets_create', (_m, _q, b) => {
      const d = createDroplet(b);
      if (switches.createThenFail > 0) {
        switches.createThenFail--;
        throw new ApiError(500, 'server_error', 'Server Error');
      }
      const a = newAction(d, 'create');
      void d.chain.then(() => finish(a, d.status === 'active' ? 'completed' : 'errored'));
      return { status: 202, body: { droplet: dropletJson(d), links: { actions: [{ id: a.id, rel: 'create', href: `${base}/v2/actions/${a.id}` }] } } };
    }],
    ['GET', /^\/v2\/droplets\/([^/]+)$/, 'droplets_get', (m) => ({ status: 200, body: { droplet: dropletJson(dropletOf(m[1])) } })],
    ['DELETE', /^\/v2\/droplets\/([^/]+)$/, 'droplets_destroy', (m) => {
      deleteDroplet(dropletOf(m[1]));
      return { status: 204 };
    }],
    ['POST', /^\/v2\/droplets\/([^/]+)\/actions$/, 'dropletActions_post', (m, _q, b) => {
      const d = dropletOf(m[1]);
      const type = b.type;
      if (typeof type !== 'string' || !ALL_ACTIONS.has(type)) throw unprocessable(`${String(type)} is not a valid action type`);
      if (!POWER_ACTIONS.has(type)) throw unprocessable(`the local endpoint does not implement the ${type} action`);
      if (d.status === 'new') throw unprocessable('Droplet is still being created; try again once it is active.');
      if (d.locked) throw unprocessable('Droplet already has a pending event.');
      const a = newAction(d, type);
      runAction(d, a);
      return { status: 201, body: { action: actionJson(a) } };
    }],
    ['GET', /^\/v2\/droplets\/([^/]+)\/actions$/, 'dropletActions_list', (m, q) => {
      const d = dropletOf(m[1]);
      return { status: 200, body: paginate(`/v2/droplets/${d.id}/actions`, q, [...actions.values()].filter((a) => a.resource_id === d.id), 'actions', actionJson) };
    }],
    ['GET', /^\/v2\/actions\/([^/]+)$/, 'actions_get', (m) => {
      const a = /^\d+$/.test(m[1]) ? actions.get(Number(m[1])) : undefined;
      if (!a) throw notFound();
      return { status: 200, body: { action: actionJson(a) } };
    }],
  ];

  const json = (status: number, body: unknown, headers: Record<string, string>): FakeResponse => ({
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  });

  const handler = async (req: FakeRequest): Promise<FakeResponse & { label?: string; error?: string }> => {
    const url = new URL(req.url, 'http://fake');
    const route = routes.find(([method, re]) => method === req.method && re.test(url.pathname));
    const label = route?.[2] ?? `${req.method} ${url.pathname}`;
    if (timings.latencyMs) {
      inFlight.set(label, (inFlight.get(label) ?? 0) + 1);
      try {
        await delay(timings.latencyMs);
      } finally {
        inFlight.set(label, inFlight.get(label)! - 1);
      }
    }
    const reqId = requestId();
    const fail = (status: number, id: string, message: string, headers: Record<string, string> = {}) => ({
      ...json(status, { id, message, request_id: reqId }, { 'x-request-id': reqId, ...headers }),
      label,
      error: id,
    });

    const auth = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''));
    if (!auth || !tokens.has(auth[1])) return fail(401, 'unauthorized', 'Unable to authenticate you');
    const token = auth[1];

    // The budget of this token.
    const now = Date.now();
    let budget = budgets.get(token);
    if (!budget || now >= budget.resetAt) budgets.set(token, (budget = { remaining: window.limit, resetAt: now + window.windowMs }));
    const fault: Fault | undefined = faults.take(label);
    if (fault?.status === 429) {
      const reset = throttleResets.shift() ?? Math.ceil(now / 1000) + 1;
      return fail(429, fault.code, fault.message, { 'ratelimit-limit': String(window.limit), 'ratelimit-remaining': '0', 'ratelimit-reset': String(reset) });
    }
    if (budget.remaining <= 0) {
      return fail(429, 'too_many_requests', 'API Rate limit exceeded.', {
        'ratelimit-limit': String(window.limit),
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(Math.ceil(budget.resetAt / 1000)),
      });
    }
    budget.remaining--;
    const rateHeaders = {
      'ratelimit-limit': String(window.limit),
      'ratelimit-remaining': String(budget.remaining),
      'ratelimit-reset': String(Math.ceil(budget.resetAt / 1000)),
      'x-request-id': reqId,
    };
    if (fault) return fail(fault.status, fault.code, fault.message, rateHeaders);
    if (!route) return fail(404, 'not_found', 'The resource you were accessing could not be found.', rateHeaders);
    operationLog.push(label);

    let body: Record<string, unknown> = {};
    if (req.body.length > 0) {
      if (!/application\/json/.test(String(req.headers['content-type'] ?? ''))) return fail(415, 'unsupported_media_type', 'Content-Type must be application/json', rateHeaders);
      try {
        const parsed: unknown = JSON.parse(req.body.toString('utf8'));
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        body = parsed as Record<string, unknown>;
      } catch {
        return fail(400, 'bad_request', 'The request body is not a JSON object.', rateHeaders);
      }
    }
    try {
      const m = route[1].exec(url.pathname)!;
      const out = route[3](m, url.searchParams, body);
      return { ...json(out.status, out.body, rateHeaders), label };
    } catch (err) {
      if (err instanceof ApiError) return fail(err.status, err.id, err.message, rateHeaders);
      throw err;
    }
  };

  const http = await startHttpFake(handler);
  base = http.url;

  return {
    url: http.url,
    requests: http.requests,
    faults,
    timings,
    droplets,
    keys,
    actions,
    regions,
    sizes,
    images,
    switches,
    throttle(times, opts = {}) {
      for (let i = 0; i < times; i++) throttleResets.push(Math.ceil(Date.now() / 1000) + (opts.resetSeconds ?? 1));
      faults.inject({ status: 429, code: 'too_many_requests', message: 'API Rate limit exceeded.' }, { operation: opts.operation, times });
    },
    serverErrors(times, operation) {
      faults.inject({ status: 500, code: 'server_error', message: 'Server Error' }, { operation, times });
    },
    addKey,
    operations: () => [...operationLog],
    waiting: (operation) => inFlight.get(operation) ?? 0,
    async settle() {
      for (const d of everyDroplet) await d.chain;
    },
    async close() {
      if (closed) return;
      closed = true;
      await http.close();
      droplets.clear();
      await Promise.all(
        everyDroplet.map(async (d) => {
          d.deleted = true;
          await d.chain;
          await d.host?.destroy().catch(() => undefined);
        }),
      );
    },
  };
}
