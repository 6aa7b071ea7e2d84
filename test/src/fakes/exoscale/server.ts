// A small Exoscale-like compute API (v2 style) on 127.0.0.1, for the vendor
// driver of test/fixtures/driver-exoscale: zones, templates, instance types,
// SSH keys, instances and the asynchronous operations every change returns.
// Requests are signed as Exoscale's API v2 signs them (EXO2-HMAC-SHA256:
// an HMAC of method, path, body and expiry with the API secret), errors are
// `{"message": …}` bodies. Each instance is a host from a HostProvider (a
// real test host in the end-to-end tests) with the SSH key installed for the
// template's user; stop and start stop and start the host.
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { AddressOnlyHosts, type BackingHost, type HostProvider } from '../common/hosts';
import { FaultPlan, delay } from '../common/faults';
import { startHttpFake, type FakeRequest, type FakeResponse, type LoggedRequest } from '../common/server';

export const API_KEY = 'EXO0123456789abcdef01234567';
export const API_SECRET = 'fake-secret-0123456789abcdefghijklmnopqrstu';
export const ZONE = 'ch-gva-2';

export interface FakeTemplate {
  id: string;
  name: string;
  /** The user the template's cloud-init sets up. */
  'default-user': string;
}

export interface FakeInstanceType {
  id: string;
  family: string;
  size: string;
  cpus: number;
  memory: number;
}

export interface FakeSshKey {
  name: string;
  fingerprint: string;
  publicKey: string;
}

export type InstanceState = 'starting' | 'running' | 'stopping' | 'stopped' | 'destroying';

export interface FakeInstance {
  id: string;
  name: string;
  state: InstanceState;
  createdAt: string;
  instanceType: FakeInstanceType;
  template: FakeTemplate;
  diskSize: number;
  sshKey?: string;
  userData?: string;
  labels: Record<string, string>;
  host?: BackingHost;
}

export interface FakeOperation {
  id: string;
  state: 'pending' | 'success' | 'failure';
  reason?: string;
  message?: string;
  reference: { id: string; command: string };
}

export interface FakeExoscale {
  /** The API's base URL, ending in /v2. */
  readonly url: string;
  readonly instances: Map<string, FakeInstance>;
  readonly sshKeys: Map<string, FakeSshKey>;
  readonly operations: Map<string, FakeOperation>;
  readonly requests: LoggedRequest[];
  readonly faults: FaultPlan;
  /** Resolves when every host operation in flight has finished. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export const TEMPLATES: FakeTemplate[] = [
  { id: '6f4b9c53-0c1a-4d6e-9a6b-2f1e7c0b5a01', name: 'Linux Ubuntu 24.04 LTS 64-bit', 'default-user': 'ubuntu' },
  { id: '2a7d1e40-5b8c-4f3a-8e9d-7c6b5a4f3e02', name: 'Linux Debian 12 (Bookworm) 64-bit', 'default-user': 'debian' },
];

export const INSTANCE_TYPES: FakeInstanceType[] = [
  { id: 'b6e9d1e8-89fc-4db3-aaa4-9b4c5b1d0844', family: 'standard', size: 'small', cpus: 2, memory: 2147483648 },
  { id: '21624abb-764e-4def-81d7-9fc54b5957fb', family: 'standard', size: 'medium', cpus: 2, memory: 4294967296 },
];

/** The MD5 fingerprint Exoscale shows for a public key. */
export function fingerprintOf(publicKey: string): string {
  const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? '', 'base64');
  return (createHash('md5').update(blob).digest('hex').match(/../g) ?? []).join(':');
}

/** The signature of a request, as the API computes it (also used by the tests' own clients). */
export function exoSignature(secret: string, method: string, path: string, body: string, expires: number): string {
  const message = [`${method} ${path}`, body, '', '', String(expires)].join('\n');
  return createHmac('sha256', secret).update(message).digest('base64');
}

function json(status: number, body: unknown): FakeResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function error(status: number, message: string): FakeResponse & { error: string } {
  return { ...json(status, { message }), error: String(status) };
}

export interface FakeExoscaleOptions {
  hosts?: HostProvider;
  /** How long a finished operation stays pending, so clients really poll. */
  operationMs?: number;
}

export async function startFakeExoscale(options: FakeExoscaleOptions = {}): Promise<FakeExoscale> {
  const hosts = options.hosts ?? new AddressOnlyHosts();
  const operationMs = options.operationMs ?? 100;
  const instances = new Map<string, FakeInstance>();
  const sshKeys = new Map<string, FakeSshKey>();
  const operations = new Map<string, FakeOperation>();
  const faults = new FaultPlan();
  const inFlight = new Set<Promise<void>>();

  /** Starts `work` in the background behind a pending operation on `reference`. */
  const operation = (referenceId: string, command: string, work: () => Promise<void>): FakeOperation => {
    const op: FakeOperation = { id: randomUUID(), state: 'pending', reference: { id: referenceId, command } };
    operations.set(op.id, op);
    const done = (async () => {
      try {
        await work();
        await delay(operationMs);
        op.state = 'success';
      } catch (err) {
        op.state = 'failure';
        op.reason = 'unknown';
        op.message = err instanceof Error ? err.message : String(err);
      }
    })();
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
    return op;
  };

  const opView = (op: FakeOperation) => ({
    id: op.id,
    state: op.state,
    ...(op.reason ? { reason: op.reason, message: op.message } : {}),
    reference: { id: op.reference.id, link: `/v2/instance/${op.reference.id}`, command: op.reference.command },
  });

  const instanceView = (i: FakeInstance) => ({
    id: i.id,
    name: i.name,
    state: i.state,
    'created-at': i.createdAt,
    'instance-type': { id: i.instanceType.id },
    template: { id: i.template.id },
    'disk-size': i.diskSize,
    ...(i.sshKey ? { 'ssh-key': { name: i.sshKey } } : {}),
    labels: i.labels,
    // The address is the host's; a host that is starting has none yet.
    ...(i.host && (i.state === 'running' || i.state === 'stopped' || i.state === 'stopping') ? { 'public-ip': i.host.ip } : {}),
  });

  /** Checks the EXO2-HMAC-SHA256 Authorization header; undefined when it is good. */
  const authProblem = (req: FakeRequest, path: string): string | undefined => {
    const header = String(req.headers.authorization ?? '');
    const m = /^EXO2-HMAC-SHA256 credential=([^,]+),expires=(\d+),signature=(.+)$/.exec(header);
    if (!m) return 'missing or malformed Authorization header';
    if (m[1] !== API_KEY) return 'invalid API key';
    if (Number(m[2]) * 1000 < Date.now()) return 'request expired';
    const want = Buffer.from(exoSignature(API_SECRET, req.method, path, req.body.toString('utf8'), Number(m[2])));
    const got = Buffer.from(m[3]);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return 'invalid request signature';
    return undefined;
  };

  const handle = async (req: FakeRequest): Promise<FakeResponse & { label?: string; error?: string }> => {
    const [path] = req.url.split('?');
    if (!path.startsWith('/v2/')) return error(404, `no route for ${path}`);
    const problem = authProblem(req, path);
    if (problem) return { ...error(403, problem), label: 'auth' };
    const route = `${req.method} ${path.slice('/v2'.length)}`;
    let body: Record<string, unknown> = {};
    if (req.body.length) {
      try {
        body = JSON.parse(req.body.toString('utf8')) as Record<string, unknown>;
      } catch {
        return error(400, 'invalid JSON body');
      }
    }
    const label = route.replace(/[0-9a-f-]{36}/g, '{id}').replace(/ssh-key\/[^/]+$/, 'ssh-key/{name}');
    const fault = faults.take(label);
    if (fault) return { ...error(fault.status, fault.message), label };
    let m: RegExpExecArray | null;

    if (route === 'GET /zone') return { ...json(200, { zones: [{ name: ZONE }] }), label };
    if (route === 'GET /template') return { ...json(200, { templates: TEMPLATES.map((t) => ({ ...t, visibility: 'public' })) }), label };
    if (route === 'GET /instance-type') return { ...json(200, { 'instance-types': INSTANCE_TYPES }), label };
    if (route === 'GET /ssh-key') return { ...json(200, { 'ssh-keys': [...sshKeys.values()].map((k) => ({ name: k.name, fingerprint: k.fingerprint })) }), label };
    if (route === 'POST /ssh-key') {
      const name = String(body.name ?? '');
      const publicKey = String(body['public-key'] ?? '');
      if (!name || !/^ssh-(rsa|ed25519) /.test(publicKey)) return { ...error(400, 'name and a valid public-key are required'), label };
      if (sshKeys.has(name)) return { ...error(409, `SSH key "${name}" already exists`), label };
      sshKeys.set(name, { name, publicKey, fingerprint: fingerprintOf(publicKey) });
      return { ...json(200, opView(operation(name, 'register-ssh-key', async () => {}))), label };
    }
    if ((m = /^DELETE \/ssh-key\/([^/]+)$/.exec(route))) {
      const name = decodeURIComponent(m[1]);
      if (!sshKeys.delete(name)) return { ...error(404, `SSH key "${name}" not found`), label };
      return { ...json(200, opView(operation(name, 'delete-ssh-key', async () => {}))), label };
    }
    if (route === 'GET /instance') return { ...json(200, { instances: [...instances.values()].map(instanceView) }), label };
    if (route === 'POST /instance') {
      const name = String(body.name ?? '');
      const type = INSTANCE_TYPES.find((t) => t.id === (body['instance-type'] as { id?: string } | undefined)?.id);
      const template = TEMPLATES.find((t) => t.id === (body.template as { id?: string } | undefined)?.id);
      const keyName = (body['ssh-key'] as { name?: string } | undefined)?.name;
      const diskSize = Number(body['disk-size'] ?? 0);
      if (!name) return { ...error(400, 'name is required'), label };
      if (!type) return { ...error(400, 'invalid instance-type'), label };
      if (!template) return { ...error(400, 'invalid template'), label };
      if (!(diskSize >= 10 && diskSize <= 51200)) return { ...error(400, 'disk-size must be between 10 and 51200'), label };
      const key = keyName ? sshKeys.get(keyName) : undefined;
      if (keyName && !key) return { ...error(404, `SSH key "${keyName}" not found`), label };
      const instance: FakeInstance = {
        id: randomUUID(),
        name,
        state: 'starting',
        createdAt: new Date().toISOString(),
        instanceType: type,
        template,
        diskSize,
        sshKey: keyName,
        userData: typeof body['user-data'] === 'string' ? body['user-data'] : undefined,
        labels: (body.labels as Record<string, string> | undefined) ?? {},
      };
      instances.set(instance.id, instance);
      const op = operation(instance.id, 'create-instance', async () => {
        const host = await hosts.launch({ id: instance.id, user: template['default-user'], authorizedKeys: key ? [key.publicKey] : [], image: template.name });
        instance.host = host;
        // Deleted while it was being made: the host goes too.
        if (instance.state === 'destroying' || !instances.has(instance.id)) {
          await host.destroy();
          return;
        }
        instance.state = 'running';
      });
      return { ...json(200, opView(op)), label };
    }
    if ((m = /^GET \/instance\/([0-9a-f-]{36})$/.exec(route))) {
      const i = instances.get(m[1]);
      return i ? { ...json(200, instanceView(i)), label } : { ...error(404, `instance ${m[1]} not found`), label };
    }
    if ((m = /^PUT \/instance\/([0-9a-f-]{36}):(start|stop|reboot)$/.exec(route))) {
      const i = instances.get(m[1]);
      if (!i) return { ...error(404, `instance ${m[1]} not found`), label };
      const action = m[2];
      const want: Record<string, InstanceState> = { start: 'stopped', stop: 'running', reboot: 'running' };
      if (i.state !== want[action] || !i.host) return { ...error(409, `instance is ${i.state}: cannot ${action}`), label };
      const host = i.host;
      i.state = action === 'stop' ? 'stopping' : 'starting';
      const op = operation(i.id, `${action}-instance`, async () => {
        if (action === 'stop') await host.stop();
        else if (action === 'start') await host.start();
        else await host.reboot();
        i.state = action === 'stop' ? 'stopped' : 'running';
      });
      return { ...json(200, opView(op)), label };
    }
    if ((m = /^DELETE \/instance\/([0-9a-f-]{36})$/.exec(route))) {
      const i = instances.get(m[1]);
      if (!i) return { ...error(404, `instance ${m[1]} not found`), label };
      i.state = 'destroying';
      const op = operation(i.id, 'delete-instance', async () => {
        await i.host?.destroy();
        instances.delete(i.id);
      });
      return { ...json(200, opView(op)), label };
    }
    if ((m = /^GET \/operation\/([0-9a-f-]{36})$/.exec(route))) {
      const op = operations.get(m[1]);
      return op ? { ...json(200, opView(op)), label } : { ...error(404, `operation ${m[1]} not found`), label };
    }
    return { ...error(404, `no route for ${req.method} ${path}`), label };
  };

  const http = await startHttpFake(handle);
  const settle = async (): Promise<void> => {
    while (inFlight.size) await Promise.allSettled([...inFlight]);
  };
  return {
    url: `${http.url}/v2`,
    instances,
    sshKeys,
    operations,
    requests: http.requests,
    faults,
    settle,
    async close() {
      await settle();
      await http.close();
    },
  };
}
