// The local Exoscale-like API on the wire, with plain fetch and addresses
// only (no hosts): signed requests, operations that stay pending until the
// work is done, the instance states, and `{"message"}` errors.
import { strict as assert } from 'node:assert';
import { generateSSHKeyPair } from '@machine/driver-sdk';
import { AddressOnlyHosts } from '../fakes/common/hosts';
import { API_KEY, API_SECRET, exoSignature, fingerprintOf, INSTANCE_TYPES, TEMPLATES, startFakeExoscale, type FakeExoscale } from '../fakes/exoscale';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe('local Exoscale-like API', function () {
  this.timeout(30_000);
  let fake: FakeExoscale;

  const api = async (method: string, path: string, body?: unknown, opts: { secret?: string; key?: string; expires?: number } = {}): Promise<Answer> => {
    const payload = body === undefined ? '' : JSON.stringify(body);
    const expires = opts.expires ?? Math.floor(Date.now() / 1000) + 300;
    const url = new URL(fake.url + path);
    const signature = exoSignature(opts.secret ?? API_SECRET, method, url.pathname, payload, expires);
    const res = await fetch(url, {
      method,
      headers: { authorization: `EXO2-HMAC-SHA256 credential=${opts.key ?? API_KEY},expires=${expires},signature=${signature}`, ...(payload ? { 'content-type': 'application/json' } : {}) },
      body: payload || undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const settled = async (op: Record<string, unknown>): Promise<Record<string, unknown>> => {
    for (let n = 0; n < 200; n++) {
      const a = await api('GET', `/operation/${String(op.id)}`);
      if (a.body.state !== 'pending') return a.body;
      await new Promise((r) => setTimeout(r, 25));
    }
    return assert.fail(`operation ${String(op.id)} stayed pending`);
  };

  beforeEach(async () => {
    fake = await startFakeExoscale({ hosts: new AddressOnlyHosts(), operationMs: 50 });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('refuses unsigned, wrongly signed, expired and unknown-key requests with 403 and a message', async () => {
    const unsigned = await fetch(`${fake.url}/zone`);
    assert.equal(unsigned.status, 403);
    assert.match(((await unsigned.json()) as { message: string }).message, /Authorization/);
    assert.equal((await api('GET', '/zone', undefined, { secret: 'wrong' })).status, 403);
    assert.equal((await api('GET', '/zone', undefined, { key: 'EXOnotakey' })).status, 403);
    assert.equal((await api('GET', '/zone', undefined, { expires: Math.floor(Date.now() / 1000) - 10 })).status, 403);
    const zones = await api('GET', '/zone');
    assert.equal(zones.status, 200);
    assert.deepEqual(zones.body, { zones: [{ name: 'ch-gva-2' }] });
  });

  it('registers an SSH key, makes an instance behind a pending operation, stops, starts and deletes it', async () => {
    const { publicKey } = await generateSSHKeyPair('test');
    const key = await api('POST', '/ssh-key', { name: 'k1', 'public-key': publicKey });
    assert.equal(key.status, 200);
    assert.equal((await settled(key.body)).state, 'success');
    assert.equal(fake.sshKeys.get('k1')?.fingerprint, fingerprintOf(publicKey));
    assert.equal((await api('POST', '/ssh-key', { name: 'k1', 'public-key': publicKey })).status, 409);

    const made = await api('POST', '/instance', { name: 'vm1', 'instance-type': { id: INSTANCE_TYPES[0].id }, template: { id: TEMPLATES[0].id }, 'disk-size': 20, 'ssh-key': { name: 'k1' } });
    assert.equal(made.status, 200);
    assert.equal(made.body.state, 'pending');
    const id = String((made.body.reference as { id: string }).id);
    const done = await settled(made.body);
    assert.equal(done.state, 'success');
    const vm = await api('GET', `/instance/${id}`);
    assert.equal(vm.body.state, 'running');
    assert.match(String(vm.body['public-ip']), /^198\.51\.100\.\d+$/);

    assert.equal((await api('PUT', `/instance/${id}:start`)).status, 409, 'a running instance cannot be started');
    await settled((await api('PUT', `/instance/${id}:stop`)).body);
    assert.equal((await api('GET', `/instance/${id}`)).body.state, 'stopped');
    await settled((await api('PUT', `/instance/${id}:start`)).body);
    assert.equal((await api('GET', `/instance/${id}`)).body.state, 'running');

    await settled((await api('DELETE', `/instance/${id}`)).body);
    const gone = await api('GET', `/instance/${id}`);
    assert.equal(gone.status, 404);
    assert.match(String(gone.body.message), /not found/);
    await settled((await api('DELETE', '/ssh-key/k1')).body);
    assert.equal(fake.sshKeys.size, 0);
  });

  it('rejects a bad instance request with 400, and injected faults by route', async () => {
    const bad = await api('POST', '/instance', { name: 'vm', 'instance-type': { id: 'nope' }, template: { id: TEMPLATES[0].id }, 'disk-size': 20 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.message, 'invalid instance-type');
    fake.faults.inject({ status: 500, code: 'server_error', message: 'internal error' }, { operation: 'GET /zone' });
    const failed = await api('GET', '/zone');
    assert.equal(failed.status, 500);
    assert.equal(failed.body.message, 'internal error');
    assert.equal((await api('GET', '/zone')).status, 200);
  });
});
