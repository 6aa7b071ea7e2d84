// Certificate issuance with the reference's parameters: RSA 2048, subject
// with only O=, no CN, validity from (now rounded down to the minute − 5 min)
// for 1080 days, random 128-bit serial, SHA-256. Node's crypto makes the keys
// (far faster than forge); node-forge builds and signs the certificates and
// is loaded only here.
import * as crypto from 'node:crypto';
import * as net from 'node:net';
import * as os from 'node:os';
import { promisify } from 'node:util';
import type * as Forge from 'node-forge';

const generateKeyPair = promisify(crypto.generateKeyPair);

export const RSA_BITS = 2048;
export const VALIDITY_DAYS = 1080;

let forgeModule: typeof Forge | undefined;
function forge(): typeof Forge {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  forgeModule ??= require('node-forge') as typeof Forge;
  return forgeModule;
}

export interface KeyPairPem {
  /** PKCS#1 "RSA PRIVATE KEY", as the reference writes it. */
  privateKeyPem: string;
  publicKeyPem: string;
}

export async function generateRsaKey(bits = RSA_BITS): Promise<KeyPairPem> {
  const { privateKey, publicKey } = await generateKeyPair('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** The organisation the reference puts in its CA: the local user. */
export function localUser(): string {
  const u = process.env.USER || process.env.USERNAME;
  if (u) return u;
  try {
    return os.userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface IssuedCert {
  certPem: string;
  keyPem: string;
}

function validity(now: Date): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Math.floor(now.getTime() / 60_000) * 60_000 - 5 * 60_000);
  const notAfter = new Date(notBefore.getTime() + VALIDITY_DAYS * 24 * 3600_000);
  return { notBefore, notAfter };
}

function randomSerialHex(): string {
  const b = crypto.randomBytes(16);
  // DER integers are signed; a clear top bit keeps the serial positive.
  b[0] &= 0x7f;
  if (b[0] === 0) b[0] = 1;
  return b.toString('hex');
}

interface BuildOptions {
  org: string;
  publicKeyPem: string;
  signerKeyPem: string;
  issuer?: Forge.pki.Certificate;
  extensions: object[];
  now?: Date;
}

// DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-256.
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * A signer with forge's key interface whose RSA operation is Node's (OpenSSL):
 * forge's pure-JS modular arithmetic takes half a second per signature.
 */
function nativeSigner(keyPem: string): Forge.pki.rsa.PrivateKey {
  const signer = {
    sign(md: Forge.md.MessageDigest): string {
      const digest = Buffer.from(md.digest().getBytes(), 'binary');
      const sig = crypto.privateEncrypt({ key: keyPem, padding: crypto.constants.RSA_PKCS1_PADDING }, Buffer.concat([SHA256_DIGEST_INFO, digest]));
      return sig.toString('binary');
    },
  };
  return signer as unknown as Forge.pki.rsa.PrivateKey;
}

function build(o: BuildOptions): string {
  const f = forge();
  const cert = f.pki.createCertificate();
  cert.publicKey = f.pki.publicKeyFromPem(o.publicKeyPem);
  cert.serialNumber = randomSerialHex();
  const v = validity(o.now ?? new Date());
  cert.validity.notBefore = v.notBefore;
  cert.validity.notAfter = v.notAfter;
  // UTF8String, as Go writes it: the client's "<user>.<bootstrap>" has characters
  // PrintableString (forge's default) forbids, and Go's parser rejects such certificates.
  const subject = [{ shortName: 'O', value: o.org, valueTagClass: f.asn1.Type.UTF8 as number }];
  cert.setSubject(subject);
  cert.setIssuer(o.issuer ? o.issuer.subject.attributes : subject);
  cert.setExtensions(o.extensions);
  cert.sign(nativeSigner(o.signerKeyPem), f.md.sha256.create());
  return f.pki.certificateToPem(cert);
}

export async function generateCA(org = localUser(), now?: Date): Promise<IssuedCert> {
  const key = await generateRsaKey();
  const certPem = build({
    org,
    publicKeyPem: key.publicKeyPem,
    signerKeyPem: key.privateKeyPem,
    now,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true, keyAgreement: true, critical: true },
    ],
  });
  return { certPem, keyPem: key.privateKeyPem };
}

export interface SignOptions {
  caCertPem: string;
  caKeyPem: string;
  org: string;
  now?: Date;
}

/** The client certificate docker presents to every machine (ExtKeyUsage ClientAuth). */
export async function generateClientCert(o: SignOptions): Promise<IssuedCert> {
  const key = await generateRsaKey();
  const issuer = forge().pki.certificateFromPem(o.caCertPem);
  const certPem = build({
    org: o.org,
    publicKeyPem: key.publicKeyPem,
    signerKeyPem: o.caKeyPem,
    issuer,
    now: o.now,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
  return { certPem, keyPem: key.privateKeyPem };
}

export interface ServerCertOptions extends SignOptions {
  /** IPs and DNS names; IP strings become IP SANs, the rest DNS SANs. */
  hosts: string[];
  /** Swarm masters also authenticate as clients. */
  clientAuth?: boolean;
  /** A key made ahead of time (create starts it while the driver launches); default: a new one. */
  key?: KeyPairPem | Promise<KeyPairPem>;
}

/** A machine's daemon certificate: SANs = hosts (its IP, "localhost", every --tls-san). */
export async function generateServerCert(o: ServerCertOptions): Promise<IssuedCert> {
  const key = await (o.key ?? generateRsaKey());
  const issuer = forge().pki.certificateFromPem(o.caCertPem);
  const seen = new Set<string>();
  const altNames: { type: number; value?: string; ip?: string }[] = [];
  for (const h of o.hosts) {
    if (!h || seen.has(h)) continue;
    seen.add(h);
    altNames.push(net.isIP(h) ? { type: 7, ip: h } : { type: 2, value: h });
  }
  const certPem = build({
    org: o.org,
    publicKeyPem: key.publicKeyPem,
    signerKeyPem: o.caKeyPem,
    issuer,
    now: o.now,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyAgreement: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: o.clientAuth === true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { certPem, keyPem: key.privateKeyPem };
}
