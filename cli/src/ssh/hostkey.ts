// Host keys are recorded as OpenSSH public-key lines ("ssh-ed25519 AAAA…")
// rather than bare fingerprints, so that the same record can verify the
// native client and be written into a known_hosts file for the system `ssh`.
import { createHash } from 'node:crypto';

/** The algorithm name that opens an SSH wire-format public key blob. */
export function keyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  if (len <= 0 || len > 64 || 4 + len > blob.length) return 'unknown';
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** "ssh-ed25519 AAAA…" for a wire-format host key blob. */
export function hostKeyLine(blob: Buffer): string {
  return `${keyType(blob)} ${blob.toString('base64')}`;
}

/** OpenSSH-style fingerprint ("SHA256:…", unpadded base64) of a recorded key line or blob. */
export function fingerprint(key: string | Buffer): string {
  const blob = typeof key === 'string' ? Buffer.from(key.trim().split(/\s+/)[1] ?? '', 'base64') : key;
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** Compares two recorded key lines by their key material, ignoring comments and spacing. */
export function sameHostKey(a: string, b: string): boolean {
  const blobOf = (s: string) => s.trim().split(/\s+/).slice(0, 2).join(' ');
  return blobOf(a) === blobOf(b);
}

/** A known_hosts line for host:port (OpenSSH brackets non-default ports). */
export function knownHostsLine(host: string, port: number, keyLine: string): string {
  const name = port === 22 ? host : `[${host}]:${port}`;
  return `${name} ${keyLine.trim().split(/\s+/).slice(0, 2).join(' ')}\n`;
}

export class HostKeyMismatchError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly expected: string,
    readonly actual: string,
    readonly machineName?: string,
  ) {
    const fix = machineName
      ? `If the host was rebuilt on purpose, accept its new key with "machine provision --reset-host-key ${machineName}"; otherwise someone may be intercepting the connection.`
      : 'If the host was rebuilt on purpose, re-record its key; otherwise someone may be intercepting the connection.';
    super(
      `The SSH host key of ${host}:${port} has changed: expected ${fingerprint(expected)}, got ${fingerprint(actual)}. ${fix}`,
    );
    this.name = 'HostKeyMismatchError';
  }
}
