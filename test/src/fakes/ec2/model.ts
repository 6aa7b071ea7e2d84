// The resources behind the local EC2 endpoint and how instance states move.
import { createHash } from 'node:crypto';
import type { BackingHost, HostProvider } from '../common/hosts';
import { delay } from '../common/faults';

export type InstanceStateName = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

export const STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export interface Timings {
  /** Time an instance stays pending (at least until its host is up). */
  pendingMs: number;
  stoppingMs: number;
  shuttingDownMs: number;
  /** Time a spot request waits before it is fulfilled. */
  spotFulfilMs: number;
  /** Added to every response. */
  latencyMs: number;
  /**
   * EC2 is eventually consistent: for this long after launch, asking for the
   * instance by id answers InvalidInstanceID.NotFound (and filters miss it).
   */
  visibilityMs: number;
}

export const DEFAULT_TIMINGS: Timings = { pendingMs: 300, stoppingMs: 200, shuttingDownMs: 200, spotFulfilMs: 300, latencyMs: 0, visibilityMs: 0 };

export interface FakeImage {
  imageId: string;
  name: string;
  ownerId: string;
  architecture: 'x86_64' | 'arm64';
  creationDate: string;
  description?: string;
  /** The user that gets the key pair on instances of this image. */
  defaultUser: string;
  rootDeviceName?: string;
}

export type Tags = Map<string, string>;

export interface Vpc {
  vpcId: string;
  cidrBlock: string;
  isDefault: boolean;
  tags: Tags;
}

export interface Subnet {
  subnetId: string;
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
  defaultForAz: boolean;
  mapPublicIpOnLaunch: boolean;
  nextHost: number;
  tags: Tags;
}

export interface IpRule {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrs: string[];
  ruleIds: string[];
}

export interface SecurityGroup {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  ingress: IpRule[];
  egress: IpRule[];
  tags: Tags;
}

export interface KeyPair {
  keyPairId: string;
  keyName: string;
  publicKey: string;
  keyType: 'rsa' | 'ed25519';
  fingerprint: string;
  createTime: number;
  tags: Tags;
}

export interface Instance {
  instanceId: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  keyName?: string;
  launchTime: number;
  availabilityZone: string;
  subnetId: string;
  vpcId: string;
  groupIds: string[];
  privateIp: string;
  publicIp?: string;
  wantsPublicIp: boolean;
  state: InstanceStateName;
  stateReason?: { code: string; message: string };
  stateTransitionReason?: string;
  clientToken?: string;
  tags: Tags;
  architecture: 'x86_64' | 'arm64';
  monitoring: boolean;
  ebsOptimized: boolean;
  iamInstanceProfile?: string;
  rootDeviceName: string;
  blockDevices: { deviceName: string; volumeId: string; volumeSize: number; volumeType: string; deleteOnTermination: boolean }[];
  userData?: string;
  spotInstanceRequestId?: string;
  networkInterfaceId: string;
  macAddress: string;
  host?: BackingHost;
  /** Host operations run one after another. */
  chain: Promise<void>;
  hostError?: string;
}

export interface Reservation {
  reservationId: string;
  ownerId: string;
  instanceIds: string[];
  clientToken?: string;
}

export interface SpotRequest {
  spotInstanceRequestId: string;
  spotPrice: string;
  state: 'open' | 'active' | 'closed' | 'cancelled' | 'failed';
  statusCode: string;
  statusMessage: string;
  updateTime: number;
  createTime: number;
  launch: LaunchSpec;
  instanceId?: string;
  blockDurationMinutes?: number;
  clientToken?: string;
  tags: Tags;
}

/** A validated launch request, shared by RunInstances and spot fulfilment. */
export interface LaunchSpec {
  image: FakeImage;
  instanceType: string;
  keyName?: string;
  subnet: Subnet;
  groupIds: string[];
  wantsPublicIp: boolean;
  monitoring: boolean;
  ebsOptimized: boolean;
  iamInstanceProfile?: string;
  blockDevices: { deviceName: string; volumeSize: number; volumeType: string; deleteOnTermination: boolean }[];
  userData?: string;
  tags: Tags;
}

export function fingerprintOf(publicKey: string): string {
  const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? '', 'base64');
  return createHash('md5').update(blob).digest('hex').replace(/(..)(?!$)/g, '$1:');
}

/** Runs an instance's host operations in order; a failure marks the instance, never the fake. */
export function enqueue(instance: Instance, op: () => Promise<void>): Promise<void> {
  instance.chain = instance.chain.then(op).catch((err: unknown) => {
    instance.hostError = err instanceof Error ? err.message : String(err);
  });
  return instance.chain;
}

/** Sleeps up to `ms`, returning early once the instance leaves `state`. */
export async function holdWhile(instance: Instance, state: InstanceStateName, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (instance.state === state && Date.now() < until) await delay(Math.min(25, until - Date.now()));
}

export interface HostBinding {
  hosts: HostProvider;
  keyMaterial(keyName: string | undefined): string[];
}
