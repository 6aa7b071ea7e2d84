// Verifying a daemon's certificate against the store's CA by hand, once the
// TLS handshake is done and before a byte of data is sent.
//
// Why not let Node do it: giving Node our CA (`ca: caPem`) makes it copy its
// ~140 built-in root certificates into a new certificate store first, and
// leaving `ca` out makes it load them all (addRootCerts). Either way the first
// connection of a process spends ~20 ms of CPU parsing certificates we never
// trust, about as long as Node takes to start, and `env`/`config` connect
// once. With `ca: []` Node adds no CA at all, so OpenSSL's verdict is always
// "unknown issuer"; the connection is opened with rejectUnauthorized: false
// and this module decides instead, checking what OpenSSL and
// tls.checkServerIdentity would for a daemon certificate our CA signed
// directly. The handshake itself still proves the daemon holds the private
// key of the certificate it presented.
//
// A failure carries the code and message Node gives the same failure, so the
// Go wording of go-wording.ts, and with it what users and scripts see, stays
// the same.
import type { X509Certificate } from 'node:crypto';
import type * as TLS from 'node:tls';

export type PeerFailure = Error & { code: string };

function failure(code: string, message: string): PeerFailure {
  return Object.assign(new Error(message), { code });
}

// OpenSSL's verification errors as Node words them.
const unableToVerifyLeaf = (): PeerFailure => failure('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate');
const unableToGetIssuerLocally = (): PeerFailure => failure('UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate');
const selfSignedLeaf = (): PeerFailure => failure('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate');
const selfSignedInChain = (): PeerFailure => failure('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain');
const signatureFailure = (): PeerFailure => failure('CERT_SIGNATURE_FAILURE', 'certificate signature failure');
const invalidPurpose = (): PeerFailure => failure('INVALID_PURPOSE', 'unsuitable certificate purpose');
const expired = (): PeerFailure => failure('CERT_HAS_EXPIRED', 'certificate has expired');
const notYetValid = (): PeerFailure => failure('CERT_NOT_YET_VALID', 'certificate is not yet valid');

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

function selfSigned(cert: X509Certificate): boolean {
  return cert.checkIssued(cert) && cert.verify(cert.publicKey);
}

/** Node 20's X509Certificate gives the validity window only as text ("Dec  1 08:00:00 2026 GMT"). */
function timeProblem(cert: X509Certificate, now: number): PeerFailure | undefined {
  if (now < Date.parse(cert.validFrom)) return notYetValid();
  if (now > Date.parse(cert.validTo)) return expired();
  return undefined;
}

/**
 * Why a certificate not issued by our CA fails, in OpenSSL's terms: a
 * self-signed certificate alone, a chain the daemon sent that ends in a
 * self-signed root we don't trust, or a chain that ends nowhere.
 */
function unknownAuthority(leaf: X509Certificate, presented: () => readonly X509Certificate[]): PeerFailure {
  if (selfSigned(leaf)) return selfSignedLeaf();
  const presentedChain = presented();
  if (presentedChain.length === 0) return unableToVerifyLeaf();
  if (presentedChain.some(selfSigned)) return selfSignedInChain();
  return unableToGetIssuerLocally();
}

export interface PeerToVerify {
  /** The certificate the daemon presented. */
  leaf: X509Certificate;
  /**
   * The other certificates it sent along, if any. Only used to word a
   * failure, so only asked for then: Node's chain form of a peer
   * certificate costs ten times its plain form.
   */
  presentedChain: () => readonly X509Certificate[];
  /** The store's CA; undefined when its file holds no certificate (nothing is trusted then). */
  ca: X509Certificate | undefined;
  /** The host we connected to: an IP address or a name. */
  host: string;
  /** Node's object form of the leaf, for tls.checkServerIdentity. */
  leafDetails: TLS.PeerCertificate;
  checkServerIdentity: (host: string, cert: TLS.PeerCertificate) => Error | undefined;
  now?: number;
}

/**
 * Checks, in the order OpenSSL and then Node do: the leaf was issued and
 * signed by our CA, may serve TLS, our CA and the leaf are within their
 * validity windows, and the leaf names the host. Returns the failure or
 * undefined.
 */
export function verifyDaemonPeer(p: PeerToVerify): Error | undefined {
  const now = p.now ?? Date.now();
  // X509_check_issued: subject/issuer names, key identifiers, and the CA's keyCertSign usage.
  if (!p.ca || !p.leaf.checkIssued(p.ca)) return unknownAuthority(p.leaf, p.presentedChain);
  // OpenSSL verifies a client's peer for the "SSL server" purpose.
  const usages = p.leaf.keyUsage as string[] | undefined;
  if (usages !== undefined && !usages.includes(SERVER_AUTH) && !usages.includes(ANY_EXTENDED_KEY_USAGE)) return invalidPurpose();
  // OpenSSL checks from the trust anchor down: the CA's window, then the leaf's signature and window.
  const caTime = timeProblem(p.ca, now);
  if (caTime) return caTime;
  if (!p.leaf.verify(p.ca.publicKey)) return signatureFailure();
  const leafTime = timeProblem(p.leaf, now);
  if (leafTime) return leafTime;
  // What tls.connect runs once OpenSSL is satisfied, with its own error and wording.
  return p.checkServerIdentity(p.host, p.leafDetails);
}
