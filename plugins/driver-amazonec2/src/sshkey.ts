// SSH key pairs for new machines. The SDK has no key helper yet, so this
// lives here; it only needs node:crypto, which keeps the driver bundle small.
import { generateKeyPair, createPublicKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { promises as fs } from 'node:fs';

const generate = promisify(generateKeyPair);

/** Docker Machine's key size. */
export const RSA_BITS = 2048;

function sshString(data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}

// An mpint is big-endian two's complement: a leading zero byte keeps a
// value with its top bit set positive.
function sshMpint(unsigned: Buffer): Buffer {
  let start = 0;
  while (start < unsigned.length - 1 && unsigned[start] === 0) start++;
  let value = unsigned.subarray(start);
  if (value[0] & 0x80) value = Buffer.concat([Buffer.from([0]), value]);
  return sshString(value);
}

/** The OpenSSH one-line form ("ssh-rsa AAAA... comment") of an RSA public key. */
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

export interface SSHKeyPair {
  /** PEM, PKCS#1 ("RSA PRIVATE KEY"), readable by OpenSSH and ssh2. */
  privateKey: string;
  /** OpenSSH authorized_keys line. */
  publicKey: string;
}

export async function generateSSHKeyPair(comment = ''): Promise<SSHKeyPair> {
  const { privateKey, publicKey } = await generate('rsa', { modulusLength: RSA_BITS });
  return {
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicKey: toOpenSSHPublicKey(publicKey, comment),
  };
}

/** Writes id_rsa (mode 0600) and id_rsa.pub at keyPath and keyPath.pub. */
export async function writeSSHKeyPair(keyPath: string, pair: SSHKeyPair): Promise<void> {
  await fs.writeFile(keyPath, pair.privateKey, { mode: 0o600 });
  await fs.writeFile(`${keyPath}.pub`, `${pair.publicKey}\n`, { mode: 0o644 });
}

/** The public half of an existing private key file, for when no .pub sits beside it. */
export function publicKeyFromPrivate(pem: string): string {
  return toOpenSSHPublicKey(createPublicKey(pem));
}
