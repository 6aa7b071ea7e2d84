// First-use creation of the store's CA and client certificate, as the
// reference does before every create: missing → create; expired → replace.
// A lock keeps two parallel creates from minting two different CAs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MachineError } from '../errors';
import { mkdirPrivate, writeFileAtomicSync } from '../store/atomic';
import { fsProblem, storeRootProblem } from '../store/fs-problem';
import { acquireLock } from '../store/lock';
import { certExpired } from './inspect';
import { generateCA, generateClientCert, localUser } from './generate';

export interface CertPaths {
  certDir: string;
  caCertPath: string;
  caKeyPath: string;
  clientCertPath: string;
  clientKeyPath: string;
}

export function defaultCertPaths(storeRoot: string): CertPaths {
  const certDir = path.join(storeRoot, 'certs');
  return {
    certDir,
    caCertPath: path.join(certDir, 'ca.pem'),
    caKeyPath: path.join(certDir, 'ca-key.pem'),
    clientCertPath: path.join(certDir, 'cert.pem'),
    clientKeyPath: path.join(certDir, 'key.pem'),
  };
}

export interface BootstrapOptions {
  /** Where "Creating CA: ..." lines go (default: stdout, as the reference). */
  log?: (line: string) => void;
  /** The store root, for the lock. */
  storeRoot: string;
  /** Replace the client certificate even if it is still valid. */
  forceClient?: boolean;
  /**
   * Replace the CA (and so the client certificate) even if it is still
   * valid: regenerate-certs --client-certs, which then re-issues every
   * machine's server certificate with the new CA.
   */
  forceCA?: boolean;
}

export interface BootstrapResult {
  createdCA: boolean;
  createdClient: boolean;
}

/** The file's bytes, or undefined when it does not exist; anything else in the way is an error. */
function readIf(p: string, what: string): Buffer | undefined {
  try {
    return fs.readFileSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MachineError('store', fsProblem(what, p, e));
  }
}

export async function bootstrapCertificates(paths: CertPaths, options: BootstrapOptions): Promise<BootstrapResult> {
  const log = options.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const rootProblem = storeRootProblem(options.storeRoot);
  if (rootProblem) throw new MachineError('store', rootProblem);
  mkdirPrivate(paths.certDir);
  const release = await acquireLock(path.join(options.storeRoot, 'locks', '.certs.lock'), 'The certificate directory', { waitMs: 120_000 });
  try {
    let createdCA = false;
    let caPem = readIf(paths.caCertPath, 'the CA certificate');
    if (caPem && certExpired(caPem)) {
      log('CA certificate is outdated and needs to be regenerated');
      fs.rmSync(paths.caKeyPath, { force: true });
      caPem = undefined;
    }
    // Renewing overwrites key and certificate in place (each atomically), so
    // no moment leaves the store without a CA key.
    const renewCA = caPem !== undefined && options.forceCA === true;
    if (renewCA) log(`Renewing CA: ${paths.caCertPath}`);
    if (!caPem || renewCA) {
      if (!renewCA && fs.existsSync(paths.caKeyPath)) {
        throw new MachineError(
          'store',
          `The CA key ${paths.caKeyPath} exists but its certificate ${paths.caCertPath} does not. Restore ca.pem, or move ca-key.pem away to create a new CA (every machine then needs "machine regenerate-certs").`,
        );
      }
      if (!renewCA) log(`Creating CA: ${paths.caCertPath}`);
      const ca = await generateCA(localUser());
      // Key first: a crash between the two writes then trips the check above
      // instead of leaving a certificate with no key.
      writeFileAtomicSync(paths.caKeyPath, ca.keyPem, 0o600);
      writeFileAtomicSync(paths.caCertPath, ca.certPem, 0o644);
      createdCA = true;
    }
    let createdClient = false;
    const clientPem = readIf(paths.clientCertPath, 'the client certificate');
    const needClient = createdCA || options.forceClient === true || !clientPem || certExpired(clientPem) || !fs.existsSync(paths.clientKeyPath);
    if (needClient) {
      if (clientPem && certExpired(clientPem)) log('Client certificate is outdated and needs to be regenerated');
      log(`Creating client certificate: ${paths.clientCertPath}`);
      const client = await generateClientCert({
        caCertPem: fs.readFileSync(paths.caCertPath, 'utf8'),
        caKeyPem: fs.readFileSync(paths.caKeyPath, 'utf8'),
        org: `${localUser()}.<bootstrap>`,
      });
      writeFileAtomicSync(paths.clientKeyPath, client.keyPem, 0o600);
      writeFileAtomicSync(paths.clientCertPath, client.certPem, 0o644);
      createdClient = true;
    }
    return { createdCA, createdClient };
  } finally {
    release();
  }
}
