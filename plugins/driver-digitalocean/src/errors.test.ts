import { strict as assert } from 'node:assert';
import { DriverError } from '@machine/driver-sdk';
import { DoApiError, DoNetworkError } from './api';
import { translateError } from './errors';
import { stateFromFlags } from './flags';

const state = stateFromFlags({ 'digitalocean-region': 'xyz1', 'digitalocean-size': 's-9', 'digitalocean-image': 'arch' }, { name: 'm', storePath: '/s', machineDir: '/s/machines/m' }, 'tag');
const apiError = (status: number, id: string, message: string) => new DoApiError(status, id, message, 'POST', '/v2/droplets');
const translate = (err: unknown) => translateError(err, { ...state, AccessToken: 'secret-token-value' }, 'create the droplet') as DriverError;

describe('digitalocean errors', () => {
  it('names the flag and carries the API\'s id and message', () => {
    const cases: [DoApiError, string, string][] = [
      [apiError(401, 'unauthorized', 'Unable to authenticate you'), 'unauthenticated', 'digitalocean-access-token'],
      [apiError(422, 'unprocessable_entity', 'Region is not available'), 'invalid-argument', 'digitalocean-region'],
      [apiError(422, 'unprocessable_entity', 'Size is not available in this region.'), 'invalid-argument', 'digitalocean-size'],
      [apiError(422, 'unprocessable_entity', 'You specified an invalid image for Droplet creation.'), 'invalid-argument', 'digitalocean-image'],
    ];
    for (const [err, code, flag] of cases) {
      const out = translate(err);
      assert.ok(out instanceof DriverError);
      assert.equal(out.code, code);
      assert.equal(out.flag, flag);
      assert.ok(out.message.includes(err.id) && out.message.includes(err.apiMessage), out.message);
      assert.ok(out.message.includes(`--${flag}`), out.message);
      assert.ok(!out.message.includes('\n'));
      assert.ok(!out.message.includes('secret-token-value') && !(out.detail ?? '').includes('secret-token-value'));
    }
  });

  it('doctl credentials name the context', () => {
    const out = translateError(apiError(401, 'unauthorized', 'Unable to authenticate you'), { ...state, AccessToken: undefined, DoctlContext: 'work' }, 'x') as DriverError;
    assert.equal(out.flag, 'digitalocean-context');
  });

  it('5xx and 429 that outlived the retries are unavailable; a lost API names the URL flag', () => {
    assert.equal(translate(apiError(500, 'server_error', 'Server Error')).code, 'unavailable');
    assert.equal(translate(apiError(429, 'too_many_requests', 'API Rate limit exceeded.')).code, 'unavailable');
    const lost = translateError(new DoNetworkError('http://127.0.0.1:9', 'GET', '/v2/account', new Error('x')), { ...state, ApiURL: 'http://127.0.0.1:9' }, 'read the account') as DriverError;
    assert.equal(lost.code, 'unavailable');
    assert.equal(lost.flag, 'digitalocean-api-url');
  });
});
