// config.json as Docker Machine writes it (ConfigVersion 3). Field names and
// key order are the reference's, so a store stays readable by both tools.
import type { JsonObject } from '@machine/driver-sdk';

export const CONFIG_VERSION = 3;

export interface EngineOptions {
  ArbitraryFlags: string[] | null;
  Dns: string[] | null;
  GraphDir: string;
  Env: string[] | null;
  Ipv6: boolean;
  InsecureRegistry: string[] | null;
  Labels: string[] | null;
  LogLevel: string;
  StorageDriver: string;
  SelinuxEnabled: boolean;
  TlsVerify: boolean;
  RegistryMirror: string[] | null;
  InstallURL: string;
}

export interface SwarmOptions {
  IsSwarm: boolean;
  Address: string;
  Discovery: string;
  Agent: boolean;
  Master: boolean;
  Host: string;
  Image: string;
  Strategy: string;
  Heartbeat: number;
  Overcommit: number;
  ArbitraryFlags: string[] | null;
  ArbitraryJoinFlags: string[] | null;
  Env: string[] | null;
  IsExperimental: boolean;
}

export interface AuthOptions {
  CertDir: string;
  CaCertPath: string;
  CaPrivateKeyPath: string;
  CaCertRemotePath: string;
  ServerCertPath: string;
  ServerKeyPath: string;
  ClientKeyPath: string;
  ServerCertRemotePath: string;
  ServerKeyRemotePath: string;
  ClientCertPath: string;
  ServerCertSANs: string[] | null;
  StorePath: string;
}

export interface HostOptions {
  Driver: string;
  Memory: number;
  Disk: number;
  EngineOptions: EngineOptions;
  SwarmOptions: SwarmOptions;
  AuthOptions: AuthOptions;
}

/**
 * What this tool records beyond the reference, kept under one extra top-level
 * key that Go's JSON decoder ignores. The reference drops it when it rewrites
 * the file; every reader must treat each field as optional.
 */
export interface MachineExtra {
  /** Schema version of the driver state in `Driver` (driver protocol). */
  DriverStateVersion?: number;
  /** Last URL the driver reported, for `env`/`url`/`config` without a driver process. */
  LastURL?: string;
  /** Last IP the driver reported. */
  LastIP?: string;
  /** ISO time of LastURL/LastIP. */
  LastSeen?: string;
  /** SSH host key recorded at create ("ssh-ed25519 AAAA..."), verified afterwards. */
  SSHHostKey?: string;
  /** The IP the server certificate was issued for. */
  CertIP?: string;
  /** Fields owned by other modules; kept as they are. */
  [key: string]: JsonValueLike;
}

type JsonValueLike = string | number | boolean | null | undefined | JsonValueLike[] | { [key: string]: JsonValueLike };

/** Key under which MachineExtra is stored in config.json. */
export const EXTRA_KEY = 'Machine';

export interface HostConfig {
  ConfigVersion: number;
  /** Opaque driver state, exactly as the driver returned it. */
  Driver: JsonObject;
  DriverName: string;
  HostOptions: HostOptions;
  Name: string;
  Machine?: MachineExtra;
}

/** One entry of Store.list(): either a loaded host or why it could not be loaded. */
export type HostEntry =
  | { name: string; host: HostConfig; error?: undefined }
  | { name: string; host?: undefined; error: Error };
