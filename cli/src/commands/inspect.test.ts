import * as assert from 'node:assert/strict';
import { MASK, maskSecrets, referenceRecord, sortedKeys } from './inspect';
import { newHostConfig } from '../store/host';

describe('inspect masking', () => {
  it('masks secret-looking keys and keys the driver schema marks sensitive, not key paths', () => {
    const state = {
      AccessToken: 'tok',
      SecretKey: 'sk',
      Password: 'pw',
      SSHKeyPath: '/x/id_rsa',
      KeyPairName: 'kp',
      Region: 'us-east-1',
      Nested: { ApiKey: 'k', Empty: '' },
      Password2: '',
    };
    const out = maskSecrets(state, new Set(['region'])) as Record<string, unknown>;
    assert.equal(out.AccessToken, MASK);
    assert.equal(out.SecretKey, MASK);
    assert.equal(out.Password, MASK);
    assert.equal(out.SSHKeyPath, '/x/id_rsa');
    assert.equal(out.KeyPairName, 'kp');
    assert.equal(out.Region, MASK);
    assert.deepEqual(out.Nested, { ApiKey: MASK, Empty: '' });
    assert.equal(out.Password2, '', 'empty values stay visible: nothing to hide');
  });
});

describe('inspect shape', () => {
  it('prints only the reference\'s five top-level keys, in its order', () => {
    const host = { ...newHostConfig({ storeRoot: '/s', name: 'm', driverName: 'none' }), Machine: { LastURL: 'tcp://192.0.2.1:2376' } };
    assert.deepEqual(Object.keys(referenceRecord(host)), ['ConfigVersion', 'Driver', 'DriverName', 'HostOptions', 'Name']);
  });

  it('hands templates every map with sorted keys, as a Go map would be', () => {
    const sorted = sortedKeys({ URL: 'u', MachineName: 'm', Nested: { b: 1, a: [{ z: 1, y: 2 }] } });
    assert.equal(JSON.stringify(sorted), '{"MachineName":"m","Nested":{"a":[{"y":2,"z":1}],"b":1},"URL":"u"}');
  });
});
