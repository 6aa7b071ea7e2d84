// SSH keys for drivers: a machine's login key pair (RSA, the private half in
// PKCS#1 PEM, which both OpenSSH and ssh2 read, the public half as an
// authorized_keys line) and Ed25519 host keys in OpenSSH's own format.
// Only node:crypto is needed, so no driver depends on ssh-keygen on the host.
// It is loaded on first use: this module is reached from the package entry
// point, and loading node:crypto costs every driver start about 4 ms.
import type * as Crypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
type WriteFileAtomic = typeof import('write-file-atomic');

function crypto(): typeof Crypto {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('node:crypto') as typeof Crypto;
}

/** Docker Machine's key size. */
export const SSH_RSA_BITS = 2048;

export interface SSHKeyPair {
  /** PEM, PKCS#1 ("RSA PRIVATE KEY"). */
  privateKey: string;
  /** One authorized_keys line: "ssh-rsa AAAA... comment". */
  publicKey: string;
}

export interface SSHKeyFiles {
  privateKeyPath: string;
  publicKeyPath: string;
}

export interface HostKey {
  /** OpenSSH's own private key format ("openssh-key-v1"), the only one sshd reads Ed25519 keys from. */
  privateKey: string;
  /** "ssh-ed25519 AAAA... comment" */
  publicKey: string;
}

/** SSH wire encoding of a byte string (RFC 4251 string). */
function sshString(body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** SSH wire encoding of an unsigned big integer (RFC 4251 mpint). */
function sshMpint(unsigned: Buffer): Buffer {
  let start = 0;
  while (start < unsigned.length - 1 && unsigned[start] === 0) start++;
  let body = unsigned.subarray(start);
  // A set high bit would read as negative; a leading zero keeps it positive.
  if (body[0] & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return sshString(body);
}

/** The authorized_keys line ("ssh-rsa AAAA... comment") of an RSA public key. */
export function toOpenSSHPublicKey(key: KeyObject, comment = ''): string {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'RSA' || !jwk.n || !jwk.e) throw new Error('only RSA keys can be converted to the OpenSSH format');
  const blob = Buffer.concat([
    sshString(Buffer.from('ssh-rsa')),
    sshMpint(Buffer.from(jwk.e, 'base64url')),
    sshMpint(Buffer.from(jwk.n, 'base64url')),
  ]);
  return `ssh-rsa ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}

/** The public half of an RSA private key (PEM), for when no .pub sits beside it. */
export function publicKeyFromPrivate(pem: string): string {
  return toOpenSSHPublicKey(crypto().createPublicKey(pem));
}

/** A new RSA login key pair, in memory; writeSSHKeyPair puts it on disk. */
export async function generateSSHKeyPair(comment = '', bits = SSH_RSA_BITS): Promise<SSHKeyPair> {
  const { privateKey, publicKey } = await promisify(crypto().generateKeyPair)('rsa', { modulusLength: bits });
  return {
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicKey: toOpenSSHPublicKey(publicKey, comment),
  };
}

/**
 * Writes the private key to keyPath (0600) and the public key to keyPath.pub
 * (0644), creating the directory (0700) if needed. Each file is replaced
 * atomically (write-file-atomic), so a failure never leaves half a key behind.
 */
export async function writeSSHKeyPair(keyPath: string, pair: SSHKeyPair): Promise<SSHKeyFiles> {
  await fs.mkdir(path.dirname(keyPath), { recursive: true, mode: 0o700 });
  const privateKeyPath = keyPath;
  const publicKeyPath = `${keyPath}.pub`;
  // Loaded here, not at the top: the SDK's entry point stays cheap for drivers that never write keys.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const writeFileAtomic = require('write-file-atomic') as WriteFileAtomic;
  await writeFileAtomic(privateKeyPath, pair.privateKey, { mode: 0o600 });
  await writeFileAtomic(publicKeyPath, `${pair.publicKey}\n`, { mode: 0o644 });
  return { privateKeyPath, publicKeyPath };
}

/**
 * An Ed25519 SSH host key. Made by the driver, a host key costs a
 * millisecond; made at a machine's first boot (ssh-keygen -A, with RSA) it
 * costs seconds on the way to a reachable sshd.
 */
export function generateEd25519HostKey(comment: string): HostKey {
  const { publicKey, privateKey } = crypto().generateKeyPairSync('ed25519');
  // The raw keys are the last 32 bytes of their DER encodings.
  const pub = publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
  const seed = privateKey.export({ type: 'pkcs8', format: 'der' }).subarray(-32);
  const keyType = Buffer.from('ssh-ed25519');
  const publicBlob = Buffer.concat([sshString(keyType), sshString(pub)]);

  const check = crypto().randomBytes(4);
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
