import * as assert from 'node:assert/strict';
import { MASK, maskSecrets } from './inspect';

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
