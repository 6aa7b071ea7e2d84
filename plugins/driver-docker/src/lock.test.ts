import { strict as assert } from 'node:assert';
import { withLock } from './lock';
import { sleep } from './wait';

describe('withLock', () => {
  it('runs holders of the same key one at a time, and different keys together', async () => {
    const key = `test-${process.pid}-${Date.now()}`;
    const events: string[] = [];
    const hold = (name: string, k: string) =>
      withLock(k, async () => {
        events.push(`${name} in`);
        await sleep(50);
        events.push(`${name} out`);
      });
    await Promise.all([hold('a', key), hold('b', key)]);
    assert.ok(
      events.join() === 'a in,a out,b in,b out' || events.join() === 'b in,b out,a in,a out',
      `interleaved: ${events.join()}`,
    );
    events.length = 0;
    await Promise.all([hold('c', `${key}-1`), hold('d', `${key}-2`)]);
    assert.deepEqual(events.slice(0, 2).sort(), ['c in', 'd in']);
  });

  it('releases the lock when the holder throws', async () => {
    const key = `test-throw-${process.pid}-${Date.now()}`;
    await assert.rejects(withLock(key, async () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await withLock(key, async () => 'again'), 'again');
  });
});
