import { strict as assert } from 'node:assert';
import { createPrivateKey, createPublicKey, createSign, createVerify } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateEd25519HostKey, generateSSHKeyPair } from './ssh-key';

function readSSHString(buf: Buffer, offset: number): [Buffer, number] {
  const len = buf.readUInt32BE(offset);
  return [buf.subarray(offset + 4, offset + 4 + len), offset + 4 + len];
}

describe('generateSSHKeyPair', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sshkey-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes a 0600 PEM private key and a matching authorized_keys line', async () => {
    const pair = await generateSSHKeyPair(path.join(dir, 'm'), { comment: 'machine-dev' });
    const stat = await fs.stat(pair.privateKeyPath);
    assert.equal(stat.mode & 0o777, 0o600);
    const pem = await fs.readFile(pair.privateKeyPath, 'utf8');
    assert.match(pem, /^-----BEGIN RSA PRIVATE KEY-----/);
    assert.equal((await fs.readFile(pair.publicKeyPath, 'utf8')).trim(), pair.authorizedKey);

    const [type, b64, comment] = pair.authorizedKey.split(' ');
    assert.equal(type, 'ssh-rsa');
    assert.equal(comment, 'machine-dev');
    const blob = Buffer.from(b64, 'base64');
    const [name, o1] = readSSHString(blob, 0);
    const [e, o2] = readSSHString(blob, o1);
    const [n, o3] = readSSHString(blob, o2);
    assert.equal(name.toString(), 'ssh-rsa');
    assert.equal(o3, blob.length);
    assert.equal(n[0], 0, 'modulus with its high bit set carries a leading zero');

    const jwk = createPublicKey(createPrivateKey(pem)).export({ format: 'jwk' });
    assert.equal(Buffer.from(jwk.n as string, 'base64url').toString('hex'), n.subarray(1).toString('hex'));
    assert.equal(Buffer.from(jwk.e as string, 'base64url').toString('hex'), e.toString('hex'));

    const data = Buffer.from('challenge');
    const sig = createSign('sha256').update(data).sign(pem);
    assert.ok(createVerify('sha256').update(data).verify(createPublicKey(createPrivateKey(pem)), sig));
  });

  it('produces keys that OpenSSH reads', async function () {
    try {
      execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('ssh-keygen is missing: install openssh-client (scripts/setup-host.sh does)');
    }
    const pair = await generateSSHKeyPair(dir);
    const derived = execFileSync('ssh-keygen', ['-y', '-f', pair.privateKeyPath], { encoding: 'utf8' }).trim();
    assert.equal(derived.split(' ').slice(0, 2).join(' '), pair.authorizedKey.split(' ').slice(0, 2).join(' '));
  });
});

describe('generateEd25519HostKey', () => {
  it('writes a key OpenSSH reads, whose public half matches', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hostkey-'));
    try {
      const key = generateEd25519HostKey('root@dev');
      assert.match(key.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
      const file = path.join(dir, 'ssh_host_ed25519_key');
      await fs.writeFile(file, key.privateKey, { mode: 0o600 });
      const derived = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
      assert.equal(derived.split(' ').slice(0, 2).join(' '), key.publicKey.split(' ').slice(0, 2).join(' '));
      const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', file], { encoding: 'utf8' });
      assert.match(fingerprint, /^256 SHA256:\S+ root@dev \(ED25519\)/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('makes a new key each time', () => {
    assert.notEqual(generateEd25519HostKey('a').publicKey, generateEd25519HostKey('a').publicKey);
  });
});
