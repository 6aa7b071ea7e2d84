// The local DigitalOcean API on the wire, with plain fetch: what a client
// sees (status codes, JSON shapes, errors, pagination links, rate-limit
// headers) is what the public API documents.
import { strict as assert } from 'node:assert';
import { generateSSHKeyPair } from '@machine/driver-sdk';
import { startFakeDigitalOcean, fingerprintOf, TOKEN, type FakeDigitalOcean } from '../fakes/digitalocean';

/** The fields the API's droplet schema requires. */
const DROPLET_REQUIRED = ['id', 'name', 'memory', 'vcpus', 'disk', 'locked', 'status', 'created_at', 'features', 'backup_ids', 'next_backup_window', 'snapshot_ids', 'image', 'volume_ids', 'size', 'size_slug', 'networks', 'region', 'tags'];

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

describe('local DigitalOcean API', function () {
  this.timeout(30000);
  let fake: FakeDigitalOcean;

  const api = async (method: string, path: string, body?: unknown, token = TOKEN): Promise<Answer> => {
    const res = await fetch(`${fake.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const droplet = (name: string, extra: Record<string, unknown> = {}) => api('POST', '/v2/droplets', { name, region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', ...extra });
  const poll = async (path: string, done: (b: Record<string, unknown>) => boolean) => {
    for (let n = 0; n < 200; n++) {
      const a = await api('GET', path);
      if (done(a.body)) return a.body;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.fail(`${path} never reached the expected state`);
  };

  beforeEach(async () => {
    fake = await startFakeDigitalOcean({ timings: { newMs: 50, actionMs: 30 } });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('checks the bearer token and answers with the error shape', async () => {
    const bad = await api('GET', '/v2/account', undefined, 'nope');
    assert.equal(bad.status, 401);
    assert.equal(bad.body.id, 'unauthorized');
    assert.equal(typeof bad.body.message, 'string');
    const missing = await api('GET', '/v2/droplets/1');
    assert.equal(missing.status, 404);
    assert.deepEqual([missing.body.id, missing.body.message], ['not_found', 'The resource you were accessing could not be found.']);
    assert.match(String(missing.body.request_id), /^[0-9a-f-]{36}$/);
    const account = await api('GET', '/v2/account');
    assert.equal((account.body.account as { status: string }).status, 'active');
  });

  it('sends rate-limit headers, and 429 with the reset when the budget is spent', async () => {
    await fake.close();
    fake = await startFakeDigitalOcean({ rateLimit: { limit: 2, windowMs: 60_000 } });
    const first = await api('GET', '/v2/account');
    assert.equal(first.headers.get('ratelimit-limit'), '2');
    assert.equal(first.headers.get('ratelimit-remaining'), '1');
    assert.ok(Number(first.headers.get('ratelimit-reset')) > Date.now() / 1000);
    await api('GET', '/v2/account');
    const refused = await api('GET', '/v2/account');
    assert.equal(refused.status, 429);
    assert.equal(refused.body.id, 'too_many_requests');
    assert.equal(refused.headers.get('ratelimit-remaining'), '0');
  });

  it('fault switches: 429 with a reset ahead, and 500s, for one operation', async () => {
    fake.throttle(1, { operation: 'regions_list', resetSeconds: 5 });
    fake.serverErrors(1, 'sizes_list');
    const throttled = await api('GET', '/v2/regions');
    assert.equal(throttled.status, 429);
    assert.ok(Number(throttled.headers.get('ratelimit-reset')) >= Math.floor(Date.now() / 1000) + 4);
    assert.equal((await api('GET', '/v2/account')).status, 200, 'other operations pass');
    assert.equal((await api('GET', '/v2/sizes')).status, 500);
    assert.equal((await api('GET', '/v2/regions')).status, 200);
    assert.equal((await api('GET', '/v2/sizes')).status, 200);
  });

  it('paginates with links.pages and meta.total', async () => {
    const page1 = await api('GET', '/v2/regions?per_page=4');
    assert.equal((page1.body.regions as unknown[]).length, 4);
    assert.equal((page1.body.meta as { total: number }).total, fake.regions.length);
    const pages = (page1.body.links as { pages: Record<string, string> }).pages;
    assert.equal(pages.prev, undefined);
    assert.equal(new URL(pages.next).searchParams.get('page'), '2');
    const last = await api('GET', new URL(pages.last).pathname + new URL(pages.last).search);
    const lastPages = (last.body.links as { pages: Record<string, string> }).pages;
    assert.equal(lastPages.next, undefined);
    assert.ok(lastPages.prev && lastPages.first);
  });

  it('keys: create, find by id or fingerprint, refuse duplicates and bad keys, delete', async () => {
    const pair = await generateSSHKeyPair('k');
    const created = await api('POST', '/v2/account/keys', { name: 'k', public_key: pair.publicKey });
    assert.equal(created.status, 201);
    const key = created.body.ssh_key as { id: number; fingerprint: string };
    assert.equal(key.fingerprint, fingerprintOf(pair.publicKey));
    assert.equal((await api('GET', `/v2/account/keys/${key.fingerprint}`)).status, 200);
    const dup = await api('POST', '/v2/account/keys', { name: 'again', public_key: pair.publicKey });
    assert.deepEqual([dup.status, dup.body.id], [422, 'unprocessable_entity']);
    assert.equal((await api('POST', '/v2/account/keys', { name: 'x', public_key: 'not a key' })).status, 422);
    assert.equal((await api('DELETE', `/v2/account/keys/${key.id}`)).status, 204);
    assert.equal((await api('DELETE', `/v2/account/keys/${key.id}`)).status, 404);
  });

  it('droplets: new → active with addresses, filtered by tag; power actions move them to off and back', async () => {
    const created = await droplet('d1', { tags: ['web', 'machine'] });
    assert.equal(created.status, 202);
    const d = created.body.droplet as Record<string, unknown>;
    for (const field of DROPLET_REQUIRED) assert.ok(field in d, `droplet field ${field}`);
    assert.equal(d.status, 'new');
    assert.deepEqual((d.networks as { v4: unknown[] }).v4, []);
    assert.equal((created.body.links as { actions: { rel: string }[] }).actions[0].rel, 'create');
    await droplet('d2', { tags: ['db'] });

    const active = await poll(`/v2/droplets/${d.id}`, (b) => (b.droplet as { status: string }).status === 'active');
    const v4 = (active.droplet as { networks: { v4: { type: string; ip_address: string }[] } }).networks.v4;
    assert.deepEqual(v4.map((n) => n.type).sort(), ['private', 'public']);

    const tagged = await api('GET', '/v2/droplets?tag_name=web');
    assert.deepEqual((tagged.body.droplets as { name: string }[]).map((x) => x.name), ['d1']);

    const off = await api('POST', `/v2/droplets/${d.id}/actions`, { type: 'power_off' });
    assert.equal(off.status, 201);
    const action = off.body.action as { id: number; status: string; type: string };
    assert.deepEqual([action.status, action.type], ['in-progress', 'power_off']);
    const busy = await api('POST', `/v2/droplets/${d.id}/actions`, { type: 'power_on' });
    assert.equal(busy.status, 422, 'one pending event at a time');
    await poll(`/v2/actions/${action.id}`, (b) => (b.action as { status: string }).status === 'completed');
    assert.equal(((await api('GET', `/v2/droplets/${d.id}`)).body.droplet as { status: string }).status, 'off');

    fake.switches.failActions.set('power_on', 1);
    const on = (await api('POST', `/v2/droplets/${d.id}/actions`, { type: 'power_on' })).body.action as { id: number };
    await poll(`/v2/actions/${on.id}`, (b) => (b.action as { status: string }).status === 'errored');
    assert.equal(((await api('GET', `/v2/droplets/${d.id}`)).body.droplet as { status: string }).status, 'off', 'an errored action changes nothing');

    assert.equal((await api('POST', `/v2/droplets/${d.id}/actions`, { type: 'explode' })).status, 422);
    assert.equal((await api('DELETE', `/v2/droplets/${d.id}`)).status, 204);
    assert.equal((await api('GET', `/v2/droplets/${d.id}`)).status, 404);
  });

  it('refuses unknown regions, sizes and images as the API does', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ region: 'mars1' }, /Region is not available/],
      [{ size: 's-99' }, /Size is not available/],
      [{ image: 'beos-5' }, /invalid image/],
      [{ ssh_keys: [1] }, /invalid key identifiers/],
    ];
    for (const [extra, message] of cases) {
      const r = await droplet('bad', extra);
      assert.equal(r.status, 422);
      assert.equal(r.body.id, 'unprocessable_entity');
      assert.match(String(r.body.message), message);
    }
    assert.equal(fake.droplets.size, 0);
  });

  it('a droplet made while noAddress is set becomes active without any address', async () => {
    fake.switches.noAddress = true;
    const d = (await droplet('mute')).body.droplet as { id: number };
    const active = await poll(`/v2/droplets/${d.id}`, (b) => (b.droplet as { status: string }).status === 'active');
    assert.deepEqual((active.droplet as { networks: { v4: unknown[] } }).networks.v4, []);
  });
});
