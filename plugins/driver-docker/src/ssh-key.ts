// SSH key pair for a machine: an RSA private key in PEM (PKCS#1, which both
// OpenSSH and ssh2 read) and its public half in authorized_keys format.
// Written with Node's crypto so the driver needs no ssh-keygen on the host.
import { generateKeyPair, generateKeyPairSync, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface SSHKeyPair {
  privateKeyPath: string;
  publicKeyPath: string;
  /** One authorized_keys line: "ssh-rsa AAAA... comment". */
  authorizedKey: string;
}

/** SSH wire encoding of an unsigned big integer (RFC 4251 mpint). */
function mpint(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  let body = bytes.subarray(start);
  // A set high bit would read as negative; a leading zero keeps it positive.
  if (body[0] & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return sshString(body);
}

function sshString(body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** authorized_keys line for an RSA public key given as a JWK's e and n. */
export function rsaAuthorizedKey(e: string, n: string, comment: string): string {
  const blob = Buffer.concat([
    sshString(Buffer.from('ssh-rsa')),
    mpint(Buffer.from(e, 'base64url')),
    mpint(Buffer.from(n, 'base64url')),
  ]);
  return `ssh-rsa ${blob.toString('base64')} ${comment}`;
}

/**
 * Generates an RSA key pair and writes `dir/name` (0600) and `dir/name.pub`.
 * The files are written under temporary names and renamed, so a failure
 * never leaves half a key behind.
 */
export async function generateSSHKeyPair(dir: string, options: { name?: string; comment?: string; bits?: number } = {}): Promise<SSHKeyPair> {
  const name = options.name ?? 'id_rsa';
  const keys = await generateKeyPairAsync('rsa', { modulusLength: options.bits ?? 2048 });
  const privateKey = keys.privateKey.export({ type: 'pkcs1', format: 'pem' });
  const jwk = keys.publicKey.export({ format: 'jwk' });
  if (!jwk.e || !jwk.n) throw new Error('generated RSA public key has no modulus or exponent');
  const authorizedKey = rsaAuthorizedKey(jwk.e, jwk.n, options.comment ?? 'machine');

  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const privateKeyPath = path.join(dir, name);
  const publicKeyPath = `${privateKeyPath}.pub`;
  const suffix = `.tmp-${process.pid}`;
  try {
    await fs.writeFile(privateKeyPath + suffix, privateKey, { mode: 0o600 });
    await fs.writeFile(publicKeyPath + suffix, `${authorizedKey}\n`, { mode: 0o644 });
    await fs.rename(privateKeyPath + suffix, privateKeyPath);
    await fs.rename(publicKeyPath + suffix, publicKeyPath);
  } catch (err) {
    await Promise.all([privateKeyPath + suffix, publicKeyPath + suffix].map((p) => fs.rm(p, { force: true })));
    throw err;
  }
  return { privateKeyPath, publicKeyPath, authorizedKey };
}

export interface HostKey {
  /** OpenSSH's own private key format ("openssh-key-v1"), the only one sshd reads Ed25519 keys from. */
  privateKey: string;
  /** "ssh-ed25519 AAAA... comment" */
  publicKey: string;
}

/**
 * An Ed25519 SSH host key. Made here, a host key costs a millisecond; made
 * at the container's first boot (ssh-keygen -A, with RSA) it costs seconds
 * on the way to a reachable sshd.
 */
export function generateEd25519HostKey(comment: string): HostKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  // The raw keys are the last 32 bytes of their DER encodings.
  const pub = publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
  const seed = privateKey.export({ type: 'pkcs8', format: 'der' }).subarray(-32);
  const keyType = Buffer.from('ssh-ed25519');
  const publicBlob = Buffer.concat([sshString(keyType), sshString(pub)]);

  const check = randomBytes(4);
  let secret = Buffer.concat([
    check,
    check,
    sshString(keyType),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(Buffer.from(comment)),
  ]);
  // Unencrypted keys are padded to the cipher block size of "none", 8, with 1, 2, 3...
  const pad = (8 - (secret.length % 8)) % 8;
  secret = Buffer.concat([secret, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);

  const nkeys = Buffer.alloc(4);
  nkeys.writeUInt32BE(1);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString(Buffer.from('none')),
    sshString(Buffer.from('none')),
    sshString(Buffer.alloc(0)),
    nkeys,
    sshString(publicBlob),
    sshString(secret),
  ]);
  const b64 = body.toString('base64').replace(/.{1,70}/g, '$&\n');
  return {
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}-----END OPENSSH PRIVATE KEY-----\n`,
    publicKey: `ssh-ed25519 ${publicBlob.toString('base64')} ${comment}`,
  };
}
