// Building, normalising and serialising HostConfig. Serialisation follows
// Go's json.MarshalIndent of the reference's structs: 4-space indent, the
// structs' key order, and <, >, & escaped. Keys we do not know (written by a
// newer tool or a fork) are kept after the known ones.
import * as path from 'node:path';
import type { JsonObject, JsonValue } from '@machine/driver-sdk';
import { CONFIG_VERSION, EXTRA_KEY, type AuthOptions, type EngineOptions, type HostConfig, type HostOptions, type SwarmOptions } from './types';

export const DEFAULT_INSTALL_URL = 'https://get.docker.com';

export function defaultEngineOptions(): EngineOptions {
  return {
    ArbitraryFlags: [],
    Dns: null,
    GraphDir: '',
    Env: [],
    Ipv6: false,
    InsecureRegistry: [],
    Labels: [],
    LogLevel: '',
    StorageDriver: '',
    SelinuxEnabled: false,
    TlsVerify: true,
    RegistryMirror: [],
    InstallURL: DEFAULT_INSTALL_URL,
  };
}

export function defaultSwarmOptions(): SwarmOptions {
  return {
    IsSwarm: false,
    Address: '',
    Discovery: '',
    Agent: false,
    Master: false,
    Host: 'tcp://0.0.0.0:3376',
    Image: 'swarm:latest',
    Strategy: 'spread',
    Heartbeat: 0,
    Overcommit: 0,
    ArbitraryFlags: [],
    ArbitraryJoinFlags: [],
    Env: null,
    IsExperimental: false,
  };
}

/** AuthOptions with the standard paths under `storeRoot`. */
export function defaultAuthOptions(storeRoot: string, name: string): AuthOptions {
  const certs = path.join(storeRoot, 'certs');
  const dir = path.join(storeRoot, 'machines', name);
  // Both are normalised already, so a file name is appended as path.join
  // would, without normalising again: ls reads this for every machine.
  const inCerts = (file: string): string => `${certs}${path.sep}${file}`;
  const inDir = (file: string): string => `${dir}${path.sep}${file}`;
  return {
    CertDir: certs,
    CaCertPath: inCerts('ca.pem'),
    CaPrivateKeyPath: inCerts('ca-key.pem'),
    CaCertRemotePath: '',
    ServerCertPath: inDir('server.pem'),
    ServerKeyPath: inDir('server-key.pem'),
    ClientKeyPath: inCerts('key.pem'),
    ServerCertRemotePath: '',
    ServerKeyRemotePath: '',
    ClientCertPath: inCerts('cert.pem'),
    ServerCertSANs: [],
    StorePath: dir,
  };
}

export interface NewHostOptions {
  storeRoot: string;
  name: string;
  driverName: string;
  driverState?: JsonObject;
  driverStateVersion?: number;
}

/** A fresh ConfigVersion 3 host record, as create writes it before the driver runs. */
export function newHostConfig(o: NewHostOptions): HostConfig {
  const host: HostConfig = {
    ConfigVersion: CONFIG_VERSION,
    Driver: o.driverState ?? {},
    DriverName: o.driverName,
    HostOptions: {
      Driver: '',
      Memory: 0,
      Disk: 0,
      EngineOptions: defaultEngineOptions(),
      SwarmOptions: defaultSwarmOptions(),
      AuthOptions: defaultAuthOptions(o.storeRoot, o.name),
    },
    Name: o.name,
  };
  if (o.driverStateVersion !== undefined) host.Machine = { DriverStateVersion: o.driverStateVersion };
  return host;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Known keys first in `template`'s order (filled from defaults when absent), then unknown keys. */
function ordered<T extends object>(src: unknown, template: T): T {
  const s: Obj = isObj(src) ? src : {};
  const out: Obj = {};
  for (const k of Object.keys(template)) out[k] = k in s ? s[k] : (template as Obj)[k];
  for (const k of Object.keys(s)) if (!(k in out)) out[k] = s[k];
  return out as T;
}

/**
 * Fill missing fields with the reference's defaults and put keys in its
 * order. `storeRoot`/`name` supply default paths for records that lack them.
 */
export function normalizeHost(raw: unknown, storeRoot: string, name: string): HostConfig {
  const r: Obj = isObj(raw) ? raw : {};
  const ho: Obj = isObj(r.HostOptions) ? r.HostOptions : {};
  const hostOptions = ordered<HostOptions>(ho, {
    Driver: '',
    Memory: 0,
    Disk: 0,
    EngineOptions: defaultEngineOptions(),
    SwarmOptions: defaultSwarmOptions(),
    AuthOptions: defaultAuthOptions(storeRoot, name),
  });
  hostOptions.EngineOptions = ordered(ho.EngineOptions, defaultEngineOptions());
  hostOptions.SwarmOptions = ordered(ho.SwarmOptions, defaultSwarmOptions());
  hostOptions.AuthOptions = ordered(ho.AuthOptions, defaultAuthOptions(storeRoot, name));
  const out = ordered<HostConfig>(r, {
    ConfigVersion: CONFIG_VERSION,
    Driver: isObj(r.Driver) ? (r.Driver as JsonObject) : {},
    DriverName: typeof r.DriverName === 'string' ? r.DriverName : '',
    HostOptions: hostOptions,
    Name: typeof r.Name === 'string' && r.Name !== '' ? r.Name : name,
  });
  out.HostOptions = hostOptions;
  if (!isObj(out.Driver)) out.Driver = {};
  if (out.Name === '') out.Name = name;
  // The extra key goes last so the reference's part reads as it would write it.
  if (EXTRA_KEY in out) {
    const extra = out.Machine;
    delete out.Machine;
    if (isObj(extra)) out.Machine = extra as HostConfig['Machine'];
  }
  return out;
}

/** config.json bytes, as Go's json.MarshalIndent(host, "", "    ") would write them. */
export function serializeHost(host: HostConfig): string {
  return goEscape(JSON.stringify(host as unknown as JsonValue, null, 4));
}

/** Go's encoder escapes these for HTML safety; doing the same keeps files byte-identical. */
export function goEscape(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}
