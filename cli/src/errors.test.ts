import * as assert from 'node:assert/strict';
import { EXIT_PRECREATE, MachineError } from './errors';

/** An error of a lower layer, known to MachineError.from only by its name. */
function named(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

describe('MachineError', () => {
  it('from() keeps a MachineError as it is', () => {
    const e = new MachineError('precreate', 'no');
    assert.equal(MachineError.from(e, 'driver', 'ctx'), e);
    assert.equal(e.exitCode, EXIT_PRECREATE);
  });

  it('from() gives provisioning, SSH and TLS failures their own codes, anything else the fallback', () => {
    assert.equal(MachineError.from(named('ProvisionError', 'apt failed')).code, 'provision');
    assert.equal(MachineError.from(named('SshWaitTimeoutError', 'no banner')).code, 'ssh');
    assert.equal(MachineError.from(named('HostKeyMismatchError', 'changed')).code, 'ssh-host-key');
    assert.equal(MachineError.from(named('DaemonError', 'bad cert')).code, 'tls');
    assert.equal(MachineError.from(new Error('boom')).code, 'driver');
    assert.equal(MachineError.from('plain string', 'internal').code, 'internal');
  });

  it('from() prefixes the context and keeps the cause', () => {
    const cause = new Error('refused');
    const e = MachineError.from(cause, 'driver', 'Cannot start driver "x"');
    assert.equal(e.message, 'Cannot start driver "x": refused');
    assert.equal(e.cause, cause);
  });

  it('is() checks by code, also for a copy made by another module instance', () => {
    const copy = Object.assign(new Error('gone'), { name: 'MachineError', code: 'not-found', exitCode: 1 });
    assert.ok(MachineError.is(copy));
    assert.ok(MachineError.is(copy, 'not-found', 'store'));
    assert.ok(!MachineError.is(copy, 'usage'));
    assert.ok(!MachineError.is(new Error('x')));
  });
});
