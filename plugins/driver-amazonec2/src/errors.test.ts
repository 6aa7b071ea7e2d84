import { strict as assert } from 'node:assert';
import { DriverError } from '@machine/driver-sdk';
import { translateError } from './errors';
import { stateFromFlags } from './flags';

const state = stateFromFlags({ 'amazonec2-ami': 'ami-0123', 'amazonec2-access-key': 'AKID', 'amazonec2-secret-key': 's' }, { name: 'm', storePath: '/s', machineDir: '/s/machines/m' });

function awsError(code: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name: code, Code: code, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

describe('amazonec2 error translation', () => {
  const cases: [string, string, string | undefined, DriverError['code']][] = [
    ['SignatureDoesNotMatch', 'The request signature we calculated does not match', 'amazonec2-secret-key', 'unauthenticated'],
    ['AuthFailure', 'AWS was not able to validate the provided access credentials', 'amazonec2-access-key', 'unauthenticated'],
    ['UnauthorizedOperation', 'You are not authorized to perform this operation.', 'amazonec2-access-key', 'permission-denied'],
    ['InvalidAMIID.NotFound', "The image id '[ami-0123]' does not exist", 'amazonec2-ami', 'invalid-argument'],
    ['InvalidSubnetID.NotFound', 'no subnet', 'amazonec2-subnet-id', 'invalid-argument'],
    ['InsufficientInstanceCapacity', 'no capacity', 'amazonec2-zone', 'resource-exhausted'],
    ['RequestLimitExceeded', 'Request limit exceeded.', 'amazonec2-retries', 'unavailable'],
  ];
  for (const [code, message, flag, kind] of cases) {
    it(`${code} → ${kind}${flag ? `, --${flag}` : ''}`, () => {
      const e = translateError(awsError(code, message), state, 'launch the instance');
      assert.ok(e instanceof DriverError);
      assert.equal(e.code, kind);
      assert.equal(e.flag, flag);
      assert.ok(!e.message.includes('\n'), 'one line');
      assert.match(e.detail ?? '', new RegExp(code.replace('.', '\\.')));
    });
  }

  it('names the profile when credentials come from one', () => {
    const profiled = { ...state, AccessKey: undefined, SecretKey: undefined, Profile: 'dm' };
    assert.equal((translateError(awsError('SignatureDoesNotMatch', 'x', 403), profiled, 'x') as DriverError).flag, 'amazonec2-profile');
    const missing = translateError(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), profiled, 'x') as DriverError;
    assert.equal(missing.flag, 'amazonec2-profile');
    assert.match(missing.message, /profile "dm"/);
  });

  it('keeps other errors, marking 5xx as unavailable', () => {
    const e = translateError(awsError('InternalError', 'boom', 500), state, 'describe the instance') as DriverError;
    assert.equal(e.code, 'unavailable');
    assert.match(e.message, /describe the instance: InternalError: boom/);
    const refused = translateError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), { ...state, Endpoint: 'http://127.0.0.1:9' }, 'x') as DriverError;
    assert.equal(refused.flag, 'amazonec2-endpoint');
  });
});
