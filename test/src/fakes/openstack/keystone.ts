// The real Keystone the OpenStack tests authenticate against: Debian's
// keystone package started by test/scripts/keystone.sh (once per machine;
// the script returns at once when Keystone already answers). The local Nova,
// Neutron and Glance register their endpoints in its catalog, each fake in a
// region of its own, and check every token with it.
import { execFile } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

const SCRIPT = path.resolve(__dirname, '../../../scripts/keystone.sh');

/** What keystone.sh sets up. */
export const ADMIN = { username: 'admin', password: process.env.KEYSTONE_ADMIN_PASSWORD ?? 'machine-admin-secret', project: 'admin' };
export const DEMO = { username: 'demo', password: 'demo-secret', project: 'demo', otherProject: 'other', domain: 'Default' };

export interface TokenInfo {
  projectId: string;
  userId: string;
  expiresAt: number;
}

export interface Keystone {
  /** Root URL, e.g. http://127.0.0.1:15357 (version discovery answers here). */
  readonly url: string;
  adminToken(): Promise<string>;
  /** A project-scoped token for a user, as the API returns it: [token, body.token]. */
  issueToken(user: string, password: string, project: string): Promise<{ token: string; body: Record<string, unknown> }>;
  /** Checks a token as keystonemiddleware does: undefined when invalid, expired or revoked. */
  validate(token: string): Promise<TokenInfo | undefined>;
  /** Revokes a token (DELETE /v3/auth/tokens). */
  revoke(token: string): Promise<void>;
  /** Admin API call; throws on an unexpected status. */
  admin<T>(method: string, apiPath: string, body?: unknown, expect?: number[]): Promise<T>;
  /** Ids of a project and user by name. */
  projectId(name: string): Promise<string>;
  userId(name: string): Promise<string>;
}

let started: Promise<Keystone> | undefined;

/** Starts (or finds) the real Keystone; the same instance for the whole test process. */
export function keystone(): Promise<Keystone> {
  started ??= start();
  return started;
}

function runScript(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [SCRIPT], { timeout: 900_000, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`test/scripts/keystone.sh failed: ${err.message}\n${stderr}`));
      const url = stdout.trim().split('\n').pop() ?? '';
      if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) return reject(new Error(`test/scripts/keystone.sh printed no URL: ${stdout}\n${stderr}`));
      resolve(url);
    });
  });
}

async function start(): Promise<Keystone> {
  const url = await runScript();
  let admin: { token: string; expiresAt: number } | undefined;
  const valid = new Map<string, { info: TokenInfo; at: number }>();

  const issueToken = async (user: string, password: string, project: string) => {
    const res = await fetch(`${url}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } },
          scope: { project: { name: project, domain: { id: 'default' } } },
        },
      }),
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`Keystone token for ${user}: HTTP ${res.status} ${text}`);
    return { token: res.headers.get('x-subject-token')!, body: (JSON.parse(text) as { token: Record<string, unknown> }).token };
  };

  const adminToken = async () => {
    if (!admin || admin.expiresAt - Date.now() < 300_000) {
      const { token, body } = await issueToken(ADMIN.username, ADMIN.password, ADMIN.project);
      admin = { token, expiresAt: Date.parse(String(body.expires_at)) };
    }
    return admin.token;
  };

  const adminCall = async <T>(method: string, apiPath: string, body?: unknown, expect: number[] = [200, 201, 204]): Promise<T> => {
    const res = await fetch(`${url}${apiPath}`, {
      method,
      headers: { 'Content-Type': 'application/json', 'X-Auth-Token': await adminToken() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!expect.includes(res.status)) throw new Error(`Keystone ${method} ${apiPath}: HTTP ${res.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  };

  const validate = async (token: string): Promise<TokenInfo | undefined> => {
    // keystonemiddleware caches validations for a while; a short cache keeps the single-threaded Keystone free.
    const hit = valid.get(token);
    if (hit && Date.now() - hit.at < 5000 && hit.info.expiresAt > Date.now()) return hit.info;
    const res = await fetch(`${url}/v3/auth/tokens`, { headers: { 'X-Auth-Token': await adminToken(), 'X-Subject-Token': token } });
    const text = await res.text();
    if (res.status !== 200) {
      valid.delete(token);
      return undefined;
    }
    const body = JSON.parse(text) as { token: { project?: { id: string }; user: { id: string }; expires_at: string } };
    if (!body.token.project) return undefined;
    const info = { projectId: body.token.project.id, userId: body.token.user.id, expiresAt: Date.parse(body.token.expires_at) };
    valid.set(token, { info, at: Date.now() });
    return info;
  };

  const revoke = async (token: string) => {
    valid.delete(token);
    const res = await fetch(`${url}/v3/auth/tokens`, { method: 'DELETE', headers: { 'X-Auth-Token': await adminToken(), 'X-Subject-Token': token } });
    await res.text();
    if (res.status !== 204 && res.status !== 404) throw new Error(`Keystone revoke: HTTP ${res.status}`);
  };

  const byName = async (collection: 'projects' | 'users', name: string) => {
    const out = await adminCall<Record<string, { id: string }[]>>('GET', `/v3/${collection}?name=${encodeURIComponent(name)}`);
    const found = out[collection][0];
    if (!found) throw new Error(`Keystone has no ${collection} named ${name}`);
    return found.id;
  };

  return {
    url,
    adminToken,
    issueToken,
    validate,
    revoke,
    admin: adminCall,
    projectId: (name) => byName('projects', name),
    userId: (name) => byName('users', name),
  };
}

/** Finds or creates the catalog service of a type. */
export async function serviceId(ks: Keystone, type: string, name: string): Promise<string> {
  const out = await ks.admin<{ services: { id: string }[] }>('GET', `/v3/services?type=${type}`);
  if (out.services[0]) return [...out.services].sort((a, b) => a.id.localeCompare(b.id))[0].id;
  await ks.admin<{ service: { id: string } }>('POST', '/v3/services', { service: { type, name, enabled: true } });
  // Two test processes (lanes of test/run-all.sh) may both have made one: the
  // same listing again makes them agree on one, which gets every endpoint.
  const again = await ks.admin<{ services: { id: string }[] }>('GET', `/v3/services?type=${type}`);
  return [...again.services].sort((a, b) => a.id.localeCompare(b.id))[0].id;
}

/**
 * Registers endpoints in a new region of the catalog: public, internal and
 * admin, all at the same URL. Returns what removes them again.
 */
export async function registerRegion(ks: Keystone, region: string, services: { type: string; name: string; url: string }[]): Promise<() => Promise<void>> {
  await ks.admin('POST', '/v3/regions', { region: { id: region, description: 'local test endpoints' } });
  const endpointIds: string[] = [];
  for (const svc of services) {
    const id = await serviceId(ks, svc.type, svc.name);
    for (const iface of ['public', 'internal', 'admin']) {
      const made = await ks.admin<{ endpoint: { id: string } }>('POST', '/v3/endpoints', { endpoint: { service_id: id, interface: iface, region_id: region, url: svc.url, enabled: true } });
      endpointIds.push(made.endpoint.id);
    }
  }
  return async () => {
    for (const id of endpointIds) await ks.admin('DELETE', `/v3/endpoints/${id}`, undefined, [204, 404]);
    await ks.admin('DELETE', `/v3/regions/${region}`, undefined, [204, 404]);
  };
}

/** Removes regions of test runs that ended without closing their fakes (their endpoints no longer answer). */
export async function removeStaleRegions(ks: Keystone): Promise<void> {
  const { endpoints } = await ks.admin<{ endpoints: { id: string; region_id: string; url: string }[] }>('GET', '/v3/endpoints');
  const byRegion = new Map<string, { id: string; url: string }[]>();
  for (const e of endpoints) if (e.region_id?.startsWith('fake-')) byRegion.set(e.region_id, [...(byRegion.get(e.region_id) ?? []), e]);
  for (const [region, eps] of byRegion) {
    // Only a refused connection means its fake is gone: a live fake in another
    // test process (another lane of test/run-all.sh) may be slow to answer on
    // a busy machine, and its region must stay. A TCP connect asks only that:
    // an HTTP request would land in that fake's request log as a call without
    // a token, and fail the test that checks its log for refused tokens.
    const alive = await listening(eps[0].url);
    if (alive) continue;
    for (const e of eps) await ks.admin('DELETE', `/v3/endpoints/${e.id}`, undefined, [204, 404]);
    await ks.admin('DELETE', `/v3/regions/${region}`, undefined, [204, 404]);
  }
}

/** Whether something accepts connections at the URL's host and port; anything but a refusal counts as yes. */
function listening(url: string): Promise<boolean> {
  const { hostname, port, protocol } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || (protocol === 'https:' ? 443 : 80)) });
    const done = (alive: boolean) => {
      socket.destroy();
      resolve(alive);
    };
    socket.setTimeout(2_000, () => done(true));
    socket.once('connect', () => done(true));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code !== 'ECONNREFUSED'));
  });
}
