// Upgrades config.json written by older Docker Machine releases
// (ConfigVersion 0, 1, 2) to version 3, one step per version, like the
// reference. The caller keeps the original bytes as config.json.bak.
import * as path from 'node:path';
import { MachineError } from '../errors';
import { DEFAULT_INSTALL_URL } from './host';
import { CONFIG_VERSION } from './types';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The ConfigVersion recorded in a parsed config.json (absent means 0). */
export function configVersionOf(raw: unknown): number {
  const v = obj(raw).ConfigVersion;
  return typeof v === 'number' && Number.isInteger(v) ? v : 0;
}

// 0.1 kept paths and swarm settings flat at the top level.
function v0ToV1(h: Obj, storeRoot: string, name: string): Obj {
  const ho = obj(h.HostOptions);
  const machineDir = str(h.StorePath) || path.join(storeRoot, 'machines', name);
  const out: Obj = { ...h };
  for (const k of ['StorePath', 'CaCertPath', 'PrivateKeyPath', 'ServerCertPath', 'ServerKeyPath', 'ClientCertPath', 'ClientKeyPath', 'SwarmHost', 'SwarmMaster', 'SwarmDiscovery']) {
    delete out[k];
  }
  const discovery = str(h.SwarmDiscovery);
  const master = h.SwarmMaster === true;
  out.HostOptions = {
    ...ho,
    EngineOptions: { TlsVerify: true, InstallURL: DEFAULT_INSTALL_URL, ...obj(ho.EngineOptions) },
    SwarmOptions: {
      ...obj(ho.SwarmOptions),
      IsSwarm: master || discovery !== '',
      Master: master,
      Host: str(h.SwarmHost),
      Discovery: discovery,
    },
    AuthOptions: {
      ...obj(ho.AuthOptions),
      StorePath: machineDir,
      CaCertPath: str(h.CaCertPath),
      PrivateKeyPath: str(h.PrivateKeyPath),
      ServerCertPath: str(h.ServerCertPath),
      ServerKeyPath: str(h.ServerKeyPath),
      ClientCertPath: str(h.ClientCertPath),
      ClientKeyPath: str(h.ClientKeyPath),
    },
  };
  out.ConfigVersion = 1;
  return out;
}

// 0.2 renamed the CA key path, added CertDir and took Name from the driver.
function v1ToV2(h: Obj, storeRoot: string, name: string): Obj {
  const ho = obj(h.HostOptions);
  const ao: Obj = { ...obj(ho.AuthOptions) };
  if (!('CaPrivateKeyPath' in ao)) ao.CaPrivateKeyPath = str(ao.PrivateKeyPath);
  delete ao.PrivateKeyPath;
  if (!str(ao.CertDir)) ao.CertDir = path.join(storeRoot, 'certs');
  if (!str(ao.StorePath)) ao.StorePath = path.join(storeRoot, 'machines', name);
  const driver = obj(h.Driver);
  return {
    ...h,
    ConfigVersion: 2,
    Name: str(h.Name) || str(driver.MachineName) || name,
    HostOptions: { ...ho, AuthOptions: ao },
  };
}

// Out-of-process drivers need the store root in their own state to find their files.
function v2ToV3(h: Obj, storeRoot: string): Obj {
  const driver = obj(h.Driver);
  return { ...h, ConfigVersion: 3, Driver: { ...driver, StorePath: storeRoot } };
}

/**
 * Returns the host migrated to CONFIG_VERSION (unchanged if already there).
 * `storeRoot` is where the store is now, which is what paths must point to.
 */
export function migrateHost(raw: unknown, storeRoot: string, name: string): { host: Obj; migrated: boolean; from: number } {
  const from = configVersionOf(raw);
  if (from > CONFIG_VERSION) {
    throw new MachineError(
      'config-version',
      `config version ${from} of machine "${name}" is from the future (this tool reads up to ${CONFIG_VERSION}): upgrade machine to manage it.`,
    );
  }
  let h = obj(raw);
  for (let v = from; v < CONFIG_VERSION; v++) {
    if (v === 0) h = v0ToV1(h, storeRoot, name);
    else if (v === 1) h = v1ToV2(h, storeRoot, name);
    else if (v === 2) h = v2ToV3(h, storeRoot);
  }
  return { host: h, migrated: from !== CONFIG_VERSION, from };
}
