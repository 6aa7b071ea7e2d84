import { strict as assert } from 'node:assert';
import { DriverError } from './driver';
import { flagReader } from './flag-values';

describe('flagReader', () => {
  const r = flagReader({ 'x-name': '  web  ', 'x-blank': ' ', 'x-tags': ['a', 'b'], 'x-on': 'true', 'x-one': '1', 'x-off': 'false', 'x-b': true, 'x-n': 3, 'x-ns': '42', 'x-bad': '4.5', 'x-empty': '' }, 'x');

  it('reads strings trimmed, blank as unset and lists joined', () => {
    assert.equal(r.string('name'), 'web');
    assert.equal(r.string('blank'), undefined);
    assert.equal(r.string('missing'), undefined);
    assert.equal(r.string('tags'), 'a,b');
  });

  it('reads booleans from booleans and environment strings, unset as undefined', () => {
    assert.deepEqual(['on', 'one', 'off', 'b', 'missing', 'empty'].map((n) => r.bool(n)), [true, true, false, true, undefined, undefined]);
  });

  it('reads whole numbers and refuses others with one line naming the flag', () => {
    assert.equal(r.int('n', 0), 3);
    assert.equal(r.int('ns', 0), 42);
    assert.equal(r.int('missing', 7), 7);
    assert.equal(r.int('empty', 7), 7);
    assert.throws(
      () => r.int('bad', 0),
      (err: unknown) => err instanceof DriverError && err.code === 'invalid-argument' && err.flag === 'x-bad' && err.message === '--x-bad must be a whole number, not "4.5"',
    );
  });

  it('builds invalid-argument errors on the full flag name', () => {
    const err = r.invalid('zone', 'no such zone', 'pick another');
    assert.equal(err.code, 'invalid-argument');
    assert.equal(err.flag, 'x-zone');
    assert.equal(r.flag('zone'), 'x-zone');
  });
});
