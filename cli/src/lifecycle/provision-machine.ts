// Provisioning a stored machine: asks its driver where SSH and the engine
// are, prepares certificates, runs the provisioner, and records what it
// learnt (host key, the address the certificate covers, the storage driver).
import type { DriverClient } from '@machine/driver-sdk';
import type { KeyPairPem } from '../certs/generate';
import { REMOTE_CA, REMOTE_SERVER_CERT, REMOTE_SERVER_KEY } from '../provision/daemon';
import { provisionHost, type ProvisionResult } from '../provision/provision';
import type { SshConnection } from '../ssh/client';
import type { Store } from '../store/store';
import type { HostConfig } from '../store/types';
import { copyClientCerts, issueServerCert } from './certificates';
import { engineSettings, engineURL, machineCall, machineTLS, portOfURL, setExtra } from './machine';

export interface ProvisionMachineOptions {
  store: Store;
  host: HostConfig;
  driver: DriverClient;
  signal?: AbortSignal;
  step?: (message: string) => void;
  /** Accept whatever host key the server presents and record it (create, --reset-host-key). */
  acceptNewHostKey?: boolean;
  connection?: SshConnection;
  sshTimeoutMs?: number;
  /** The server key, when it is being made ahead of time. */
  serverKey?: Promise<KeyPairPem>;
}

/** Where the driver says the machine is: SSH target, IP and engine URL, fetched together. */
export async function locate(store: Store, host: HostConfig, driver: DriverClient, signal?: AbortSignal) {
  const call = machineCall(store, host);
  const [ssh, ip, url] = await Promise.all([
    driver.getSSHInfo(call, { signal }),
    driver.getIP(call, { signal }),
    engineURL(driver, call, signal),
  ]);
  return { ssh, ip, url };
}

export async function provisionMachine(o: ProvisionMachineOptions): Promise<ProvisionResult> {
  const { host } = o;
  const where = await locate(o.store, host, o.driver, o.signal);
  const recorded = host.Machine?.SSHHostKey;
  const result = await provisionHost({
    machineName: host.Name,
    driverName: host.DriverName,
    ssh: { host: where.ssh.host, port: where.ssh.port, user: where.ssh.user, keyPath: where.ssh.keyPath || undefined },
    // A key the driver knows (it generated it, or the provider reported it)
    // is verified even at create; only without one is the first key trusted.
    hostKey: { expected: where.ssh.hostKey || (o.acceptNewHostKey ? undefined : recorded), machineName: host.Name },
    engineHost: where.ip,
    enginePort: where.url ? portOfURL(where.url) : 2376,
    engine: engineSettings(host),
    installURL: host.HostOptions.EngineOptions.InstallURL,
    setHostname: true,
    certificates: async () => {
      o.step?.('Copying certs to the local machine directory...');
      copyClientCerts(host);
      return issueServerCert(host, where.ip, o.serverKey);
    },
    clientTLS: machineTLS(o.store, host),
    connection: o.connection,
    sshTimeoutMs: o.sshTimeoutMs,
    signal: o.signal,
    step: o.step,
  });
  const a = host.HostOptions.AuthOptions;
  a.CaCertRemotePath = REMOTE_CA;
  a.ServerCertRemotePath = REMOTE_SERVER_CERT;
  a.ServerKeyRemotePath = REMOTE_SERVER_KEY;
  if (result.storageDriver && !host.HostOptions.EngineOptions.StorageDriver) {
    host.HostOptions.EngineOptions.StorageDriver = result.storageDriver;
  }
  setExtra(host, { SSHHostKey: result.hostKey, LastIP: where.ip, ...(where.url ? { LastURL: where.url } : {}), LastSeen: new Date().toISOString() });
  return result;
}
