// What the provisioning tests share: a throw-away PKI, and a provisioning
// request for a test host that the tests adjust per case.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateCA, generateClientCert, generateServerCert } from '@machine/cli/lib/certs';
import type { ProvisionRequest } from '@machine/cli/lib/provision';
import type { TestHost } from '../hosts';

export interface Pki {
  dir: string;
  ca: { certPem: string; keyPem: string };
  tls: { caPath: string; certPath: string; keyPath: string };
}

export async function makePki(): Promise<Pki> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provision-it-'));
  const ca = await generateCA('provision-test');
  const client = await generateClientCert({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, org: 'provision-test.<bootstrap>' });
  const tls = { caPath: path.join(dir, 'ca.pem'), certPath: path.join(dir, 'cert.pem'), keyPath: path.join(dir, 'key.pem') };
  fs.writeFileSync(tls.caPath, ca.certPem);
  fs.writeFileSync(tls.certPath, client.certPem);
  fs.writeFileSync(tls.keyPath, client.keyPem, { mode: 0o600 });
  return { dir, ca, tls };
}

export function request(host: TestHost, pki: Pki, over: Partial<ProvisionRequest> = {}): ProvisionRequest {
  return {
    machineName: 'prov-it',
    driverName: 'generic',
    ssh: { host: host.ip, port: host.port, user: host.user, keyPath: host.privateKeyPath },
    engineHost: host.ip,
    enginePort: 2376,
    engine: { arbitraryFlags: [], env: [], insecureRegistry: [], labels: [], registryMirror: [], storageDriver: '' },
    installURL: 'distro',
    setHostname: true,
    certificates: async () => {
      const server = await generateServerCert({ caCertPem: pki.ca.certPem, caKeyPem: pki.ca.keyPem, org: 'provision-test.prov-it', hosts: [host.ip, 'localhost'] });
      return { caPem: pki.ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem };
    },
    clientTLS: pki.tls,
    ...over,
  };
}
