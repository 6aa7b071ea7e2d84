import { strict as assert } from 'node:assert';
import { createPrivateKey, createPublicKey, createSign, createVerify } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateEd25519HostKey, generateSSHKeyPair, publicKeyFromPrivate, writeSSHKeyPair } from './ssh-keys';

function readSSHString(buf: Buffer, offset: number): [Buffer, number] {
  const len = buf.readUInt32BE(offset);
  return [buf.subarray(offset + 4, offset + 4 + len), offset + 4 + len];
}

function sshKeygen(args: string[]): string {
  try {
    return execFileSync('ssh-keygen', args, { encoding: 'utf8' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('ssh-keygen is missing: install openssh-client (scripts/setup-host.sh does)');
    throw err;
  }
}

describe('SSH key pairs', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sshkey-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('makes a 2048-bit PKCS#1 RSA key and a matching authorized_keys line', async () => {
    const pair = await generateSSHKeyPair('machine-dev');
    assert.match(pair.privateKey, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.equal(createPublicKey(pair.privateKey).asymmetricKeyDetails?.modulusLength, 2048);

    const [type, b64, comment] = pair.publicKey.split(' ');
    assert.equal(type, 'ssh-rsa');
    assert.equal(comment, 'machine-dev');
    const blob = Buffer.from(b64, 'base64');
    const [name, o1] = readSSHString(blob, 0);
    const [e, o2] = readSSHString(blob, o1);
    const [n, o3] = readSSHString(blob, o2);
    assert.equal(name.toString(), 'ssh-rsa');
    assert.equal(o3, blob.length);
    assert.equal(n[0], 0, 'modulus with its high bit set carries a leading zero');

    const jwk = createPublicKey(createPrivateKey(pair.privateKey)).export({ format: 'jwk' });
    assert.equal(Buffer.from(jwk.n as string, 'base64url').toString('hex'), n.subarray(1).toString('hex'));
    assert.equal(Buffer.from(jwk.e as string, 'base64url').toString('hex'), e.toString('hex'));

    const data = Buffer.from('challenge');
    const sig = createSign('sha256').update(data).sign(pair.privateKey);
    assert.ok(createVerify('sha256').update(data).verify(createPublicKey(createPrivateKey(pair.privateKey)), sig));
  });

  it('leaves the comment out when none is given, and derives the public key from the private one', async () => {
    const pair = await generateSSHKeyPair();
    assert.match(pair.publicKey, /^ssh-rsa AAAAB3NzaC1yc2E[A-Za-z0-9+/]+=*$/);
    assert.equal(publicKeyFromPrivate(pair.privateKey), pair.publicKey);
    assert.throws(() => publicKeyFromPrivate('not a key'));
  });

  it('writes a 0600 private key and its .pub, creating the directory, in a form OpenSSH reads', async () => {
    const pair = await generateSSHKeyPair('m1');
    const keyPath = path.join(dir, 'machines', 'm1', 'id_rsa');
    const files = await writeSSHKeyPair(keyPath, pair);
    assert.deepEqual(files, { privateKeyPath: keyPath, publicKeyPath: `${keyPath}.pub` });
    assert.equal((await fs.stat(keyPath)).mode & 0o777, 0o600);
    assert.equal((await fs.stat(path.dirname(keyPath))).mode & 0o777, 0o700);
    assert.equal(await fs.readFile(keyPath, 'utf8'), pair.privateKey);
    assert.equal(await fs.readFile(files.publicKeyPath, 'utf8'), `${pair.publicKey}\n`);
    assert.deepEqual((await fs.readdir(path.dirname(keyPath))).sort(), ['id_rsa', 'id_rsa.pub'], 'no temporary files are left');

    const derived = sshKeygen(['-y', '-f', keyPath]).trim();
    assert.equal(derived.split(' ').slice(0, 2).join(' '), pair.publicKey.split(' ').slice(0, 2).join(' '));
  });

  it('removes its temporary files when a write fails', async () => {
    const pair = await generateSSHKeyPair();
    const keyPath = path.join(dir, 'id_rsa');
    // A directory where the public key goes makes the second rename fail.
    await fs.mkdir(`${keyPath}.pub`);
    await fs.writeFile(path.join(`${keyPath}.pub`, 'x'), '');
    await assert.rejects(writeSSHKeyPair(keyPath, pair));
    assert.deepEqual((await fs.readdir(dir)).filter((f) => f.includes('.tmp-')), []);
    assert.deepEqual((await fs.readdir(dir)).filter((f) => f.startsWith('id_rsa')).sort(), ['id_rsa', 'id_rsa.pub'], 'no temporary file of any name is left');
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
      const derived = sshKeygen(['-y', '-f', file]).trim();
      assert.equal(derived.split(' ').slice(0, 2).join(' '), key.publicKey.split(' ').slice(0, 2).join(' '));
      const fingerprint = sshKeygen(['-l', '-f', file]);
      assert.match(fingerprint, /^256 SHA256:\S+ root@dev \(ED25519\)/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('makes a new key each time', () => {
    assert.notEqual(generateEd25519HostKey('a').publicKey, generateEd25519HostKey('a').publicKey);
  });

  // ssh2's own ed25519 generator makes about 1 key in 200 that its parser
  // rejects; ours must never, since test hosts and machines depend on it.
  it('makes keys that ssh2 parses, every time (2000 keys)', async () => {
    const { utils } = await import('ssh2');
    for (let i = 0; i < 2000; i++) {
      const key = generateEd25519HostKey(`k${i}`);
      const parsed = utils.parseKey(key.privateKey);
      assert.ok(!(parsed instanceof Error), `key ${i}: ${parsed instanceof Error ? parsed.message : ''}`);
      assert.equal((Array.isArray(parsed) ? parsed[0] : parsed).type, 'ssh-ed25519');
    }
  });
});
