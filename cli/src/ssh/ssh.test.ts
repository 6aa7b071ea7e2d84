import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { fingerprint, hostKeyLine, HostKeyMismatchError, keyType, knownHostsLine, sameHostKey } from './hostkey';
import { externalSshOptions, shellQuote, sshArgs } from './external';

function blob(type: string, body: string): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.from(body)]);
}

describe('host keys', () => {
  const key = blob('ssh-ed25519', 'key-material');
  const line = hostKeyLine(key);

  it('records a key as an OpenSSH public-key line', () => {
    assert.equal(keyType(key), 'ssh-ed25519');
    assert.equal(line, `ssh-ed25519 ${key.toString('base64')}`);
  });

  it('fingerprints like OpenSSH (SHA256, unpadded base64)', () => {
    const expected = 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
    assert.equal(fingerprint(line), expected);
    assert.equal(fingerprint(key), expected);
  });

  it('compares key material only', () => {
    assert.ok(sameHostKey(line, `${line} comment`));
    assert.ok(!sameHostKey(line, hostKeyLine(blob('ssh-ed25519', 'other'))));
  });

  it('writes known_hosts entries, bracketing non-default ports', () => {
    assert.equal(knownHostsLine('192.0.2.1', 22, line), `192.0.2.1 ${line}\n`);
    assert.equal(knownHostsLine('192.0.2.1', 2222, line), `[192.0.2.1]:2222 ${line}\n`);
  });

  it('explains a changed key and names the fix', () => {
    const e = new HostKeyMismatchError('192.0.2.1', 22, line, hostKeyLine(blob('ssh-ed25519', 'other')), 'dev');
    assert.match(e.message, /host key of 192\.0\.2\.1:22 has changed/);
    assert.match(e.message, /machine provision --reset-host-key dev/);
  });
});

describe('system ssh options', () => {
  it('checks the recorded key strictly, and only disables checking without one', () => {
    const strict = externalSshOptions({ port: 2222, user: 'root', keyPath: '/k' }, '/m/known_hosts');
    assert.ok(strict.includes('StrictHostKeyChecking=yes'));
    assert.ok(strict.includes('UserKnownHostsFile=/m/known_hosts'));
    assert.ok(strict.includes('IdentityFile=/k'));
    assert.ok(strict.includes('Port=2222'));
    const loose = externalSshOptions({ port: 22 });
    assert.ok(loose.includes('StrictHostKeyChecking=no'));
    assert.ok(loose.includes('UserKnownHostsFile=/dev/null'));
    assert.ok(!loose.includes('IdentitiesOnly=yes'));
  });

  it('keeps the remote command apart from ssh\'s own options', () => {
    assert.deepEqual(sshArgs(['-o', 'A=1'], 'h', ['ls', '-la'], false), ['-F', '/dev/null', '-o', 'A=1', 'h', '--', 'ls', '-la']);
    assert.deepEqual(sshArgs([], 'h', [], true), ['-F', '/dev/null', '-t', 'h']);
  });

  it('quotes for a POSIX shell', () => {
    assert.equal(shellQuote('plain/path'), 'plain/path');
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });
});
