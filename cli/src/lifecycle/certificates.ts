// A machine's certificates: copies of the CA and client certificate in its
// directory (what DOCKER_CERT_PATH points at) and a server certificate for
// the daemon, valid for the machine's address, "localhost" and --tls-san.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateServerCert, localUser, type KeyPairPem } from '../certs/generate';
import { writeFileAtomicSync } from '../store/atomic';
import type { HostConfig } from '../store/types';
import type { ServerCertificates } from '../provision/provision';
import { setExtra } from './machine';

/** Copies the CA and client certificate into the machine directory ("Copying certs to the local machine directory..."). */
export function copyClientCerts(host: HostConfig): void {
  const a = host.HostOptions.AuthOptions;
  const dir = a.StorePath;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const copies: Array<[string, string, number]> = [
    [a.CaCertPath, 'ca.pem', 0o644],
    [a.ClientCertPath, 'cert.pem', 0o644],
    [a.ClientKeyPath, 'key.pem', 0o600],
  ];
  for (const [from, name, mode] of copies) {
    const to = path.join(dir, name);
    if (path.resolve(from) === path.resolve(to)) continue;
    writeFileAtomicSync(to, fs.readFileSync(from), mode);
  }
}

/**
 * Issues the server certificate for `address`. The new files are written
 * next to the old ones and take their place only when provisioning reports
 * that the host installed them (`installed`); until then the machine's
 * working certificate stays, so a failed provision or regenerate-certs
 * leaves a machine that still answers `env` and docker.
 */
export async function issueServerCert(host: HostConfig, address: string, key?: Promise<KeyPairPem>): Promise<ServerCertificates> {
  const a = host.HostOptions.AuthOptions;
  const caPem = fs.readFileSync(a.CaCertPath, 'utf8');
  const hosts = [address, 'localhost', ...(a.ServerCertSANs ?? [])].filter(Boolean);
  const issued = await generateServerCert({
    caCertPem: caPem,
    caKeyPem: fs.readFileSync(a.CaPrivateKeyPath, 'utf8'),
    org: `${localUser()}.${host.Name}`,
    hosts,
    clientAuth: host.HostOptions.SwarmOptions.Master,
    key,
  });
  const staged = { key: stagedPath(a.ServerKeyPath), cert: stagedPath(a.ServerCertPath) };
  writeFileAtomicSync(staged.key, issued.keyPem, 0o600);
  writeFileAtomicSync(staged.cert, issued.certPem, 0o644);
  return {
    caPem,
    serverCertPem: issued.certPem,
    serverKeyPem: issued.keyPem,
    installed: () => {
      fs.renameSync(staged.key, a.ServerKeyPath);
      fs.renameSync(staged.cert, a.ServerCertPath);
      setExtra(host, { CertIP: address });
    },
    abandoned: () => {
      fs.rmSync(staged.key, { force: true });
      fs.rmSync(staged.cert, { force: true });
    },
  };
}

/** Where a new certificate file waits until the host has it. */
export function stagedPath(file: string): string {
  return `${file}.new`;
}
