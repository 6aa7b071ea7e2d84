// The local OpenStack on the wire, with plain fetch and tokens from the real
// Keystone: what a client sees of Nova, Neutron and Glance (status codes,
// error bodies, Nova's microversion headers, the refusal of missing, wrong
// and revoked tokens) is what the OpenStack API references document.
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { DEMO, keystone, registerRegion, startFakeOpenStack, type FakeOpenStack } from '../fakes/openstack';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  json: Record<string, unknown> | undefined;
}

const MICROVERSION_HEADERS = ['openstack-api-version', 'x-openstack-nova-api-version'];

describe('local OpenStack (real Keystone, local Nova, Neutron and Glance) on the wire', function () {
  this.timeout(60_000);
  let fake: FakeOpenStack;
  let token: string;
  /** Service URLs from the token's catalog, for this fake's region, as a client finds them. */
  const endpoints: Record<string, string> = {};

  const call = async (method: string, url: string, opts: { token?: string | null; headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== null) headers['x-auth-token'] = opts.token ?? token;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url, {
      method,
      headers,
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    });
    const text = await res.text();
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  const nova = (method: string, path: string, opts?: Parameters<typeof call>[2]) => call(method, `${endpoints.compute}${path}`, opts);
  const neutron = (method: string, path: string, opts?: Parameters<typeof call>[2]) => call(method, `${endpoints.network}${path}`, opts);
  const glance = (method: string, path: string, opts?: Parameters<typeof call>[2]) => call(method, `${endpoints.image}${path}`, opts);

  /** A project-scoped token of the demo user, straight from Keystone's API. */
  const issue = async (): Promise<{ token: string; body: { catalog: { type: string; endpoints: { interface: string; region_id: string; url: string }[] }[] } }> => {
    const res = await fetch(`${fake.authUrl}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: DEMO.username, domain: { name: DEMO.domain }, password: DEMO.password } } },
          scope: { project: { name: DEMO.project, domain: { name: DEMO.domain } } },
        },
      }),
    });
    const text = await res.text();
    assert.equal(res.status, 201, text);
    const subject = res.headers.get('x-subject-token');
    assert.ok(subject, 'Keystone sends the token in X-Subject-Token');
    return { token: subject, body: (JSON.parse(text) as { token: Awaited<ReturnType<typeof issue>>['body'] }).token };
  };

  /** keystonemiddleware's refusal: 401, its error body, and where to authenticate. */
  const assertRefused = (a: Answer, what: string) => {
    assert.equal(a.status, 401, `${what}: ${a.text}`);
    assert.deepEqual(a.json, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } }, what);
    assert.equal(a.headers.get('www-authenticate'), `Keystone uri="${fake.keystone.url}"`, what);
  };

  before(async () => {
    fake = await startFakeOpenStack();
    const issued = await issue();
    token = issued.token;
    for (const type of ['compute', 'network', 'image']) {
      const url = issued.body.catalog.find((s) => s.type === type)?.endpoints.find((e) => e.interface === 'public' && e.region_id === fake.region)?.url;
      assert.ok(url, `the catalog has a public ${type} endpoint in ${fake.region}`);
      endpoints[type] = url.replace(/\/$/, '');
    }
  });

  after(async () => {
    await fake?.close();
  });

  describe('tokens', () => {
    it('refuses a call without a token, and a made-up token, on every service', async () => {
      const calls: [string, (method: string, path: string, opts?: Parameters<typeof call>[2]) => Promise<Answer>, string][] = [
        ['nova', nova, '/servers'],
        ['neutron', neutron, '/v2.0/networks'],
        ['glance', glance, '/v2/images'],
      ];
      for (const [name, svc, path] of calls) {
        assertRefused(await svc('GET', path, { token: null }), `${name} without a token`);
        assertRefused(await svc('GET', path, { token: 'gAAAAABnot-a-real-fernet-token' }), `${name} with a made-up token`);
        assert.equal((await svc('GET', path)).status, 200, `${name} with the token`);
      }
    });

    it('refuses a token revoked at Keystone (as an expired one)', async () => {
      const { token: revoked } = await issue();
      // A user revokes its own token: DELETE /v3/auth/tokens with the token as both headers.
      const res = await fetch(`${fake.authUrl}/v3/auth/tokens`, { method: 'DELETE', headers: { 'x-auth-token': revoked, 'x-subject-token': revoked } });
      assert.equal(res.status, 204, await res.text());
      assertRefused(await nova('GET', '/flavors/detail', { token: revoked }), 'nova with a revoked token');
      assertRefused(await neutron('GET', '/v2.0/networks', { token: revoked }), 'neutron with a revoked token');
    });

    it('the expiry switch revokes the token at the named call: that call and every later one are refused', async () => {
      const { token: doomed } = await issue();
      assert.equal((await nova('GET', '/servers/detail', { token: doomed })).status, 200);
      fake.expireTokenOn('flavors.list');
      assert.equal((await nova('GET', '/servers/detail', { token: doomed })).status, 200, 'other calls pass');
      assertRefused(await nova('GET', '/flavors/detail', { token: doomed }), 'the call the switch names');
      assertRefused(await nova('GET', '/servers/detail', { token: doomed }), 'a later call');
      assert.equal((await nova('GET', '/flavors/detail')).status, 200, 'another token still works');
    });
  });

  describe('regions of other fakes', () => {
    // Every fake, as it starts, removes the regions of fakes that are gone.
    // Test processes in other lanes start fakes while this one runs: their
    // sweep must not reach this fake's API, whose request log a test reads
    // for refused tokens, nor take away its region.
    it('a starting fake removes a dead region, and leaves a live fake\'s region and request log alone', async () => {
      const ks = await keystone();
      // A region whose endpoint has nothing listening: a fake that died without closing.
      const gone = createServer();
      await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
      const port = (gone.address() as { port: number }).port;
      await new Promise<void>((resolve) => gone.close(() => resolve()));
      const dead = `fake-dead${randomUUID().slice(0, 4)}`;
      await registerRegion(ks, dead, [{ type: 'compute', name: 'nova', url: `http://127.0.0.1:${port}/v2.1` }]);
      const before = fake.requests().length;
      const other = await startFakeOpenStack();
      await other.close();
      const regions = (await ks.admin<{ regions: { id: string }[] }>('GET', '/v3/regions')).regions.map((r) => r.id);
      assert.ok(!regions.includes(dead), 'the dead region is removed');
      assert.ok(regions.includes(fake.region), 'the live region stays');
      assert.deepEqual(fake.requests().slice(before).map((r) => `${r.method} ${r.url} ${r.status}`), [], 'the live fake saw no request');
    });
  });

  describe('Nova microversions', () => {
    const maxVersion = async (): Promise<string> => {
      const doc = await nova('GET', '/');
      assert.equal(doc.status, 200, doc.text);
      const version = doc.json?.version as { id: string; status: string; version: string; min_version: string };
      assert.deepEqual([version.id, version.status, version.min_version], ['v2.1', 'CURRENT', '2.1']);
      return version.version;
    };

    it('answers 2.1 when no version is asked, naming it in both headers and in Vary', async () => {
      const a = await nova('GET', '/flavors/detail');
      assert.equal(a.status, 200);
      assert.equal(a.headers.get('openstack-api-version'), 'compute 2.1');
      assert.equal(a.headers.get('x-openstack-nova-api-version'), '2.1');
      const vary = (a.headers.get('vary') ?? '').split(',').map((v) => v.trim().toLowerCase());
      for (const h of MICROVERSION_HEADERS) assert.ok(vary.includes(h), `Vary names ${h}: ${a.headers.get('vary')}`);
    });

    it('takes the version in either header; "latest" is the maximum of the version document', async () => {
      for (const headers of [{ 'OpenStack-API-Version': 'compute 2.1' }, { 'X-OpenStack-Nova-API-Version': '2.1' }] as Record<string, string>[]) {
        const a = await nova('GET', '/flavors/detail', { headers });
        assert.equal(a.status, 200, a.text);
        assert.equal(a.headers.get('openstack-api-version'), 'compute 2.1');
      }
      const max = await maxVersion();
      const latest = await nova('GET', '/flavors/detail', { headers: { 'OpenStack-API-Version': 'compute latest' } });
      assert.equal(latest.status, 200, latest.text);
      assert.equal(latest.headers.get('openstack-api-version'), `compute ${max}`);
      assert.equal(latest.headers.get('x-openstack-nova-api-version'), max);
    });

    it('refuses a version above the maximum with 406, and a malformed one with 400', async () => {
      const max = await maxVersion();
      const [major, minor] = max.split('.').map(Number);
      const above = `${major}.${minor + 1}`;
      for (const headers of [{ 'OpenStack-API-Version': `compute ${above}` }, { 'X-OpenStack-Nova-API-Version': above }] as Record<string, string>[]) {
        const a = await nova('GET', '/flavors/detail', { headers });
        assert.equal(a.status, 406, a.text);
        assert.deepEqual(a.json, { computeFault: { code: 406, message: `Version ${above} is not supported by the API. Minimum is 2.1 and maximum is ${max}.` } });
      }
      const malformed = await nova('GET', '/flavors/detail', { headers: { 'OpenStack-API-Version': 'compute two' } });
      assert.equal(malformed.status, 400, malformed.text);
      assert.deepEqual(malformed.json, { badRequest: { code: 400, message: 'API Version String two is of invalid format. Must be of format MajorNum.MinorNum.' } });
    });
  });

  describe('status codes and error bodies', () => {
    it('Nova: 404 itemNotFound with the version headers, 400 badRequest, 409 conflictingRequest; 2.1 key pairs answer 200 and 202', async () => {
      const id = randomUUID();
      const missing = await nova('GET', `/servers/${id}`);
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.json, { itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
      assert.equal(missing.headers.get('openstack-api-version'), 'compute 2.1', 'errors carry the version too');
      assert.match(missing.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f-]{36}$/);

      const bad = await nova('POST', '/os-keypairs', { body: { nokeypair: {} } });
      assert.equal(bad.status, 400);
      const badRequest = bad.json?.badRequest as { code: number; message: string };
      assert.equal(badRequest.code, 400);
      assert.equal(typeof badRequest.message, 'string');

      const publicKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHs0cS2y8sFwsmZ0xFzGmqN6Qk8GfMjF1E7kQH0JNdJg wire@test';
      const created = await nova('POST', '/os-keypairs', { body: { keypair: { name: 'wire-key', public_key: publicKey } } });
      assert.equal(created.status, 200, `2.1 answers 200 to a key pair create: ${created.text}`);
      assert.deepEqual(Object.keys(created.json?.keypair as object).sort(), ['fingerprint', 'name', 'public_key', 'user_id']);
      const again = await nova('POST', '/os-keypairs', { body: { keypair: { name: 'wire-key', public_key: publicKey } } });
      assert.equal(again.status, 409);
      assert.deepEqual(again.json, { conflictingRequest: { code: 409, message: "Key pair 'wire-key' already exists." } });
      const deleted = await nova('DELETE', '/os-keypairs/wire-key');
      assert.equal(deleted.status, 202, '2.1 answers 202 to a key pair delete');
      assert.equal(deleted.text, '');
      assert.equal((await nova('DELETE', '/os-keypairs/wire-key')).status, 404);
    });

    it('Neutron: NeutronError bodies with their type, and no microversion headers', async () => {
      const id = randomUUID();
      const missing = await neutron('GET', `/v2.0/networks/${id}`);
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.json, { NeutronError: { type: 'NetworkNotFound', message: `Network ${id} could not be found.`, detail: '' } });
      for (const h of MICROVERSION_HEADERS) assert.equal(missing.headers.get(h), null, `Neutron sends no ${h}`);
      const bad = await neutron('POST', '/v2.0/security-groups', { body: { nothing: {} } });
      assert.equal(bad.status, 400);
      assert.equal((bad.json?.NeutronError as { type: string }).type, 'BadRequest');
      const group = await neutron('POST', '/v2.0/security-groups', { body: { security_group: { name: 'wire-group', description: '' } } });
      assert.equal(group.status, 201, group.text);
      const groupId = (group.json?.security_group as { id: string }).id;
      const rule = await neutron('POST', '/v2.0/security-group-rules', {
        body: { security_group_rule: { security_group_id: groupId, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' } },
      });
      assert.equal(rule.status, 201, rule.text);
      const removed = await neutron('DELETE', `/v2.0/security-groups/${groupId}`);
      assert.equal(removed.status, 204, removed.text);
      assert.equal((await neutron('GET', `/v2.0/security-groups/${groupId}`)).status, 404);
    });

    it('Glance: the image list with first and schema, and a 404 as webob text', async () => {
      const list = await glance('GET', '/v2/images?name=ubuntu-22.04');
      assert.equal(list.status, 200);
      const images = list.json?.images as { id: string; name: string; status: string }[];
      assert.deepEqual(images.map((i) => [i.name, i.status]), [['ubuntu-22.04', 'active']]);
      assert.equal(list.json?.schema, '/v2/schemas/images');
      assert.match(String(list.json?.first), /^\/v2\/images\?/);
      const id = randomUUID();
      const missing = await glance('GET', `/v2/images/${id}`);
      assert.equal(missing.status, 404);
      assert.match(missing.headers.get('content-type') ?? '', /^text\/plain/);
      assert.match(missing.text, new RegExp(`^404 Not Found\\n\\nNo image found with ID ${id}\\n`));
    });

    it('503 fault switch: each service answers in its own error format', async () => {
      const { openstackFault } = await import('../fakes/openstack');
      fake.faults.inject(openstackFault(), { operation: 'servers.list' });
      const down = await nova('GET', '/servers');
      assert.equal(down.status, 503);
      assert.deepEqual(down.json, { serviceUnavailable: { code: 503, message: 'The server is currently unavailable. Please try again at a later time.' } });
      assert.equal((await nova('GET', '/servers')).status, 200, 'only once');
    });
  });
});
