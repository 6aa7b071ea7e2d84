import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DigitalOceanApi, DoApiError, DoNetworkError, type Timing } from './api';

interface Seen {
  method: string;
  url: string;
  auth?: string;
  body: string;
}

type Reply = { status: number; headers?: Record<string, string>; body?: unknown };

/** A loopback server answering from a script, recording what it was sent. */
async function server(reply: (req: Seen, n: number) => Reply): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body };
      seen.push(s);
      const r = reply(s, seen.length);
      res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
      res.end(r.body === undefined ? '' : JSON.stringify(r.body));
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => srv.close(() => resolve())),
  };
}

const FAST: Timing = { backoffMs: 5, maxBackoffMs: 20, maxRateWaitMs: 3000, pollMs: 5 };
let tokenN = 0;
const api = (url: string, extra: Partial<ConstructorParameters<typeof DigitalOceanApi>[0]> = {}) =>
  // A token per test: the rate budget is shared per token.
  new DigitalOceanApi({ baseUrl: url, token: `t${++tokenN}`, timing: FAST, ...extra });

describe('DigitalOcean API client', () => {
  it('sends the bearer token and JSON, and parses the answer', async () => {
    const s = await server(() => ({ status: 201, body: { ssh_key: { id: 7 } } }));
    try {
      const client = api(s.url);
      const out = await client.post<{ ssh_key: { id: number } }>('v2/account/keys', { name: 'm' });
      assert.equal(out.ssh_key.id, 7);
      assert.match(s.seen[0].auth ?? '', /^Bearer t\d+$/);
      assert.deepEqual(JSON.parse(s.seen[0].body), { name: 'm' });
    } finally {
      await s.close();
    }
  });

  it('follows links.pages.next, only ever to the configured API', async () => {
    const s = await server((req) => {
      const page = Number(new URL(req.url, 'http://x').searchParams.get('page') ?? 1);
      const next = page < 3 ? { pages: { next: `https://api.digitalocean.com/v2/droplets?page=${page + 1}&per_page=2&tag_name=t` } } : {};
      return { status: 200, body: { droplets: [{ id: page * 10 }, { id: page * 10 + 1 }], links: next, meta: { total: 6 } } };
    });
    try {
      const items = await api(s.url).list<{ id: number }>('v2/droplets', 'droplets', { query: { tag_name: 't' } });
      assert.deepEqual(items.map((i) => i.id), [10, 11, 20, 21, 30, 31]);
      assert.equal(s.seen.length, 3);
      assert.equal(s.seen[0].url, '/v2/droplets?per_page=200&tag_name=t');
      assert.equal(s.seen[2].url, '/v2/droplets?page=3&per_page=2&tag_name=t');
    } finally {
      await s.close();
    }
  });

  it('keeps a path prefix of the API URL when following links', async () => {
    const s = await server((req) => ({ status: 200, body: { regions: [{ slug: req.url }], links: /[?&]page=2/.test(req.url) ? {} : { pages: { next: 'https://other.example/proxy/v2/regions?page=2' } } } }));
    try {
      const items = await api(`${s.url}/proxy`).list<{ slug: string }>('v2/regions', 'regions');
      assert.deepEqual(items.map((i) => i.slug), ['/proxy/v2/regions?per_page=200', '/proxy/v2/regions?page=2']);
    } finally {
      await s.close();
    }
  });

  it('waits for ratelimit-reset after a 429, then succeeds', async () => {
    let reset = 0;
    const s = await server((_req, n) => {
      if (n === 1) {
        reset = Math.ceil(Date.now() / 1000) + 1;
        return { status: 429, headers: { 'ratelimit-remaining': '0', 'ratelimit-reset': String(reset) }, body: { id: 'too_many_requests', message: 'API Rate limit exceeded.' } };
      }
      return { status: 200, headers: { 'ratelimit-remaining': '4999', 'ratelimit-reset': String(reset + 3600) }, body: { account: {} } };
    });
    try {
      await api(s.url).get('v2/account');
      assert.equal(s.seen.length, 2);
      assert.ok(Date.now() >= reset * 1000, 'the retry came after the reset');
    } finally {
      await s.close();
    }
  });

  it('does not spend a request it knows will be refused: waits when ratelimit-remaining is 0', async () => {
    const times: number[] = [];
    let reset = 0;
    const s = await server((_req, n) => {
      times.push(Date.now());
      if (n === 1) reset = Math.ceil(Date.now() / 1000) + 1;
      return { status: 200, headers: { 'ratelimit-remaining': n === 1 ? '0' : '10', 'ratelimit-reset': String(reset) }, body: {} };
    });
    try {
      const client = api(s.url);
      await client.get('v2/account');
      await client.get('v2/account');
      assert.equal(s.seen.length, 2, 'no 429 was earned');
      assert.ok(times[1] >= reset * 1000, 'the second request waited for the reset');
    } finally {
      await s.close();
    }
  });

  it('retries 5xx with backoff and gives up after the retries, with the API\'s error', async () => {
    const s = await server((_req, n) => (n <= 2 ? { status: 503, body: { id: 'service_unavailable', message: 'try later' } } : { status: 200, body: { ok: true } }));
    try {
      assert.deepEqual(await api(s.url).get('v2/account'), { ok: true });
      assert.equal(s.seen.length, 3);
    } finally {
      await s.close();
    }
    const always = await server(() => ({ status: 500, body: { id: 'server_error', message: 'Server Error', request_id: 'r1' } }));
    try {
      const err = await api(always.url, { retries: 2 }).get('v2/account').then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof DoApiError);
      assert.equal(err.status, 500);
      assert.equal(err.id, 'server_error');
      assert.equal(err.requestId, 'r1');
      assert.equal(always.seen.length, 3);
    } finally {
      await always.close();
    }
  });

  it('does not retry other 4xx, and reads the error shape', async () => {
    const s = await server(() => ({ status: 404, body: { id: 'not_found', message: 'The resource you were accessing could not be found.' } }));
    try {
      const client = api(s.url);
      const err = await client.get('v2/droplets/1').then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof DoApiError);
      assert.equal(err.id, 'not_found');
      assert.equal(s.seen.length, 1);
      assert.equal(await client.delete('v2/droplets/1'), false, 'a DELETE of something gone is not an error');
    } finally {
      await s.close();
    }
  });

  it('a refused connection is a network error; a POST is not repeated', async () => {
    const s = await server(() => ({ status: 200 }));
    const url = s.url;
    await s.close();
    const err = await api(url, { retries: 1 }).post('v2/droplets', {}).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof DoNetworkError, String(err));
    assert.match(err.message, /ECONNREFUSED/);
  });

  it('stops waiting when the signal aborts', async () => {
    const s = await server(() => ({ status: 429, headers: { 'ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 30) }, body: { id: 'too_many_requests', message: 'slow down' } }));
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const started = Date.now();
      const err = await api(s.url).get('v2/account', { signal: controller.signal }).then(() => undefined, (e: unknown) => e);
      assert.ok(err, 'rejected');
      assert.ok(Date.now() - started < 2000, 'did not wait for the reset');
    } finally {
      await s.close();
    }
  });
});
