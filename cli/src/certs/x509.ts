// One parse per certificate per process. Node's X509Certificate costs
// 0.14–0.3 ms per parse here (PEM or DER alike), and ls reads each running
// machine's server certificate up to five times: to prove the daemon is
// this machine's, to check the names it holds (in the proof and in the
// row), for its expiry, and as the certificate the daemon presents. Keyed
// by content, so a file rewritten meanwhile is parsed again.
import type { X509Certificate } from 'node:crypto';
import { crypto } from '../lazy-crypto';

const parsed = new Map<string, X509Certificate>();

/** The certificate in `pemOrDer` (its first, for a PEM bundle); throws as X509Certificate does. */
export function certificateOf(pemOrDer: string | Buffer): X509Certificate {
  // PEM is ASCII and DER starts with 0x30, so one key space holds both.
  const key = typeof pemOrDer === 'string' ? pemOrDer : pemOrDer.toString('latin1');
  let cert = parsed.get(key);
  if (!cert) {
    cert = new (crypto().X509Certificate)(pemOrDer);
    parsed.set(key, cert);
  }
  return cert;
}
