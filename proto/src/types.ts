// Plain TypeScript shapes of the driver protocol, shared by the SDK (driver
// side) and the host (core side). The wire types generated from
// driver.proto stay internal to this package; these are what authors and
// the core program against.

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Docker Machine's state strings, as `ls` prints them ("" for None). */
export type MachineStateName =
  | ''
  | 'Running'
  | 'Paused'
  | 'Saved'
  | 'Stopped'
  | 'Stopping'
  | 'Starting'
  | 'Error'
  | 'Timeout'
  | 'Not Found';

export type FlagType = 'string' | 'int' | 'bool' | 'string-list';
export type FlagValue = string | number | boolean | string[];
export type FlagValues = Record<string, FlagValue>;

export interface FlagSpec {
  /** Full CLI name without dashes, prefixed with the driver name: "amazonec2-region". */
  name: string;
  type: FlagType;
  description: string;
  default?: FlagValue;
  envVar?: string;
  required?: boolean;
  sensitive?: boolean;
}

/** Where a machine lives in the host's store. */
export interface MachineRef {
  name: string;
  /** The store root (MACHINE_STORAGE_PATH). */
  storePath: string;
  /** storePath/machines/name */
  machineDir: string;
  /** The SSH host key the core recorded for the machine, if any (an OpenSSH public-key line). */
  sshHostKey?: string;
}

export interface SSHInfo {
  host: string;
  port: number;
  user: string;
  keyPath: string;
  /** The host's SSH public key line, when the driver knows it; absent or empty: unknown. */
  hostKey?: string;
}

export interface Description {
  state: MachineStateName;
  ip: string;
  url: string;
  stateError?: string;
  ipError?: string;
  urlError?: string;
}

export interface DriverMetadata {
  name: string;
  version: string;
  description: string;
  protocolVersions: number[];
  capabilities: string[];
  stateVersion: number;
  sdk: string;
  /** What the host does after Create (Metadata.provisioning; unspecified reads as "ssh"). */
  provisioning: Provisioning;
}

/**
 * "ssh": the host waits for Running, then installs and configures Docker over
 * SSH. "none": the engine GetURL names is already served; the host does nothing.
 */
export type Provisioning = 'ssh' | 'none';

export type Severity = 'error' | 'warning';

export interface DiagnosticInfo {
  severity: Severity;
  summary: string;
  detail?: string;
  /** The flag at fault, without dashes. */
  flag?: string;
}

/** Error kinds, each mapped to one gRPC status code on the wire. */
export type ErrorCode =
  | 'not-found'
  | 'invalid-argument'
  | 'failed-precondition'
  | 'already-exists'
  | 'permission-denied'
  | 'unauthenticated'
  | 'resource-exhausted'
  | 'unavailable'
  | 'deadline-exceeded'
  | 'cancelled'
  | 'unimplemented'
  | 'internal';
