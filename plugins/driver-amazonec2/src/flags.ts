// The create flags: Docker Machine's amazonec2 set with its defaults and
// environment variables, plus --amazonec2-profile, and the translation of
// flag values into the driver state.
import * as path from 'node:path';
import { baseDriverState, DriverError, type BaseDriverState, type FlagSpec, type FlagValue, type FlagValues, type MachineRef } from '@machine/driver-sdk';

export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_SECURITY_GROUP = 'docker-machine';
export const DOCKER_PORT = 2376;

const f = (name: string, type: FlagSpec['type'], description: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({
  name: `amazonec2-${name}`,
  type,
  description,
  ...extra,
});

export const FLAGS: FlagSpec[] = [
  f('access-key', 'string', 'AWS access key ID', { envVar: 'AWS_ACCESS_KEY_ID', sensitive: true }),
  f('secret-key', 'string', 'AWS secret access key', { envVar: 'AWS_SECRET_ACCESS_KEY', sensitive: true }),
  f('session-token', 'string', 'AWS session token', { envVar: 'AWS_SESSION_TOKEN', sensitive: true }),
  f('profile', 'string', 'Profile of the shared AWS config and credentials files to take credentials from'),
  f('ami', 'string', 'AMI ID (default: the latest Ubuntu LTS for the instance type\'s architecture)', { envVar: 'AWS_AMI' }),
  f('region', 'string', 'AWS region', { default: DEFAULT_REGION, envVar: 'AWS_DEFAULT_REGION' }),
  f('vpc-id', 'string', 'VPC ID (default: the account\'s default VPC)', { envVar: 'AWS_VPC_ID' }),
  f('zone', 'string', 'Availability zone letter (a, b, ...) or full zone name', { default: 'a', envVar: 'AWS_ZONE' }),
  f('subnet-id', 'string', 'Subnet ID (default: the subnet of the VPC in the zone)', { envVar: 'AWS_SUBNET_ID' }),
  f('security-group-readonly', 'bool', 'Use the security groups as they are: never add rules', { default: false, envVar: 'AWS_SECURITY_GROUP_READONLY' }),
  f('security-group', 'string-list', 'Security group name (repeatable); created when missing', { default: [DEFAULT_SECURITY_GROUP], envVar: 'AWS_SECURITY_GROUP' }),
  f('open-port', 'string-list', 'Extra port to open, as PORT or PORT/PROTOCOL (repeatable)'),
  f('tags', 'string', 'Instance tags as key1,value1,key2,value2', { envVar: 'AWS_TAGS' }),
  f('instance-type', 'string', 'Instance type', { default: 't2.micro', envVar: 'AWS_INSTANCE_TYPE' }),
  f('device-name', 'string', 'Root device name', { default: '/dev/sda1', envVar: 'AWS_DEVICE_NAME' }),
  f('root-size', 'int', 'Root disk size in GB', { default: 16, envVar: 'AWS_ROOT_SIZE' }),
  f('volume-type', 'string', 'Root volume type', { default: 'gp2', envVar: 'AWS_VOLUME_TYPE' }),
  f('iam-instance-profile', 'string', 'IAM instance profile name', { envVar: 'AWS_INSTANCE_PROFILE' }),
  f('ssh-port', 'int', 'SSH port', { default: 22, envVar: 'AWS_SSH_PORT' }),
  f('ssh-user', 'string', 'SSH user of the AMI', { default: 'ubuntu', envVar: 'AWS_SSH_USER' }),
  f('request-spot-instance', 'bool', 'Use a spot instance', { default: false }),
  f('spot-price', 'string', 'Maximum spot price in USD per hour', { default: '0.50' }),
  f('block-duration-minutes', 'int', 'Spot block duration in minutes (multiple of 60; 0: none)', { default: 0 }),
  f('private-address-only', 'bool', 'Give the instance only a private address', { default: false }),
  f('use-private-address', 'bool', 'Talk to the instance over its private address', { default: false }),
  f('monitoring', 'bool', 'Enable detailed CloudWatch monitoring', { default: false }),
  f('use-ebs-optimized-instance', 'bool', 'Create an EBS-optimized instance', { default: false }),
  f('ssh-keypath', 'string', 'Private key to use instead of generating one (its .pub is imported unless --amazonec2-keypair-name is set)', { envVar: 'AWS_SSH_KEYPATH' }),
  f('keypair-name', 'string', 'Existing EC2 key pair to use (needs --amazonec2-ssh-keypath)', { envVar: 'AWS_KEYPAIR_NAME' }),
  f('retries', 'int', 'Retries for throttled and failed requests (-1: none)', { default: 5 }),
  f('endpoint', 'string', 'Custom EC2 endpoint URL', { envVar: 'AWS_ENDPOINT' }),
  f('insecure-transport', 'bool', 'Use plain HTTP with the custom endpoint', { default: false, envVar: 'AWS_INSECURE_TRANSPORT' }),
  f('userdata', 'string', 'Path of a file to pass as user data', { envVar: 'AWS_USERDATA' }),
];

/**
 * The driver state, as the host stores it under "Driver" in config.json.
 * Field names are the reference driver's, so its stores load unchanged;
 * Profile, KeyPairCreated, CreatedSecurityGroupIds, SpotInstanceRequestId,
 * ClientToken, CreateToken and SwarmMode are additions.
 */
export type EC2State = BaseDriverState & {
  AccessKey?: string;
  SecretKey?: string;
  SessionToken?: string;
  Profile?: string;
  Region: string;
  Endpoint?: string;
  DisableSSL: boolean;
  AMI?: string;
  Zone: string;
  VpcId?: string;
  SubnetId?: string;
  SecurityGroupNames: string[];
  SecurityGroupReadOnly: boolean;
  OpenPorts: string[];
  Tags?: string;
  InstanceType: string;
  DeviceName: string;
  RootSize: number;
  VolumeType: string;
  IamInstanceProfile?: string;
  RequestSpotInstance: boolean;
  SpotPrice: string;
  BlockDurationMinutes: number;
  PrivateIPOnly: boolean;
  UsePrivateIP: boolean;
  Monitoring: boolean;
  UseEbsOptimizedInstance: boolean;
  /** The user's own private key, when given. */
  SSHPrivateKeyPath?: string;
  /** True when the user named an existing key pair (--amazonec2-keypair-name); it is never deleted. */
  ExistingKey: boolean;
  RetryCount: number;
  UserDataFile?: string;
  /** The swarm-mode role the core gives the machine ("manager" or "worker"): its security group opens the swarm ports. */
  SwarmMode?: 'manager' | 'worker';

  // Filled in by create.
  InstanceId?: string;
  SpotInstanceRequestId?: string;
  /** The EC2 key pair: the one named by --amazonec2-keypair-name, or the machine's name once imported. */
  KeyName?: string;
  /** True when create imported the key pair, so remove deletes it. */
  KeyPairCreated?: boolean;
  SecurityGroupIds?: string[];
  /** The reference's single-group fields, kept for old stores. */
  SecurityGroupId?: string;
  SecurityGroupName?: string;
  /** Security groups that create made; remove deletes them once unused. */
  CreatedSecurityGroupIds?: string[];
  ClientToken?: string;
  /**
   * Chosen by configure, so the host stores it before create starts; create
   * tags everything it makes with it, and remove finds those resources by it
   * when the create was killed before it could return their ids.
   */
  CreateToken?: string;
  PrivateIPAddress?: string;
};

function str(flags: FlagValues, name: string): string | undefined {
  const v: FlagValue | undefined = flags[`amazonec2-${name}`];
  if (v === undefined || v === null) return undefined;
  const s = Array.isArray(v) ? v.join(',') : String(v);
  return s === '' ? undefined : s;
}

function bool(flags: FlagValues, name: string): boolean {
  const v = flags[`amazonec2-${name}`];
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return v === 'true' || v === '1';
  return false;
}

function int(flags: FlagValues, name: string, fallback: number): number {
  const v = flags[`amazonec2-${name}`];
  if (v === undefined || v === '') return fallback;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n)) {
    throw new DriverError('invalid-argument', `--amazonec2-${name} must be a whole number, not "${String(v)}"`, { flag: `amazonec2-${name}` });
  }
  return n;
}

function list(flags: FlagValues, name: string, fallback: string[]): string[] {
  const v = flags[`amazonec2-${name}`];
  if (v === undefined) return fallback;
  const values = (Array.isArray(v) ? v : String(v).split(',')).map((s) => String(s).trim()).filter((s) => s !== '');
  return values.length > 0 ? values : fallback;
}

const OPEN_PORT = /^(\d{1,5})(?:\/(tcp|udp))?$/;

export function parseOpenPort(spec: string): { port: number; protocol: 'tcp' | 'udp' } {
  const m = OPEN_PORT.exec(spec.trim());
  const port = m ? Number(m[1]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw new DriverError('invalid-argument', `--amazonec2-open-port "${spec}" is not PORT or PORT/tcp or PORT/udp`, { flag: 'amazonec2-open-port' });
  }
  return { port, protocol: (m[2] as 'tcp' | 'udp' | undefined) ?? 'tcp' };
}

export function parseTags(tags: string | undefined): { Key: string; Value: string }[] {
  if (!tags) return [];
  const parts = tags.split(',');
  if (parts.length % 2 !== 0) {
    throw new DriverError('invalid-argument', '--amazonec2-tags needs key,value pairs: an even number of comma-separated items', { flag: 'amazonec2-tags' });
  }
  const out: { Key: string; Value: string }[] = [];
  for (let i = 0; i < parts.length; i += 2) out.push({ Key: parts[i], Value: parts[i + 1] });
  return out;
}

/** The availability zone: a letter is appended to the region, a full zone name is taken as it is. */
export function availabilityZone(state: Pick<EC2State, 'Region' | 'Zone'>): string {
  return state.Zone.length === 1 ? `${state.Region}${state.Zone}` : state.Zone;
}

/** Flag values → initial driver state. Checks what can be checked offline. */
export function stateFromFlags(flags: FlagValues, machine: MachineRef): EC2State {
  const keypairName = str(flags, 'keypair-name');
  const state: EC2State = {
    // SSHKeyPath is the key the core connects with: the machine's id_rsa.
    ...baseDriverState(machine, { SSHUser: str(flags, 'ssh-user') ?? 'ubuntu', SSHPort: int(flags, 'ssh-port', 22), SSHKeyPath: path.join(machine.machineDir, 'id_rsa') }),
    AccessKey: str(flags, 'access-key'),
    SecretKey: str(flags, 'secret-key'),
    SessionToken: str(flags, 'session-token'),
    Profile: str(flags, 'profile'),
    Region: str(flags, 'region') ?? DEFAULT_REGION,
    Endpoint: str(flags, 'endpoint'),
    DisableSSL: bool(flags, 'insecure-transport'),
    AMI: str(flags, 'ami'),
    Zone: (str(flags, 'zone') ?? 'a').trim(),
    VpcId: str(flags, 'vpc-id'),
    SubnetId: str(flags, 'subnet-id'),
    SecurityGroupNames: list(flags, 'security-group', [DEFAULT_SECURITY_GROUP]),
    SecurityGroupReadOnly: bool(flags, 'security-group-readonly'),
    OpenPorts: list(flags, 'open-port', []),
    Tags: str(flags, 'tags'),
    InstanceType: str(flags, 'instance-type') ?? 't2.micro',
    DeviceName: str(flags, 'device-name') ?? '/dev/sda1',
    RootSize: int(flags, 'root-size', 16),
    VolumeType: str(flags, 'volume-type') ?? 'gp2',
    IamInstanceProfile: str(flags, 'iam-instance-profile'),
    RequestSpotInstance: bool(flags, 'request-spot-instance'),
    SpotPrice: str(flags, 'spot-price') ?? '0.50',
    BlockDurationMinutes: int(flags, 'block-duration-minutes', 0),
    PrivateIPOnly: bool(flags, 'private-address-only'),
    UsePrivateIP: bool(flags, 'use-private-address'),
    Monitoring: bool(flags, 'monitoring'),
    UseEbsOptimizedInstance: bool(flags, 'use-ebs-optimized-instance'),
    SSHPrivateKeyPath: str(flags, 'ssh-keypath'),
    KeyName: keypairName,
    ExistingKey: keypairName !== undefined,
    RetryCount: int(flags, 'retries', 5),
    UserDataFile: str(flags, 'userdata'),
    // Not a schema flag: the core adds it to the flags of a machine that create makes a swarm node.
    SwarmMode: flags['swarm-mode'] === 'manager' || flags['swarm-mode'] === 'worker' ? flags['swarm-mode'] : undefined,
  };

  if (state.AccessKey && !state.SecretKey) {
    throw new DriverError('invalid-argument', '--amazonec2-access-key is set but --amazonec2-secret-key is not; give both, or neither to use the AWS credential chain', { flag: 'amazonec2-secret-key' });
  }
  if (state.SecretKey && !state.AccessKey) {
    throw new DriverError('invalid-argument', '--amazonec2-secret-key is set but --amazonec2-access-key is not; give both, or neither to use the AWS credential chain', { flag: 'amazonec2-access-key' });
  }
  if (state.ExistingKey && !state.SSHPrivateKeyPath) {
    throw new DriverError('invalid-argument', '--amazonec2-keypair-name needs --amazonec2-ssh-keypath: the private key of that key pair', { flag: 'amazonec2-ssh-keypath' });
  }
  if (state.DisableSSL && !state.Endpoint) {
    throw new DriverError('invalid-argument', '--amazonec2-insecure-transport only applies to a custom endpoint; set --amazonec2-endpoint too', { flag: 'amazonec2-insecure-transport' });
  }
  if (state.Endpoint) {
    try {
      new URL(endpointURL(state.Endpoint, state.DisableSSL));
    } catch {
      throw new DriverError('invalid-argument', `--amazonec2-endpoint "${state.Endpoint}" is not a URL such as https://ec2.example.com`, { flag: 'amazonec2-endpoint' });
    }
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(state.Region) && !state.Endpoint) {
    throw new DriverError('invalid-argument', `--amazonec2-region "${state.Region}" is not an AWS region name such as us-east-1`, { flag: 'amazonec2-region' });
  }
  if (!/^[a-z]$/.test(state.Zone) && !/^[a-z0-9-]+$/.test(state.Zone)) {
    throw new DriverError('invalid-argument', `--amazonec2-zone "${state.Zone}" is neither a zone letter nor a zone name`, { flag: 'amazonec2-zone' });
  }
  if (state.RootSize < 1) {
    throw new DriverError('invalid-argument', '--amazonec2-root-size must be at least 1 (GB)', { flag: 'amazonec2-root-size' });
  }
  if (state.SSHPort < 1 || state.SSHPort > 65535) {
    throw new DriverError('invalid-argument', '--amazonec2-ssh-port must be between 1 and 65535', { flag: 'amazonec2-ssh-port' });
  }
  if (state.BlockDurationMinutes < 0 || state.BlockDurationMinutes % 60 !== 0 || state.BlockDurationMinutes > 360) {
    throw new DriverError('invalid-argument', '--amazonec2-block-duration-minutes must be 0 or a multiple of 60 up to 360', { flag: 'amazonec2-block-duration-minutes' });
  }
  if (state.RequestSpotInstance && !/^\d+(\.\d+)?$/.test(state.SpotPrice)) {
    throw new DriverError('invalid-argument', `--amazonec2-spot-price "${state.SpotPrice}" is not a price such as 0.50`, { flag: 'amazonec2-spot-price' });
  }
  if (state.RetryCount < -1) {
    throw new DriverError('invalid-argument', '--amazonec2-retries must be -1 (no retries) or more', { flag: 'amazonec2-retries' });
  }
  state.OpenPorts.forEach(parseOpenPort);
  parseTags(state.Tags);
  return state;
}

/** The endpoint with a scheme: https unless --amazonec2-insecure-transport. */
export function endpointURL(endpoint: string, insecure: boolean): string {
  if (/^[a-z]+:\/\//i.test(endpoint)) {
    return insecure ? endpoint.replace(/^https:/i, 'http:') : endpoint;
  }
  return `${insecure ? 'http' : 'https'}://${endpoint}`;
}
