// The create flags: Docker Machine's openstack set with its defaults and
// environment variables, the rancher fork's additions (application
// credentials, user and project domains, boot from volume, server groups),
// and --openstack-cloud for clouds.yaml; and the translation of flag values
// into the driver state.
import * as path from 'node:path';
import { baseDriverState, DriverError, type BaseDriverState, type FlagSpec, type FlagValues, type MachineRef } from '@machine/driver-sdk';
import { flagReader } from '@machine/driver-sdk/flag-values';
import { loadCloud, type CloudSettings } from './clouds';

export const DOCKER_PORT = 2376;
export const DEFAULT_ACTIVE_TIMEOUT = 200;

const f = (name: string, type: FlagSpec['type'], description: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({
  name: `openstack-${name}`,
  type,
  description,
  ...extra,
});

export const FLAGS: FlagSpec[] = [
  f('cloud', 'string', 'Cloud of clouds.yaml to take the credentials and region from', { envVar: 'OS_CLOUD' }),
  f('auth-url', 'string', 'Keystone URL (with or without /v3)', { envVar: 'OS_AUTH_URL' }),
  f('insecure', 'bool', 'Do not verify the TLS certificates of the OpenStack endpoints', { default: false, envVar: 'OS_INSECURE' }),
  f('cacert', 'string', 'CA certificate bundle (PEM) to verify the OpenStack endpoints with', { envVar: 'OS_CACERT' }),
  f('domain-id', 'string', 'Domain ID of the user and project (Keystone v3)', { envVar: 'OS_DOMAIN_ID' }),
  f('domain-name', 'string', 'Domain name of the user and project (Keystone v3)', { envVar: 'OS_DOMAIN_NAME' }),
  f('user-id', 'string', 'User ID', { envVar: 'OS_USER_ID' }),
  f('username', 'string', 'User name', { envVar: 'OS_USERNAME' }),
  f('password', 'string', 'User password', { envVar: 'OS_PASSWORD', sensitive: true }),
  f('user-domain-id', 'string', 'Domain ID of the user', { envVar: 'OS_USER_DOMAIN_ID' }),
  f('user-domain-name', 'string', 'Domain name of the user', { envVar: 'OS_USER_DOMAIN_NAME' }),
  f('tenant-name', 'string', 'Project (tenant) name', { envVar: 'OS_TENANT_NAME' }),
  f('tenant-id', 'string', 'Project (tenant) ID', { envVar: 'OS_TENANT_ID' }),
  f('tenant-domain-id', 'string', 'Domain ID of the project', { envVar: 'OS_PROJECT_DOMAIN_ID' }),
  f('tenant-domain-name', 'string', 'Domain name of the project', { envVar: 'OS_PROJECT_DOMAIN_NAME' }),
  f('application-credential-id', 'string', 'Application credential ID (instead of a user and password)', { envVar: 'OS_APPLICATION_CREDENTIAL_ID' }),
  f('application-credential-name', 'string', 'Application credential name (with the user\'s name or ID)', { envVar: 'OS_APPLICATION_CREDENTIAL_NAME' }),
  f('application-credential-secret', 'string', 'Application credential secret', { envVar: 'OS_APPLICATION_CREDENTIAL_SECRET', sensitive: true }),
  f('region', 'string', 'Region name', { envVar: 'OS_REGION_NAME' }),
  f('availability-zone', 'string', 'Availability zone', { envVar: 'OS_AVAILABILITY_ZONE' }),
  f('endpoint-type', 'string', 'Endpoint type of the service catalog: publicURL, internalURL or adminURL', { default: 'publicURL', envVar: 'OS_ENDPOINT_TYPE' }),
  f('flavor-id', 'string', 'Flavor ID', { envVar: 'OS_FLAVOR_ID' }),
  f('flavor-name', 'string', 'Flavor name', { envVar: 'OS_FLAVOR_NAME' }),
  f('image-id', 'string', 'Image ID', { envVar: 'OS_IMAGE_ID' }),
  f('image-name', 'string', 'Image name', { envVar: 'OS_IMAGE_NAME' }),
  f('keypair-name', 'string', 'Existing key pair to use (needs --openstack-private-key-file)', { envVar: 'OS_KEYPAIR_NAME' }),
  f('private-key-file', 'string', 'Private key of --openstack-keypair-name', { envVar: 'OS_PRIVATE_KEY_FILE' }),
  f('net-id', 'string', 'Network ID the server is attached to', { envVar: 'OS_NETWORK_ID' }),
  f('net-name', 'string', 'Network name the server is attached to', { envVar: 'OS_NETWORK_NAME' }),
  f('user-data-file', 'string', 'File with user data for the server', { envVar: 'OS_USER_DATA_FILE' }),
  f('sec-groups', 'string', 'Comma-separated security groups (default: one made for the machine, opening SSH and 2376)', { envVar: 'OS_SECURITY_GROUPS' }),
  f('nova-network', 'bool', 'Use nova-network floating IPs instead of Neutron', { default: false, envVar: 'OS_NOVA_NETWORK' }),
  f('floatingip-pool', 'string', 'Floating IP pool (external network) to take the machine\'s address from', { envVar: 'OS_FLOATINGIP_POOL' }),
  f('ip-version', 'int', 'IP version of the address to use: 4 or 6', { default: 4, envVar: 'OS_IP_VERSION' }),
  f('ssh-user', 'string', 'SSH user of the image', { default: 'root', envVar: 'OS_SSH_USER' }),
  f('ssh-port', 'int', 'SSH port', { default: 22, envVar: 'OS_SSH_PORT' }),
  f('active-timeout', 'int', 'Seconds to wait for the server to become ACTIVE', { default: DEFAULT_ACTIVE_TIMEOUT, envVar: 'OS_ACTIVE_TIMEOUT' }),
  f('config-drive', 'bool', 'Attach a config drive', { default: false, envVar: 'OS_CONFIG_DRIVE' }),
  f('metadata', 'string', 'Server metadata as key1,value1,key2,value2', { envVar: 'OS_METADATA' }),
  f('boot-from-volume', 'bool', 'Boot from a new volume made from the image', { default: false, envVar: 'OS_BOOT_FROM_VOLUME' }),
  f('volume-id', 'string', 'Boot from this existing volume', { envVar: 'OS_VOLUME_ID' }),
  f('volume-name', 'string', 'Name of the boot volume to make from the image through the block storage service (with --openstack-boot-from-volume and --openstack-volume-size)', { envVar: 'OS_VOLUME_NAME' }),
  f('volume-size', 'int', 'Size in GB of the boot volume', { default: 0, envVar: 'OS_VOLUME_SIZE' }),
  f('volume-type', 'string', 'Volume type of the boot volume', { envVar: 'OS_VOLUME_TYPE' }),
  f('volume-device-path', 'string', 'Device name of the boot volume, e.g. /dev/vda', { envVar: 'OS_VOLUME_DEVICE_PATH' }),
  f('server-group-id', 'string', 'Server group ID to place the server in', { envVar: 'OS_SERVER_GROUP_ID' }),
  f('server-group-name', 'string', 'Server group name to place the server in', { envVar: 'OS_SERVER_GROUP_NAME' }),
];

/**
 * The driver state, as the host stores it under "Driver" in config.json.
 * Field names follow the reference driver's so its stores load unchanged;
 * the rancher fields, Cloud and the *Created bookkeeping are additions.
 */
export type OpenStackState = BaseDriverState & {
  Cloud?: string;
  AuthUrl?: string;
  Insecure: boolean;
  CaCert?: string;
  DomainID?: string;
  DomainName?: string;
  UserID?: string;
  Username?: string;
  Password?: string;
  UserDomainID?: string;
  UserDomainName?: string;
  TenantName?: string;
  TenantId?: string;
  TenantDomainID?: string;
  TenantDomainName?: string;
  ApplicationCredentialID?: string;
  ApplicationCredentialName?: string;
  ApplicationCredentialSecret?: string;
  Region?: string;
  AvailabilityZone?: string;
  EndpointType: string;
  FlavorId?: string;
  FlavorName?: string;
  ImageId?: string;
  ImageName?: string;
  KeyPairName?: string;
  PrivateKeyFile?: string;
  NetworkId?: string;
  NetworkName?: string;
  UserDataFile?: string;
  SecurityGroups: string[];
  NovaNetwork: boolean;
  FloatingIpPool?: string;
  FloatingIpPoolId?: string;
  IpVersion: number;
  ActiveTimeout: number;
  ConfigDrive: boolean;
  Metadata?: string;
  BootFromVolume: boolean;
  VolumeId?: string;
  /** The name of the boot volume create makes through Cinder (instead of letting Nova make an unnamed one). */
  VolumeName?: string;
  VolumeSize: number;
  VolumeType?: string;
  VolumeDevicePath?: string;
  ServerGroupId?: string;
  ServerGroupName?: string;

  // Filled in by create.
  MachineId?: string;
  /** True when create made the key pair, so remove deletes it. */
  KeyPairCreated?: boolean;
  /** Security group create made because none was given; remove deletes it. */
  CreatedSecurityGroupId?: string;
  /** The boot volume create made through Cinder (--openstack-volume-name); Nova deletes it with the server, rm makes sure. */
  CreatedVolumeId?: string;
  FloatingIpId?: string;
  /** True when create allocated the floating IP, so remove releases it. */
  FloatingIpCreated?: boolean;
};

const ENDPOINT_TYPES = ['publicURL', 'internalURL', 'adminURL', 'public', 'internal', 'admin'];

/** The catalog interface for --openstack-endpoint-type: publicURL → public. */
export function catalogInterface(endpointType: string): string {
  return endpointType.replace(/URL$/, '');
}

export function parseMetadata(metadata: string | undefined): Record<string, string> {
  if (!metadata) return {};
  const parts = metadata.split(',');
  if (parts.length % 2 !== 0) {
    throw new DriverError('invalid-argument', '--openstack-metadata needs key,value pairs: an even number of comma-separated items', { flag: 'openstack-metadata' });
  }
  const out: Record<string, string> = {};
  for (let i = 0; i < parts.length; i += 2) out[parts[i].trim()] = parts[i + 1].trim();
  return out;
}

const conflict = (a: string, b: string) =>
  new DriverError('invalid-argument', `--openstack-${a} and --openstack-${b} cannot both be set; give one`, { flag: `openstack-${b}` });

/**
 * Flag values → initial driver state. Values from clouds.yaml (--openstack-cloud
 * or OS_CLOUD) fill what the flags leave unset. Checks what can be checked
 * offline; `env` is where OS_PROJECT_NAME and OS_PROJECT_ID, the newer names
 * of the tenant variables, are read from.
 */
export function stateFromFlags(flags: FlagValues, machine: MachineRef, env: NodeJS.ProcessEnv = process.env): OpenStackState {
  const f = flagReader(flags, 'openstack');
  const state: OpenStackState = {
    ...baseDriverState(machine, { SSHUser: f.string('ssh-user') ?? 'root', SSHPort: f.int('ssh-port', 22), SSHKeyPath: path.join(machine.machineDir, 'id_rsa') }),
    Cloud: f.string('cloud'),
    AuthUrl: f.string('auth-url'),
    Insecure: f.bool('insecure') ?? false,
    CaCert: f.string('cacert'),
    DomainID: f.string('domain-id'),
    DomainName: f.string('domain-name'),
    UserID: f.string('user-id'),
    Username: f.string('username'),
    Password: f.string('password'),
    UserDomainID: f.string('user-domain-id'),
    UserDomainName: f.string('user-domain-name'),
    TenantName: f.string('tenant-name'),
    TenantId: f.string('tenant-id'),
    TenantDomainID: f.string('tenant-domain-id'),
    TenantDomainName: f.string('tenant-domain-name'),
    ApplicationCredentialID: f.string('application-credential-id'),
    ApplicationCredentialName: f.string('application-credential-name'),
    ApplicationCredentialSecret: f.string('application-credential-secret'),
    Region: f.string('region'),
    AvailabilityZone: f.string('availability-zone'),
    EndpointType: f.string('endpoint-type') ?? 'publicURL',
    FlavorId: f.string('flavor-id'),
    FlavorName: f.string('flavor-name'),
    ImageId: f.string('image-id'),
    ImageName: f.string('image-name'),
    KeyPairName: f.string('keypair-name'),
    PrivateKeyFile: f.string('private-key-file'),
    NetworkId: f.string('net-id'),
    NetworkName: f.string('net-name'),
    UserDataFile: f.string('user-data-file'),
    SecurityGroups: (f.string('sec-groups') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
    NovaNetwork: f.bool('nova-network') ?? false,
    FloatingIpPool: f.string('floatingip-pool'),
    IpVersion: f.int('ip-version', 4),
    ActiveTimeout: f.int('active-timeout', DEFAULT_ACTIVE_TIMEOUT),
    ConfigDrive: f.bool('config-drive') ?? false,
    Metadata: f.string('metadata'),
    BootFromVolume: f.bool('boot-from-volume') ?? false,
    VolumeId: f.string('volume-id'),
    VolumeName: f.string('volume-name'),
    VolumeSize: f.int('volume-size', 0),
    VolumeType: f.string('volume-type'),
    VolumeDevicePath: f.string('volume-device-path'),
    ServerGroupId: f.string('server-group-id'),
    ServerGroupName: f.string('server-group-name'),
  };
  if (!state.Cloud) {
    state.TenantName ??= env.OS_PROJECT_NAME || undefined;
    state.TenantId ??= env.OS_PROJECT_ID || undefined;
  }
  // JSON state has no undefined: leave unset fields out.
  for (const k of Object.keys(state) as (keyof OpenStackState)[]) if (state[k] === undefined) delete state[k];
  // Checked with clouds.yaml applied, but stored without it: the store keeps
  // only the cloud's name, so its secrets stay in clouds.yaml and changes
  // there (a new password) reach existing machines.
  validate(withCloud(state, env));
  return state;
}

/** Flag-set value wins; otherwise the cloud's. */
const CLOUD_FIELDS: [keyof OpenStackState, keyof CloudSettings][] = [
  ['AuthUrl', 'authUrl'],
  ['CaCert', 'cacert'],
  ['DomainID', 'domainId'],
  ['DomainName', 'domainName'],
  ['UserID', 'userId'],
  ['Username', 'username'],
  ['Password', 'password'],
  ['UserDomainID', 'userDomainId'],
  ['UserDomainName', 'userDomainName'],
  ['TenantName', 'projectName'],
  ['TenantId', 'projectId'],
  ['TenantDomainID', 'projectDomainId'],
  ['TenantDomainName', 'projectDomainName'],
  ['ApplicationCredentialID', 'applicationCredentialId'],
  ['ApplicationCredentialName', 'applicationCredentialName'],
  ['ApplicationCredentialSecret', 'applicationCredentialSecret'],
  ['Region', 'regionName'],
];

/**
 * The state with the settings of its clouds.yaml cloud filled in where the
 * flags left them unset. The cloud's `interface` applies while the endpoint
 * type is the default.
 */
export function withCloud(state: OpenStackState, env: NodeJS.ProcessEnv = process.env): OpenStackState {
  if (!state.Cloud) return state;
  const cloud = loadCloud(state.Cloud, env);
  const out = { ...state } as Record<string, unknown>;
  for (const [field, key] of CLOUD_FIELDS) if (out[field] === undefined && cloud[key] !== undefined) out[field] = cloud[key];
  if (cloud.insecure) out.Insecure = true;
  if (cloud.interface && state.EndpointType === 'publicURL') out.EndpointType = cloud.interface;
  return out as OpenStackState;
}

/** The checks that need no cloud, in flag order; each names the flag to fix. */
export function validate(s: OpenStackState): void {
  if (!s.AuthUrl) {
    throw new DriverError('invalid-argument', 'openstack driver requires the --openstack-auth-url option (or OS_AUTH_URL, or a cloud in clouds.yaml with --openstack-cloud / OS_CLOUD)', { flag: 'openstack-auth-url' });
  }
  let url: URL;
  try {
    url = new URL(s.AuthUrl);
  } catch {
    throw new DriverError('invalid-argument', `--openstack-auth-url "${s.AuthUrl}" is not a URL such as https://keystone.example.com:5000/v3`, { flag: 'openstack-auth-url' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DriverError('invalid-argument', `--openstack-auth-url "${s.AuthUrl}" must be an http:// or https:// URL`, { flag: 'openstack-auth-url' });
  }
  if (/\/v2\.0\/?$/.test(url.pathname)) {
    throw new DriverError('invalid-argument', `--openstack-auth-url "${s.AuthUrl}" is a Keystone v2.0 URL; v2.0 was removed from Keystone in 2018 and this driver speaks v3: use the URL without /v2.0 or with /v3`, { flag: 'openstack-auth-url' });
  }
  const appCred = s.ApplicationCredentialID !== undefined || s.ApplicationCredentialName !== undefined;
  if (appCred) {
    if (s.ApplicationCredentialID && s.ApplicationCredentialName) throw conflict('application-credential-id', 'application-credential-name');
    if (!s.ApplicationCredentialSecret) {
      throw new DriverError('invalid-argument', 'an application credential needs its secret: set --openstack-application-credential-secret (or OS_APPLICATION_CREDENTIAL_SECRET)', { flag: 'openstack-application-credential-secret' });
    }
    if (s.ApplicationCredentialName && !s.UserID && !s.Username) {
      throw new DriverError('invalid-argument', '--openstack-application-credential-name needs the user it belongs to: set --openstack-username or --openstack-user-id', { flag: 'openstack-username' });
    }
  } else {
    if (!s.Username && !s.UserID) {
      throw new DriverError('invalid-argument', 'openstack driver requires the --openstack-username option (or --openstack-user-id, or an application credential)', { flag: 'openstack-username' });
    }
    if (!s.Password) {
      throw new DriverError('invalid-argument', 'openstack driver requires the --openstack-password option (or OS_PASSWORD)', { flag: 'openstack-password' });
    }
    if (!s.TenantName && !s.TenantId) {
      throw new DriverError('invalid-argument', 'openstack driver requires the --openstack-tenant-name or --openstack-tenant-id option (or OS_PROJECT_NAME / OS_PROJECT_ID)', { flag: 'openstack-tenant-name' });
    }
  }
  if (s.ApplicationCredentialSecret && !appCred) {
    throw new DriverError('invalid-argument', '--openstack-application-credential-secret needs --openstack-application-credential-id or --openstack-application-credential-name', { flag: 'openstack-application-credential-id' });
  }
  if (!ENDPOINT_TYPES.includes(s.EndpointType)) {
    throw new DriverError('invalid-argument', `--openstack-endpoint-type "${s.EndpointType}" is not one of publicURL, internalURL, adminURL`, { flag: 'openstack-endpoint-type' });
  }
  if (s.FlavorId && s.FlavorName) throw conflict('flavor-id', 'flavor-name');
  if (!s.FlavorId && !s.FlavorName) {
    throw new DriverError('invalid-argument', 'openstack driver requires the --openstack-flavor-id or --openstack-flavor-name option', { flag: 'openstack-flavor-name' });
  }
  if (s.ImageId && s.ImageName) throw conflict('image-id', 'image-name');
  if (!s.ImageId && !s.ImageName && !s.VolumeId) {
    throw new DriverError('invalid-argument', 'openstack driver requires the --openstack-image-id or --openstack-image-name option', { flag: 'openstack-image-name' });
  }
  if (s.NetworkId && s.NetworkName) throw conflict('net-id', 'net-name');
  if (s.ServerGroupId && s.ServerGroupName) throw conflict('server-group-id', 'server-group-name');
  if (s.KeyPairName && !s.PrivateKeyFile) {
    throw new DriverError('invalid-argument', '--openstack-keypair-name needs --openstack-private-key-file: the private key of that key pair', { flag: 'openstack-private-key-file' });
  }
  if (s.PrivateKeyFile && !s.KeyPairName) {
    throw new DriverError('invalid-argument', '--openstack-private-key-file needs --openstack-keypair-name: the key pair it belongs to', { flag: 'openstack-keypair-name' });
  }
  if (s.IpVersion !== 4 && s.IpVersion !== 6) {
    throw new DriverError('invalid-argument', `--openstack-ip-version must be 4 or 6, not ${s.IpVersion}`, { flag: 'openstack-ip-version' });
  }
  if (s.SSHPort < 1 || s.SSHPort > 65535) {
    throw new DriverError('invalid-argument', '--openstack-ssh-port must be between 1 and 65535', { flag: 'openstack-ssh-port' });
  }
  if (s.ActiveTimeout < 1) {
    throw new DriverError('invalid-argument', '--openstack-active-timeout must be at least 1 (seconds)', { flag: 'openstack-active-timeout' });
  }
  if (s.VolumeSize < 0) {
    throw new DriverError('invalid-argument', '--openstack-volume-size must be 0 (the image\'s size) or more (GB)', { flag: 'openstack-volume-size' });
  }
  if (s.VolumeName && s.VolumeId) throw conflict('volume-id', 'volume-name');
  if (s.VolumeName && !s.BootFromVolume) {
    throw new DriverError('invalid-argument', '--openstack-volume-name names the boot volume made from the image: it needs --openstack-boot-from-volume', { flag: 'openstack-boot-from-volume' });
  }
  if (s.VolumeName && s.VolumeSize <= 0) {
    throw new DriverError('invalid-argument', '--openstack-volume-name makes the boot volume through the block storage service, which needs its size: set --openstack-volume-size (GB)', { flag: 'openstack-volume-size' });
  }
  if ((s.VolumeSize > 0 || s.VolumeType || s.VolumeDevicePath) && !s.BootFromVolume && !s.VolumeId) {
    throw new DriverError('invalid-argument', '--openstack-volume-size, --openstack-volume-type and --openstack-volume-device-path need --openstack-boot-from-volume', { flag: 'openstack-boot-from-volume' });
  }
  if (s.NovaNetwork && s.SecurityGroups.length === 0) {
    // Security groups are made through Neutron; nova-network clouds have none.
    throw new DriverError('invalid-argument', 'with --openstack-nova-network, name the security groups to use with --openstack-sec-groups (they must open 22 and 2376)', { flag: 'openstack-sec-groups' });
  }
  parseMetadata(s.Metadata);
}
