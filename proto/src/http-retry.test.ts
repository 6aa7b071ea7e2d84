import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import { abortableSleep, backoffDelay, fetchFailureReason, isRetriableStatus, retryDelay, serverRetryDelay } from './http-retry';

describe('http-retry', () => {
  it('retries throttling and gateway failures always, a 500 only when the request can be repeated', () => {
    assert.deepEqual([429, 502, 503, 504].map((s) => isRetriableStatus(s, false)), [true, true, true, true]);
    assert.equal(isRetriableStatus(500, true), true);
    assert.equal(isRetriableStatus(500, false), false);
    assert.deepEqual([400, 401, 404, 409, 422].map((s) => isRetriableStatus(s)), [false, false, false, false, false]);
  });

  it('backs off exponentially up to the cap, with half of each delay random', () => {
    const b = { baseMs: 100, maxMs: 1000 };
    assert.deepEqual([0, 1, 2, 3, 4].map((a) => backoffDelay(a, b, () => 0)), [50, 100, 200, 400, 500]);
    assert.deepEqual([0, 1, 2, 3, 4].map((a) => backoffDelay(a, b, () => 1)), [100, 200, 400, 800, 1000]);
  });

  it('reads the server\'s wait from Retry-After (seconds or a date) or RateLimit-Reset', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    assert.equal(serverRetryDelay(new Headers({ 'retry-after': '3' }), now), 3000);
    assert.equal(serverRetryDelay(new Headers({ 'retry-after': new Date(now + 5000).toUTCString() }), now), 5000);
    assert.equal(serverRetryDelay(new Headers({ 'ratelimit-reset': String(now / 1000 + 2) }), now), 2000);
    assert.equal(serverRetryDelay(new Headers({ 'ratelimit-reset': String(now / 1000 - 2) }), now), undefined, 'a reset in the past');
    assert.equal(serverRetryDelay(new Headers({}), now), undefined);
  });

  it('waits as the server asks on 429 and 503, capped, and backs off otherwise', () => {
    const b = { baseMs: 100, maxMs: 1000, maxWaitMs: 2000 };
    assert.equal(retryDelay(429, new Headers({ 'retry-after': '1' }), 0, b), 1050);
    assert.equal(retryDelay(503, new Headers({ 'retry-after': '60' }), 0, b), 2000);
    const plain = retryDelay(502, new Headers({ 'retry-after': '60' }), 1, b);
    assert.ok(plain >= 100 && plain <= 200, String(plain));
  });

  it('ends a sleep at once when the call is cancelled, with the reason', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const sleeping = abortableSleep(10_000, ac.signal);
    ac.abort(new Error('cancelled by the user'));
    await assert.rejects(sleeping, /cancelled by the user/);
    assert.ok(Date.now() - started < 1000);
  });

  it('names why a fetch got no answer', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const err = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    assert.equal(fetchFailureReason(err), 'ECONNREFUSED');
    assert.equal(fetchFailureReason(new Error('boom')), 'boom');
  });
});
