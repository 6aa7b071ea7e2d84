// The OpenStack client: Keystone v3 (version discovery on the auth URL,
// password or application-credential tokens from X-Subject-Token, the
// service catalog), and JSON requests to the catalog's endpoints with
// re-authentication when the token expires or is refused, retries on 503,
// and pagination. Written on Node's fetch: the npm OpenStack clients are
// unmaintained or pull in large, deprecated dependency trees.
import * as fs from 'node:fs';
import { DriverError, type DriverLogger } from '@machine/driver-sdk';
import { abortableSleep, backoffDelay, fetchFailureReason, isRetriableStatus, retryDelay } from '@machine/driver-sdk/http-retry';
import { catalogInterface, type OpenStackState } from './flags';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../package.json') as { version: string }).version;
const USER_AGENT = `machine-driver-openstack/${VERSION}`;

export type Service = 'compute' | 'network' | 'image' | 'identity' | 'volumev3';

/** Catalog types a service goes by: Cinder's v3 API is 'volumev3' in older catalogs and 'block-storage' in newer ones. */
const CATALOG_TYPES: Record<Service, string[]> = {
  compute: ['compute', 'compute_legacy'],
  network: ['network'],
  image: ['image'],
  identity: ['identity'],
  volumev3: ['volumev3', 'block-storage'],
};

/** An error answer from an OpenStack API, with its status and error type. */
export class OpenStackError extends Error {
  constructor(
    readonly status: number,
    /** Nova's error key (itemNotFound), Neutron's type (NetworkNotFound) or Keystone's title. */
    readonly type: string,
    message: string,
    readonly service: string,
    readonly request: string,
  ) {
    super(message);
    this.name = 'OpenStackError';
  }
}

export interface CatalogEndpoint {
  id?: string;
  interface: string;
  region?: string | null;
  region_id?: string | null;
  url: string;
}
export interface CatalogEntry {
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export interface Session {
  token: string;
  expiresAt: number;
  catalog: CatalogEntry[];
  projectId?: string;
  userId?: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Headers besides the token and content type (microversions). */
  headers?: Record<string, string>;
  /** Statuses that are not errors besides 2xx (404 when probing). */
  accept?: number[];
}

export interface Response<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** Nova's microversion: 2.1 behaviour, asked for explicitly. */
export const NOVA_MICROVERSION = '2.1';

/** Delay between retries and polls. MACHINE_OPENSTACK_POLL_SECONDS shortens it for local endpoints. */
export function pollMs(fallbackSeconds: number): number {
  const poll = Number(process.env.MACHINE_OPENSTACK_POLL_SECONDS);
  return (Number.isFinite(poll) && poll > 0 ? poll : fallbackSeconds) * 1000;
}

/** Waits `ms`; an abort is the driver's cancellation. */
const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  abortableSleep(ms, signal).catch((e: unknown) => {
    throw signal?.aborted ? new DriverError('cancelled', 'cancelled') : e;
  });
export { sleep };

/** Retries of a request that got no answer or a "not now" one. */
const RETRIES = 4;

function backoff() {
  return { baseMs: pollMs(0.5), maxMs: 8000, maxWaitMs: 60_000 };
}

/** Turns an error body of any OpenStack service into its type and message. */
export function parseErrorBody(status: number, text: string): { type: string; message: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // Glance and proxies answer with text or HTML.
    const plain = text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
    return { type: `HTTP ${status}`, message: plain || `HTTP ${status}` };
  }
  if (typeof doc === 'object' && doc !== null) {
    const o = doc as Record<string, unknown>;
    const inner = (v: unknown) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined);
    const keystone = inner(o.error);
    if (keystone && typeof keystone.message === 'string') return { type: String(keystone.title ?? `HTTP ${status}`), message: keystone.message };
    const neutron = inner(o.NeutronError);
    if (neutron) return { type: String(neutron.type ?? 'NeutronError'), message: String(neutron.message ?? '') };
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const nova = inner(o[keys[0]]);
      if (nova && typeof nova.message === 'string') return { type: keys[0], message: nova.message };
    }
    if (typeof o.message === 'string') return { type: String(o.title ?? o.type ?? `HTTP ${status}`), message: o.message };
  }
  return { type: `HTTP ${status}`, message: text.slice(0, 300) };
}

interface Discovered {
  /** The v3 base URL, without a trailing slash. */
  v3: string;
}

interface VersionDoc {
  id?: string;
  status?: string;
  links?: { rel?: string; href?: string }[];
}

const selfLink = (v: VersionDoc) => v.links?.find((l) => l.rel === 'self')?.href;

/** Picks v3 from a version document (GET / → 300 with versions.values, GET /v3 → 200 with version). */
export function pickV3(doc: unknown, fetchedUrl: string): Discovered | 'v2-only' | undefined {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const d = doc as { version?: VersionDoc; versions?: { values?: VersionDoc[] } | VersionDoc[] };
  const list: VersionDoc[] = d.version ? [d.version] : Array.isArray(d.versions) ? d.versions : d.versions?.values ?? [];
  const v3 = list.find((v) => /^v3(\.|$)/.test(v.id ?? '') && !/deprecated/i.test(v.status ?? ''));
  if (v3) {
    const href = selfLink(v3) ?? fetchedUrl;
    return { v3: href.replace(/\/+$/, '') };
  }
  if (list.some((v) => /^v2/.test(v.id ?? ''))) return 'v2-only';
  return undefined;
}

// Discovery and tokens live for the life of the driver process: `ls` over
// many machines of one cloud authenticates once.
const discovered = new Map<string, Discovered>();
const sessions = new Map<string, Promise<Session>>();

export class OpenStackClient {
  private session?: Session;
  private dispatcher?: unknown;

  constructor(
    private readonly state: OpenStackState,
    private readonly signal?: AbortSignal,
    private readonly log?: DriverLogger,
  ) {
    if (state.Insecure || state.CaCert) this.dispatcher = tlsDispatcher(state);
  }

  /** The v3 identity URL, found by version discovery on the auth URL. */
  async identityURL(): Promise<string> {
    const authUrl = this.state.AuthUrl!.replace(/\/+$/, '');
    const hit = discovered.get(authUrl);
    if (hit) return hit.v3;
    const attempts = /\/v3$/.test(authUrl) ? [authUrl] : [authUrl, `${authUrl}/v3`];
    let v2Only = false;
    for (const url of attempts) {
      let res: globalThis.Response;
      try {
        res = await this.fetch(url, { method: 'GET', headers: { Accept: 'application/json', 'User-Agent': USER_AGENT } });
      } catch (err) {
        throw this.unreachable(err, url);
      }
      const text = await res.text();
      if (res.status !== 200 && res.status !== 300) continue;
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch {
        continue;
      }
      const found = pickV3(doc, url);
      if (found === 'v2-only') {
        v2Only = true;
        continue;
      }
      if (found) {
        discovered.set(authUrl, found);
        return found.v3;
      }
    }
    if (v2Only) {
      throw new DriverError('failed-precondition', `the identity service at ${this.state.AuthUrl} only offers Keystone v2.0, which was removed from Keystone in 2018; this driver speaks Keystone v3: point --openstack-auth-url at a v3 endpoint`, { flag: 'openstack-auth-url' });
    }
    throw new DriverError('invalid-argument', `no Keystone v3 identity service answers at ${this.state.AuthUrl}: check --openstack-auth-url`, { flag: 'openstack-auth-url' });
  }

  private sessionKey(): string {
    const s = this.state;
    return JSON.stringify([s.AuthUrl, s.UserID, s.Username, s.Password, s.UserDomainID, s.UserDomainName, s.DomainID, s.DomainName, s.TenantId, s.TenantName, s.TenantDomainID, s.TenantDomainName, s.ApplicationCredentialID, s.ApplicationCredentialName, s.ApplicationCredentialSecret]);
  }

  /** The Keystone v3 auth request for the state's credentials. */
  authBody(): unknown {
    const s = this.state;
    const domain = (id?: string, name?: string) => (id ? { id } : name ? { name } : s.DomainID ? { id: s.DomainID } : s.DomainName ? { name: s.DomainName } : { id: 'default' });
    const user = s.UserID ? { id: s.UserID } : { name: s.Username, domain: domain(s.UserDomainID, s.UserDomainName) };
    if (s.ApplicationCredentialID || s.ApplicationCredentialName) {
      const credential = s.ApplicationCredentialID
        ? { id: s.ApplicationCredentialID, secret: s.ApplicationCredentialSecret }
        : { name: s.ApplicationCredentialName, secret: s.ApplicationCredentialSecret, user };
      // An application credential carries its own project scope.
      return { auth: { identity: { methods: ['application_credential'], application_credential: credential } } };
    }
    const project = s.TenantId ? { id: s.TenantId } : { name: s.TenantName, domain: domain(s.TenantDomainID, s.TenantDomainName) };
    return { auth: { identity: { methods: ['password'], password: { user: { ...user, password: s.Password } } }, scope: { project } } };
  }

  /** A valid token and catalog; a new one when `renew` or when it is about to expire. */
  async authenticate(renew = false): Promise<Session> {
    const key = this.sessionKey();
    const cached = sessions.get(key);
    if (cached && !renew) {
      const s = await cached.catch(() => undefined);
      if (s && s.expiresAt - Date.now() > 60_000) return (this.session = s);
    }
    const pending = this.issueToken();
    sessions.set(key, pending);
    pending.catch(() => sessions.delete(key));
    return (this.session = await pending);
  }

  private async issueToken(): Promise<Session> {
    const base = await this.identityURL();
    const url = `${base}/auth/tokens`;
    let res: globalThis.Response;
    try {
      res = await this.fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'User-Agent': USER_AGENT },
        body: JSON.stringify(this.authBody()),
      });
    } catch (err) {
      throw this.unreachable(err, url);
    }
    const text = await res.text();
    this.log?.debug('Keystone token request', { status: res.status });
    if (res.status === 401 || res.status === 403) {
      const { message } = parseErrorBody(res.status, text);
      const appCred = this.state.ApplicationCredentialID || this.state.ApplicationCredentialName;
      throw new DriverError(
        'unauthenticated',
        appCred
          ? 'Keystone refused the application credential: check --openstack-application-credential-id/-name and --openstack-application-credential-secret'
          : 'Keystone refused the credentials: check --openstack-username, --openstack-password, the project (--openstack-tenant-name / --openstack-tenant-id) and the domains',
        { flag: appCred ? 'openstack-application-credential-secret' : 'openstack-password', detail: `HTTP ${res.status}: ${message}` },
      );
    }
    if (res.status !== 201 && res.status !== 200) {
      const { type, message } = parseErrorBody(res.status, text);
      throw new OpenStackError(res.status, type, message, 'identity', 'POST /auth/tokens');
    }
    const token = res.headers.get('x-subject-token');
    if (!token) throw new DriverError('internal', `Keystone at ${base} issued no X-Subject-Token header`);
    const body = JSON.parse(text) as { token?: { expires_at?: string; catalog?: CatalogEntry[]; project?: { id?: string }; user?: { id?: string } } };
    const expires = Date.parse(body.token?.expires_at ?? '');
    return {
      token,
      expiresAt: Number.isFinite(expires) ? expires : Date.now() + 3_600_000,
      catalog: body.token?.catalog ?? [],
      projectId: body.token?.project?.id,
      userId: body.token?.user?.id,
    };
  }

  /**
   * The endpoint URL of a service, by region and interface, without a
   * trailing slash. A token's catalog is as old as the token: when the
   * service is missing, a new token brings the current catalog.
   */
  async endpoint(service: Service): Promise<string> {
    const session = this.session ?? (await this.authenticate());
    try {
      return endpointFrom(session.catalog, service, this.state);
    } catch (err) {
      if (Date.now() - (this.catalogRefreshedAt ?? 0) < 60_000) throw err;
      this.catalogRefreshedAt = Date.now();
      const fresh = await this.authenticate(true);
      return endpointFrom(fresh.catalog, service, this.state);
    }
  }

  private catalogRefreshedAt?: number;

  /** True when the catalog has the service, for optional ones (Glance). */
  async hasService(service: Service): Promise<boolean> {
    try {
      await this.endpoint(service);
      return true;
    } catch (err) {
      if (err instanceof DriverError && err.code === 'failed-precondition') return false;
      throw err;
    }
  }

  async projectId(): Promise<string | undefined> {
    return (this.session ?? (await this.authenticate())).projectId;
  }

  /**
   * One API request. A refused token (401) is renewed once and the request
   * repeated; 429, 502, 503 and 504 (and a 500 to a request that can be
   * repeated) and dropped connections are retried, waiting as the service
   * asks (Retry-After) or with backoff.
   */
  async request<T>(service: Service, method: string, path: string, options: RequestOptions = {}): Promise<Response<T>> {
    let renewed = false;
    for (let attempt = 0; ; attempt++) {
      const session = this.session && this.session.expiresAt - Date.now() > 60_000 ? this.session : await this.authenticate();
      this.session = session;
      const url = /^https?:\/\//.test(path) ? path : `${await this.endpoint(service)}${path}`;
      const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': USER_AGENT, 'X-Auth-Token': session.token, ...options.headers };
      if (service === 'compute') {
        headers['X-OpenStack-Nova-API-Version'] = NOVA_MICROVERSION;
        headers['OpenStack-API-Version'] = `compute ${NOVA_MICROVERSION}`;
      }
      if (options.body !== undefined) headers['Content-Type'] = 'application/json';
      const started = Date.now();
      let res: globalThis.Response;
      try {
        res = await this.fetch(url, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
      } catch (err) {
        if (this.signal?.aborted) throw new DriverError('cancelled', `cancelled during ${method} ${path}`);
        if (attempt < RETRIES) {
          await sleep(backoffDelay(attempt, backoff()), this.signal);
          continue;
        }
        throw this.unreachable(err, url);
      }
      const text = await res.text();
      this.log?.debug('OpenStack request', { service, method, path, status: res.status, ms: Date.now() - started });
      if (res.status === 401 && !renewed) {
        // The token expired or was revoked: a new one, once.
        renewed = true;
        await this.authenticate(true);
        continue;
      }
      // A POST that failed with 500 may have made what it asked for: it is not repeated.
      if (isRetriableStatus(res.status, method !== 'POST') && attempt < RETRIES) {
        await sleep(retryDelay(res.status, res.headers, attempt, backoff()), this.signal);
        continue;
      }
      if (res.status >= 400 && !options.accept?.includes(res.status)) {
        const { type, message } = parseErrorBody(res.status, text);
        throw new OpenStackError(res.status, type, message, service, `${method} ${path}`);
      }
      let body: unknown = undefined;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      return { status: res.status, body: body as T, headers: res.headers };
    }
  }

  /**
   * Every item of a paged list: Nova's and Neutron's `<key>_links` rel=next,
   * Glance's `next`. `stop` ends the walk early once it finds what it needs.
   */
  async listAll<T>(service: Service, path: string, key: string, stop?: (page: T[]) => boolean): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = path;
    const seen = new Set<string>();
    while (next && !seen.has(next)) {
      seen.add(next);
      const res: Response<Record<string, unknown>> = await this.request<Record<string, unknown>>(service, 'GET', next);
      const page = (res.body?.[key] as T[] | undefined) ?? [];
      items.push(...page);
      if (stop?.(page)) break;
      const links = res.body?.[`${key}_links`] as { rel?: string; href?: string }[] | undefined;
      const href = links?.find((l) => l.rel === 'next')?.href ?? (typeof res.body?.next === 'string' ? (res.body.next as string) : undefined);
      next = href ? await this.absolute(service, href) : undefined;
    }
    return items;
  }

  /** A next link as a full URL: Glance gives a path from the service root. */
  private async absolute(service: Service, href: string): Promise<string> {
    if (/^https?:\/\//.test(href)) return href;
    const base = new URL(await this.endpoint(service));
    return `${base.origin}${href}`;
  }

  private fetch(url: string, init: RequestInit): Promise<globalThis.Response> {
    const signals = [AbortSignal.timeout(60_000)];
    if (this.signal) signals.push(this.signal);
    const withDispatcher = this.dispatcher ? { dispatcher: this.dispatcher } : {};
    return fetch(url, { ...init, ...withDispatcher, signal: AbortSignal.any(signals) } as RequestInit);
  }

  private unreachable(err: unknown, url: string): DriverError {
    if (this.signal?.aborted) return new DriverError('cancelled', 'cancelled');
    const why = fetchFailureReason(err);
    const origin = (() => {
      try {
        return new URL(url).origin;
      } catch {
        return url;
      }
    })();
    if (/CERT|SSL|TLS|SELF_SIGNED/i.test(String(why))) {
      return new DriverError('unavailable', `the TLS certificate of ${origin} is not trusted (${why}): give its CA with --openstack-cacert, or --openstack-insecure`, { flag: 'openstack-cacert' });
    }
    return new DriverError('unavailable', `cannot reach ${origin} (${why}): check --openstack-auth-url and the network`, { flag: 'openstack-auth-url', cause: err });
  }
}

/** The endpoint of a service from the catalog, by region and interface. */
export function endpointFrom(catalog: CatalogEntry[], service: Service, state: Pick<OpenStackState, 'Region' | 'EndpointType'>): string {
  const wanted = catalogInterface(state.EndpointType);
  const entries = catalog.filter((e) => CATALOG_TYPES[service].includes(e.type));
  const candidates = entries.flatMap((e) => e.endpoints).filter((ep) => ep.interface === wanted);
  const inRegion = state.Region ? candidates.filter((ep) => ep.region_id === state.Region || ep.region === state.Region) : candidates;
  const chosen = inRegion[0];
  if (!chosen) {
    const regions = [...new Set(entries.flatMap((e) => e.endpoints).map((ep) => ep.region_id ?? ep.region).filter((r): r is string => !!r))];
    const where = `${wanted} interface${state.Region ? ` in region ${state.Region}` : ''}`;
    throw new DriverError(
      'failed-precondition',
      entries.length === 0
        ? `the service catalog has no ${service} service`
        : `the service catalog has no ${service} endpoint for the ${where}${regions.length ? ` (regions: ${regions.join(', ')})` : ''}: check --openstack-region and --openstack-endpoint-type`,
      { flag: state.Region && candidates.length > 0 ? 'openstack-region' : 'openstack-endpoint-type' },
    );
  }
  return chosen.url.replace(/\/+$/, '');
}

function tlsDispatcher(state: OpenStackState): unknown {
  let ca: string | undefined;
  if (state.CaCert) {
    try {
      ca = fs.readFileSync(state.CaCert, 'utf8');
    } catch (err) {
      throw new DriverError('invalid-argument', `cannot read the CA certificate ${state.CaCert}: ${(err as Error).message}`, { flag: 'openstack-cacert' });
    }
  }
  // Node's fetch takes an undici dispatcher for per-request TLS settings.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Agent } = require('undici') as typeof import('undici');
  return new Agent({ connect: { ca, rejectUnauthorized: !state.Insecure } });
}

/** Forgets tokens and discovery (tests). */
export function resetSessions(): void {
  sessions.clear();
  discovered.clear();
}
