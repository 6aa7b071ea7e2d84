// Glue between a stored machine (HostConfig) and its driver: the call
// arguments, persisting state the driver returns, and the settings
// provisioning reads from the record.
import * as path from 'node:path';
import type { DriverClient, MachineCall, OperationOutcome } from '@machine/driver-sdk';
import type { TLSFiles } from '../certs/tls-check';
import { MachineError, errorMessage } from '../errors';
import type { EngineSettings } from '../provision/daemon';
import type { Store } from '../store/store';
import type { HostConfig, MachineExtra } from '../store/types';

export function machineCall(store: Store, host: HostConfig): MachineCall {
  return {
    machine: {
      name: host.Name,
      storePath: store.root,
      machineDir: store.machineDir(host.Name),
      ...(host.Machine?.SSHHostKey ? { sshHostKey: host.Machine.SSHHostKey } : {}),
    },
    state: host.Driver,
    stateVersion: host.Machine?.DriverStateVersion ?? 0,
  };
}

/** Takes the driver's new state into the record; true when something changed. */
export function applyOutcome(host: HostConfig, outcome: Pick<OperationOutcome, 'state' | 'stateVersion'>): boolean {
  if (!outcome.state) return false;
  host.Driver = outcome.state;
  if (outcome.stateVersion !== undefined) setExtra(host, { DriverStateVersion: outcome.stateVersion });
  return true;
}

export function setExtra(host: HostConfig, fields: MachineExtra): void {
  host.Machine = { ...(host.Machine ?? {}), ...fields };
}

export function engineSettings(host: HostConfig): EngineSettings {
  const e = host.HostOptions.EngineOptions;
  return {
    arbitraryFlags: e.ArbitraryFlags ?? [],
    env: e.Env ?? [],
    insecureRegistry: e.InsecureRegistry ?? [],
    labels: e.Labels ?? [],
    registryMirror: e.RegistryMirror ?? [],
    storageDriver: e.StorageDriver ?? '',
  };
}

/** The files a docker client uses for this machine (DOCKER_CERT_PATH). */
export function machineTLS(store: Store, host: HostConfig): TLSFiles {
  const dir = host.HostOptions.AuthOptions.StorePath || store.machineDir(host.Name);
  return { caPath: path.join(dir, 'ca.pem'), certPath: path.join(dir, 'cert.pem'), keyPath: path.join(dir, 'key.pem') };
}

/** The engine port in a tcp://host:port URL (2376 when absent or unparsable). */
export function portOfURL(url: string): number {
  const m = /:(\d+)\/?$/.exec(url.trim());
  return m ? Number(m[1]) : 2376;
}

export async function driverFor(registry: { get(name: string): Promise<DriverClient> }, host: HostConfig): Promise<DriverClient> {
  return registry.get(host.DriverName);
}

/**
 * The engine URL from the driver. Its failure is reported as the driver's
 * error: guessing port 2376 instead only turns it into a misleading time-out later.
 */
export async function engineURL(driver: DriverClient, call: MachineCall, signal?: AbortSignal): Promise<string> {
  try {
    return await driver.getURL(call, { signal });
  } catch (err) {
    throw new MachineError('driver', `Cannot get the Docker URL of "${call.machine.name}" from the ${driver.name} driver: ${errorMessage(err)}`, { cause: err });
  }
}
