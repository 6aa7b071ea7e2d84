// AutoMTLS as go-plugin does it: each side makes an ephemeral self-signed
// certificate (CN and SAN "localhost", usable as client, server and CA) and
// trusts only the other side's. Used only on the TCP transport.
import { generateKeyPairSync, randomBytes } from 'node:crypto';

export interface EphemeralCert {
  certPem: string;
  keyPem: string;
  certDer: Buffer;
}

export function generateEphemeralCert(): EphemeralCert {
  // node-forge only makes the certificate; the key comes from OpenSSL, which
  // is far faster than forge's pure-JS RSA key generation.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const forge = require('node-forge') as typeof import('node-forge');
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  // A positive serial: clear the top bit.
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  cert.serialNumber = serial.toString('hex');
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 30_000);
  cert.validity.notAfter = new Date(now + 30 * 365 * 24 * 3600 * 1000);
  const attrs = [{ name: 'commonName', value: 'localhost' }, { name: 'organizationName', value: 'machine' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
  ]);
  cert.sign(key, forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  const certDer = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { certPem, keyPem: privateKey, certDer };
}

export function derToPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}
