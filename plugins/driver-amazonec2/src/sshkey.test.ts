import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createPublicKey } from 'node:crypto';
import { generateSSHKeyPair, publicKeyFromPrivate, writeSSHKeyPair } from './sshkey';

describe('amazonec2 SSH keys', () => {
  it('writes an RSA key pair whose public half matches the private key', async () => {
    const pair = await generateSSHKeyPair('m1');
    assert.match(pair.privateKey, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.match(pair.publicKey, /^ssh-rsa AAAAB3NzaC1yc2E[A-Za-z0-9+/]+=* m1$/);
    assert.equal(publicKeyFromPrivate(pair.privateKey), pair.publicKey.replace(/ m1$/, ''));
    assert.equal(createPublicKey(pair.privateKey).asymmetricKeyDetails?.modulusLength, 2048);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec2-key-'));
    try {
      const keyPath = path.join(dir, 'id_rsa');
      await writeSSHKeyPair(keyPath, pair);
      assert.equal(fs.statSync(keyPath).mode & 0o777, 0o600);
      // OpenSSH derives the same public key from the private one.
      const derived = execFileSync('ssh-keygen', ['-y', '-f', keyPath], { encoding: 'utf8' }).trim();
      assert.equal(derived.split(' ').slice(0, 2).join(' '), pair.publicKey.split(' ').slice(0, 2).join(' '));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
