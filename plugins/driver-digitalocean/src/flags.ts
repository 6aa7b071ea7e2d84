// The create flags: Docker Machine's digitalocean set with its environment
// variables and current defaults, plus the API URL, VPC, doctl context,
// private address and create timeout; and the translation of flag values into
// the driver state, checking everything that can be checked offline.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { baseDriverState, type BaseDriverState, type DriverError, type FlagSpec, type FlagValues, type MachineRef } from '@machine/driver-sdk';
import { flagReader } from '@machine/driver-sdk/flag-values';

export const DEFAULT_API_URL = 'https://api.digitalocean.com';
/** The newest Ubuntu LTS whose slug DigitalOcean is known to serve, and that Docker's packages support. */
export const DEFAULT_IMAGE = 'ubuntu-24-04-x64';
export const DEFAULT_REGION = 'nyc3';
/** One vCPU and 1 GiB: the smallest Basic size that runs Docker comfortably. */
export const DEFAULT_SIZE = 's-1vcpu-1gb';
export const DEFAULT_CREATE_TIMEOUT_SECONDS = 600;
/** DigitalOcean's limit on user data. */
export const MAX_USER_DATA_BYTES = 64 * 1024;
export const DOCKER_PORT = 2376;

const f = (name: string, type: FlagSpec['type'], description: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({
  name: `digitalocean-${name}`,
  type,
  description,
  ...extra,
});

export const FLAGS: FlagSpec[] = [
  f('access-token', 'string', 'DigitalOcean API token (default: DIGITALOCEAN_ACCESS_TOKEN, then doctl\'s config file)', { envVar: 'DIGITALOCEAN_ACCESS_TOKEN', sensitive: true }),
  f('context', 'string', 'doctl authentication context to take the token from when none is given (default: doctl\'s current context)', { envVar: 'DIGITALOCEAN_CONTEXT' }),
  f('api-url', 'string', 'Base URL of the DigitalOcean API, for compatible APIs', { default: DEFAULT_API_URL, envVar: 'DIGITALOCEAN_API_URL' }),
  f('ssh-user', 'string', 'SSH user of the image', { default: 'root', envVar: 'DIGITALOCEAN_SSH_USER' }),
  f('ssh-key-fingerprint', 'string', 'Fingerprint (or id) of an SSH key already in the account, used instead of creating one', { envVar: 'DIGITALOCEAN_SSH_KEY_FINGERPRINT' }),
  f('ssh-key-path', 'string', 'Private key to use instead of generating one; its public key is reused when the account has it, else added', { envVar: 'DIGITALOCEAN_SSH_KEY_PATH' }),
  f('ssh-port', 'int', 'SSH port', { default: 22, envVar: 'DIGITALOCEAN_SSH_PORT' }),
  f('image', 'string', 'Image slug or id', { default: DEFAULT_IMAGE, envVar: 'DIGITALOCEAN_IMAGE' }),
  f('region', 'string', 'Region slug', { default: DEFAULT_REGION, envVar: 'DIGITALOCEAN_REGION' }),
  f('size', 'string', 'Droplet size slug', { default: DEFAULT_SIZE, envVar: 'DIGITALOCEAN_SIZE' }),
  f('ipv6', 'bool', 'Enable IPv6', { default: false, envVar: 'DIGITALOCEAN_IPV6' }),
  f('private-networking', 'bool', 'Enable private networking', { default: false, envVar: 'DIGITALOCEAN_PRIVATE_NETWORKING' }),
  f('use-private-address', 'bool', 'Talk to the droplet over its private IPv4 address (from a machine in the same VPC)', { default: false, envVar: 'DIGITALOCEAN_USE_PRIVATE_ADDRESS' }),
  f('vpc-uuid', 'string', 'UUID of the VPC to place the droplet in (default: the region\'s default VPC)', { envVar: 'DIGITALOCEAN_VPC_UUID' }),
  f('backups', 'bool', 'Enable backups', { default: false, envVar: 'DIGITALOCEAN_BACKUPS' }),
  f('userdata', 'string', 'Path of a file to pass as user data', { envVar: 'DIGITALOCEAN_USERDATA' }),
  f('monitoring', 'bool', 'Enable the monitoring agent', { default: false, envVar: 'DIGITALOCEAN_MONITORING' }),
  f('tags', 'string', 'Comma-separated droplet tags', { envVar: 'DIGITALOCEAN_TAGS' }),
  f('create-timeout', 'int', 'Seconds to wait for the droplet to be active with an address before create gives up and deletes it', {
    default: DEFAULT_CREATE_TIMEOUT_SECONDS,
    envVar: 'DIGITALOCEAN_CREATE_TIMEOUT',
  }),
];

/**
 * The driver state, as the host stores it under "Driver" in config.json.
 * Field names are the reference driver's, so its stores load unchanged;
 * ApiURL, DoctlContext, VpcUUID, UsePrivateIP, PrivateIPAddress,
 * CreateTimeout, SSHKeyCreated and CreateTag are additions.
 */
export type DOState = BaseDriverState & {
  /** Empty when the token comes from doctl's config file: then only the context is stored, and read on each call. */
  AccessToken?: string;
  DoctlContext?: string;
  ApiURL: string;
  Image: string;
  Region: string;
  Size: string;
  IPv6: boolean;
  PrivateNetworking: boolean;
  UsePrivateIP: boolean;
  VpcUUID?: string;
  Backups: boolean;
  Monitoring: boolean;
  UserDataFile?: string;
  Tags?: string;
  /** The user's key in the account (--digitalocean-ssh-key-fingerprint); never deleted. */
  SSHKeyFingerprint?: string;
  /** The user's own private key (--digitalocean-ssh-key-path). */
  SSHKey?: string;
  CreateTimeout: number;
  /**
   * A tag put on the droplet, made when the flags are read, so that a droplet
   * whose create answer never arrived (the process died) can still be found and removed.
   */
  CreateTag: string;

  // Filled in by create.
  DropletID?: number;
  DropletName?: string;
  SSHKeyID?: number;
  /** True when create added the key to the account, so remove deletes it. */
  SSHKeyCreated?: boolean;
  PrivateIPAddress?: string;
};

export function invalid(name: string, summary: string, detail?: string): DriverError {
  return flagReader({}, 'digitalocean').invalid(name, summary, detail);
}

const SLUG = /^[a-z0-9][a-z0-9._-]*$/;
const TAG = /^[a-zA-Z0-9_:-]{1,255}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MD5_FINGERPRINT = /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/i;

export function parseTags(tags: string | undefined): string[] {
  if (!tags) return [];
  const out = tags
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  for (const t of out) {
    if (!TAG.test(t)) throw invalid('tags', `--digitalocean-tags: "${t}" is not a valid tag (letters, digits, "_", "-" and ":", at most 255)`);
  }
  return out;
}

/** Loopback hosts, the only ones a token may be sent to over plain HTTP. */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || /^127(\.\d{1,3}){3}$/.test(hostname) || hostname === '[::1]';
}

export function parseApiURL(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('api-url', `--digitalocean-api-url "${value}" is not a URL such as ${DEFAULT_API_URL}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw invalid('api-url', `--digitalocean-api-url "${value}" must use https (plain http only on this machine's loopback), so the token is never sent in clear text`);
  }
  if (url.search || url.hash) throw invalid('api-url', `--digitalocean-api-url "${value}" must not have a query or fragment`);
  return url;
}

function readable(file: string, name: string, what: string): number {
  try {
    return fs.statSync(file).size;
  } catch (err) {
    throw invalid(name, `cannot read the ${what} ${file} (--digitalocean-${name}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Flag values → initial driver state, without the credentials (see credentials.ts). Checks what can be checked offline. */
export function stateFromFlags(flags: FlagValues, machine: MachineRef, createTag: string): DOState {
  const f = flagReader(flags, 'digitalocean');
  const state: DOState = {
    // SSHKeyPath is the key the core connects with: the machine's id_rsa.
    ...baseDriverState(machine, { SSHUser: f.string('ssh-user') ?? 'root', SSHPort: f.int('ssh-port', 22), SSHKeyPath: path.join(machine.machineDir, 'id_rsa') }),
    ApiURL: f.string('api-url') ?? DEFAULT_API_URL,
    Image: f.string('image') ?? DEFAULT_IMAGE,
    Region: f.string('region') ?? DEFAULT_REGION,
    Size: f.string('size') ?? DEFAULT_SIZE,
    IPv6: f.bool('ipv6') ?? false,
    PrivateNetworking: f.bool('private-networking') ?? false,
    UsePrivateIP: f.bool('use-private-address') ?? false,
    VpcUUID: f.string('vpc-uuid'),
    Backups: f.bool('backups') ?? false,
    Monitoring: f.bool('monitoring') ?? false,
    UserDataFile: f.string('userdata'),
    Tags: f.string('tags'),
    SSHKeyFingerprint: f.string('ssh-key-fingerprint'),
    SSHKey: f.string('ssh-key-path'),
    CreateTimeout: f.int('create-timeout', DEFAULT_CREATE_TIMEOUT_SECONDS),
    CreateTag: createTag,
  };

  parseApiURL(state.ApiURL);
  if (!SLUG.test(state.Region)) throw invalid('region', `--digitalocean-region "${state.Region}" is not a region slug such as nyc3`);
  if (!SLUG.test(state.Size)) throw invalid('size', `--digitalocean-size "${state.Size}" is not a size slug such as ${DEFAULT_SIZE}`);
  if (!SLUG.test(state.Image)) throw invalid('image', `--digitalocean-image "${state.Image}" is not an image slug or id such as ${DEFAULT_IMAGE}`);
  if (state.SSHPort < 1 || state.SSHPort > 65535) throw invalid('ssh-port', '--digitalocean-ssh-port must be between 1 and 65535');
  if (/\s/.test(state.SSHUser)) throw invalid('ssh-user', `--digitalocean-ssh-user "${state.SSHUser}" is not a user name`);
  if (state.CreateTimeout < 1) throw invalid('create-timeout', '--digitalocean-create-timeout must be at least 1 (second)');
  if (state.VpcUUID && !UUID.test(state.VpcUUID)) throw invalid('vpc-uuid', `--digitalocean-vpc-uuid "${state.VpcUUID}" is not a UUID`);
  if (state.SSHKeyFingerprint && !MD5_FINGERPRINT.test(state.SSHKeyFingerprint) && !/^\d+$/.test(state.SSHKeyFingerprint)) {
    throw invalid('ssh-key-fingerprint', `--digitalocean-ssh-key-fingerprint "${state.SSHKeyFingerprint}" is neither an MD5 fingerprint (aa:bb:...:ff) nor a key id`);
  }
  if (state.SSHKeyFingerprint && !state.SSHKey) {
    // As the reference did: an account key without a path is assumed to be the user's default key.
    state.SSHKey = path.join(os.homedir(), '.ssh', 'id_rsa');
    if (!fs.existsSync(state.SSHKey)) {
      throw invalid('ssh-key-path', `--digitalocean-ssh-key-fingerprint needs the private key of that account key: set --digitalocean-ssh-key-path (${state.SSHKey} does not exist)`);
    }
  }
  if (state.SSHKey) readable(state.SSHKey, 'ssh-key-path', 'SSH key');
  if (state.UserDataFile) {
    const size = readable(state.UserDataFile, 'userdata', 'user data file');
    if (size > MAX_USER_DATA_BYTES) throw invalid('userdata', `the user data file ${state.UserDataFile} has ${size} bytes; DigitalOcean takes at most ${MAX_USER_DATA_BYTES} (--digitalocean-userdata)`);
  }
  parseTags(state.Tags);
  return state;
}
