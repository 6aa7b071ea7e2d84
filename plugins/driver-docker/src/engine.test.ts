import { strict as assert } from 'node:assert';
import { connectEngine, engineMessage, isConnectionError, isNotFound } from './engine';

describe('engine client', () => {
  it('ignores DOCKER_HOST and friends: after `machine env` they name a machine', () => {
    const saved = { ...process.env };
    process.env.DOCKER_HOST = 'tcp://192.0.2.1:2376';
    process.env.DOCKER_CERT_PATH = '/nonexistent';
    process.env.DOCKER_TLS_VERIFY = '1';
    try {
      const docker = connectEngine({ host: 'unix:///run/test.sock' });
      const modem = docker.modem as unknown as { socketPath?: string; host?: string };
      assert.equal(modem.socketPath, '/run/test.sock');
      assert.equal(modem.host, undefined);
      assert.equal(process.env.DOCKER_HOST, 'tcp://192.0.2.1:2376', 'the environment is restored');
    } finally {
      process.env = saved;
    }
  });

  it('names a missing certificate file', () => {
    assert.throws(() => connectEngine({ host: 'tcp://127.0.0.1:2376', certPath: '/nonexistent' }), /cannot read ca\.pem in \/nonexistent/);
  });

  it('reads the engine message and classifies errors', () => {
    const apiError = Object.assign(new Error('(HTTP code 404) no such container - No such container: x'), { statusCode: 404, json: { message: 'No such container: x' } });
    assert.equal(engineMessage(apiError), 'No such container: x');
    assert.ok(isNotFound(apiError));
    assert.ok(!isConnectionError(apiError));
    const refused = Object.assign(new Error('connect ECONNREFUSED /x.sock'), { code: 'ECONNREFUSED' });
    assert.ok(isConnectionError(refused));
    assert.equal(engineMessage(refused), 'connect ECONNREFUSED /x.sock');
  });
});
