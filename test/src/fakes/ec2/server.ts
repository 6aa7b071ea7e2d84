// The local EC2 endpoint: EC2's Query protocol on 127.0.0.1, SigV4 checked
// against configured keys, and instances backed by real test hosts.
import { AddressOnlyHosts, type HostProvider } from '../common/hosts';
import { FaultPlan, delay, type Fault } from '../common/faults';
import { hexId, requestId } from '../common/ids';
import { startHttpFake, type FakeRequest, type HttpFake, type LoggedRequest } from '../common/server';
import { Params, filtersOf, parseQuery, wildcardMatch, type Filter } from './query';
import { verifySigV4, type Credential } from './sigv4';
import { errorDocument, isoTime, responseDocument, type XmlObject, type XmlValue } from './xml';
import {
  DEFAULT_TIMINGS,
  STATE_CODES,
  enqueue,
  fingerprintOf,
  holdWhile,
  type FakeImage,
  type Instance,
  type InstanceStateName,
  type IpRule,
  type KeyPair,
  type LaunchSpec,
  type Reservation,
  type SecurityGroup,
  type SpotRequest,
  type Subnet,
  type Tags,
  type Timings,
  type Vpc,
} from './model';
import { defaultImages } from './images';

export const API_VERSION = '2016-11-15';

/** HTTP statuses EC2 uses for codes that are not 400. */
const STATUS: Record<string, number> = {
  AuthFailure: 401,
  UnauthorizedOperation: 403,
  SignatureDoesNotMatch: 403,
  RequestLimitExceeded: 503,
  InsufficientInstanceCapacity: 500,
  InsufficientCapacity: 500,
  InternalError: 500,
  InternalFailure: 500,
  ServiceUnavailable: 503,
  Unavailable: 503,
  DryRunOperation: 412,
};

const MESSAGES: Record<string, string> = {
  RequestLimitExceeded: 'Request limit exceeded.',
  InternalError: 'An internal error has occurred',
  InsufficientInstanceCapacity: 'We currently do not have sufficient capacity in the Availability Zone you requested. Our system will be working on provisioning additional capacity.',
  ServiceUnavailable: 'The request has failed due to a temporary failure of the server.',
  UnauthorizedOperation: 'You are not authorized to perform this operation.',
};

export class Ec2Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = STATUS[code] ?? 400,
  ) {
    super(message);
  }
}

/** A fault with EC2's status and message for a code. */
export function ec2Fault(code: string, message?: string): Fault {
  return { code, status: STATUS[code] ?? 400, message: message ?? MESSAGES[code] ?? code };
}

export interface FakeEc2Options {
  region?: string;
  accountId?: string;
  /** Access key id → secret (and optional session token). */
  credentials?: Record<string, Credential>;
  hosts?: HostProvider;
  timings?: Partial<Timings>;
  images?: FakeImage[];
  /** Whether the account has a default VPC (default true). */
  defaultVpc?: boolean;
  /** Instance types RunInstances accepts (default: any name of the form family.size). */
  instanceTypes?: string[];
}

export interface FakeEc2 {
  readonly url: string;
  readonly region: string;
  readonly accountId: string;
  readonly requests: LoggedRequest[];
  readonly faults: FaultPlan;
  readonly timings: Timings;
  readonly instances: Map<string, Instance>;
  readonly keyPairs: Map<string, KeyPair>;
  readonly securityGroups: Map<string, SecurityGroup>;
  readonly spotRequests: Map<string, SpotRequest>;
  readonly vpcs: Map<string, Vpc>;
  readonly subnets: Map<string, Subnet>;
  readonly images: FakeImage[];
  /** Adds a non-default VPC with one subnet per zone letter given. */
  addVpc(cidr: string, zones: string[]): { vpc: Vpc; subnets: Subnet[] };
  /** Instances that are not terminated. */
  liveInstances(): Instance[];
  /** The action names called so far, in order. */
  actions(): string[];
  /** Waits until every instance's host operations are done. */
  settle(): Promise<void>;
  /** Stops the server and destroys every host. */
  close(): Promise<void>;
}

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

export async function startFakeEc2(options: FakeEc2Options = {}): Promise<FakeEc2> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const credentials = options.credentials ?? { AKIDFAKEEC2: { secretAccessKey: 'fake-secret-key' } };
  const hosts = options.hosts ?? new AddressOnlyHosts();
  const timings: Timings = { ...DEFAULT_TIMINGS, ...options.timings };
  const images = options.images ?? defaultImages();
  const faults = new FaultPlan();

  const vpcs = new Map<string, Vpc>();
  const subnets = new Map<string, Subnet>();
  const securityGroups = new Map<string, SecurityGroup>();
  const keyPairs = new Map<string, KeyPair>();
  const instances = new Map<string, Instance>();
  const reservations = new Map<string, Reservation>();
  const spotRequests = new Map<string, SpotRequest>();
  let closed = false;

  const addDefaultGroup = (vpc: Vpc) => {
    const g: SecurityGroup = {
      groupId: hexId('sg'),
      groupName: 'default',
      description: 'default VPC security group',
      vpcId: vpc.vpcId,
      ingress: [],
      egress: [{ protocol: '-1', cidrs: ['0.0.0.0/0'], ruleIds: [hexId('sgr')] }],
      tags: new Map(),
    };
    securityGroups.set(g.groupId, g);
  };

  const addVpc = (cidr: string, zones: string[], isDefault = false) => {
    const vpc: Vpc = { vpcId: hexId('vpc'), cidrBlock: cidr, isDefault, tags: new Map() };
    vpcs.set(vpc.vpcId, vpc);
    addDefaultGroup(vpc);
    const [a, b] = cidr.split('.').map(Number);
    const created = zones.map((zone, n) => {
      const subnet: Subnet = {
        subnetId: hexId('subnet'),
        vpcId: vpc.vpcId,
        cidrBlock: `${a}.${b}.${n * 16}.0/20`,
        availabilityZone: `${region}${zone}`,
        defaultForAz: isDefault,
        mapPublicIpOnLaunch: isDefault,
        nextHost: 4,
        tags: new Map(),
      };
      subnets.set(subnet.subnetId, subnet);
      return subnet;
    });
    return { vpc, subnets: created };
  };
  if (options.defaultVpc !== false) addVpc('172.31.0.0/16', ['a', 'b', 'c'], true);
  const defaultVpcId = () => [...vpcs.values()].find((v) => v.isDefault)?.vpcId;

  // ---- helpers ----

  const tagsOf = (p: Params, resourceType: string): Tags => {
    const tags: Tags = new Map();
    for (const spec of p.list('TagSpecification')) {
      if (spec.str('ResourceType') !== resourceType) continue;
      for (const t of spec.list('Tag')) tags.set(t.str('Key') ?? '', t.str('Value') ?? '');
    }
    return tags;
  };
  const tagSet = (tags: Tags): XmlValue[] => [...tags].map(([key, value]) => ({ key, value }));

  const required = (p: Params, name: string): string => {
    const v = p.str(name);
    if (v === undefined || v === '') throw new Ec2Error('MissingParameter', `The request must contain the parameter ${name}`);
    return v;
  };

  const filterBy = <T>(items: T[], filters: Filter[], fieldsOf: (item: T) => Record<string, (name: string) => string[]>, resource: string): T[] => {
    // An unknown filter name is an error even when nothing would match.
    if (items.length > 0) {
      const fields = fieldsOf(items[0]);
      for (const f of filters) {
        if (!fields[f.name.startsWith('tag:') ? 'tag:' : f.name]) throw new Ec2Error('InvalidParameterValue', `The filter '${f.name}' is invalid for ${resource}`);
      }
    }
    return items.filter((item) => {
      const fields = fieldsOf(item);
      return filters.every((f) => {
        const get = fields[f.name.startsWith('tag:') ? 'tag:' : f.name];
        if (!get) throw new Ec2Error('InvalidParameterValue', `The filter '${f.name}' is invalid for ${resource}`);
        const values = get(f.name);
        return f.values.some((pattern) => values.some((v) => wildcardMatch(pattern, v)));
      });
    });
  };
  const tagFields = (tags: Tags) => ({
    'tag:': (name: string) => {
      const v = tags.get(name.slice(4));
      return v === undefined ? [] : [v];
    },
    'tag-key': () => [...tags.keys()],
    'tag-value': () => [...tags.values()],
  });

  const paginate = <T>(items: T[], p: Params, min: number): { page: T[]; nextToken?: string } => {
    const max = p.int('MaxResults');
    const token = p.str('NextToken');
    let start = 0;
    if (token !== undefined) {
      const decoded = Number(Buffer.from(token, 'base64url').toString());
      if (!Number.isInteger(decoded) || decoded < 0) throw new Ec2Error('InvalidParameterValue', 'The token is invalid or expired');
      start = decoded;
    }
    if (max === undefined) return { page: items.slice(start) };
    if (!Number.isInteger(max) || max < min || max > 1000) {
      throw new Ec2Error('InvalidParameterValue', `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value between ${min} and 1000.`);
    }
    const page = items.slice(start, start + max);
    const next = start + max < items.length ? Buffer.from(String(start + max)).toString('base64url') : undefined;
    return { page, nextToken: next };
  };

  const visible = (i: Instance) => Date.now() - i.launchTime >= timings.visibilityMs;
  const findInstance = (id: string): Instance => {
    if (!INSTANCE_ID.test(id)) throw new Ec2Error('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
    const i = instances.get(id);
    if (!i || !visible(i)) throw new Ec2Error('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    return i;
  };
  const findGroup = (id: string): SecurityGroup => {
    const g = securityGroups.get(id);
    if (!g) throw new Ec2Error('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
    return g;
  };
  const findSubnet = (id: string): Subnet => {
    const s = subnets.get(id);
    if (!s) throw new Ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
    return s;
  };
  const findImage = (id: string): FakeImage => {
    if (!/^ami-[0-9a-f]{8,17}$/.test(id)) throw new Ec2Error('InvalidAMIID.Malformed', `Invalid id: "${id}" (expecting "ami-...")`);
    const image = images.find((x) => x.imageId === id);
    if (!image) throw new Ec2Error('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
    return image;
  };

  const stateXml = (s: InstanceStateName) => ({ code: STATE_CODES[s], name: s });

  const instanceXml = (i: Instance): XmlObject => ({
    instanceId: i.instanceId,
    imageId: i.imageId,
    instanceState: stateXml(i.state),
    privateDnsName: `ip-${i.privateIp.replace(/\./g, '-')}.ec2.internal`,
    dnsName: i.publicIp ? `ec2-${i.publicIp.replace(/\./g, '-')}.compute-1.amazonaws.com` : undefined,
    reason: i.stateTransitionReason ?? '',
    keyName: i.keyName,
    amiLaunchIndex: 0,
    productCodes: [],
    instanceType: i.instanceType,
    launchTime: isoTime(i.launchTime),
    placement: { availabilityZone: i.availabilityZone, groupName: '', tenancy: 'default' },
    monitoring: { state: i.monitoring ? 'enabled' : 'disabled' },
    subnetId: i.subnetId,
    vpcId: i.vpcId,
    privateIpAddress: i.privateIp,
    ipAddress: i.publicIp,
    sourceDestCheck: true,
    groupSet: i.groupIds.map((id) => ({ groupId: id, groupName: securityGroups.get(id)?.groupName })),
    stateReason: i.stateReason ? { code: i.stateReason.code, message: i.stateReason.message } : undefined,
    architecture: i.architecture,
    rootDeviceType: 'ebs',
    rootDeviceName: i.rootDeviceName,
    blockDeviceMapping: i.blockDevices.map((b) => ({
      deviceName: b.deviceName,
      ebs: { volumeId: b.volumeId, status: 'attached', attachTime: isoTime(i.launchTime), deleteOnTermination: b.deleteOnTermination },
    })),
    virtualizationType: 'hvm',
    clientToken: i.clientToken,
    tagSet: tagSet(i.tags),
    hypervisor: 'xen',
    networkInterfaceSet:
      i.state === 'terminated'
        ? []
        : [
            {
              networkInterfaceId: i.networkInterfaceId,
              subnetId: i.subnetId,
              vpcId: i.vpcId,
              ownerId: accountId,
              status: 'in-use',
              macAddress: i.macAddress,
              privateIpAddress: i.privateIp,
              sourceDestCheck: true,
              groupSet: i.groupIds.map((id) => ({ groupId: id, groupName: securityGroups.get(id)?.groupName })),
              attachment: { attachmentId: `eni-attach-${i.networkInterfaceId.slice(4)}`, deviceIndex: 0, status: 'attached', attachTime: isoTime(i.launchTime), deleteOnTermination: true },
              association: i.publicIp ? { publicIp: i.publicIp, ipOwnerId: 'amazon' } : undefined,
            },
          ],
    iamInstanceProfile: i.iamInstanceProfile ? { arn: `arn:aws:iam::${accountId}:instance-profile/${i.iamInstanceProfile}`, id: 'AIPAFAKE' } : undefined,
    ebsOptimized: i.ebsOptimized,
    instanceLifecycle: i.spotInstanceRequestId ? 'spot' : undefined,
    spotInstanceRequestId: i.spotInstanceRequestId,
  });

  const groupXml = (g: SecurityGroup): XmlObject => {
    const rule = (r: IpRule) => ({
      ipProtocol: r.protocol,
      fromPort: r.fromPort,
      toPort: r.toPort,
      groups: [],
      ipRanges: r.cidrs.map((cidrIp) => ({ cidrIp })),
      ipv6Ranges: [],
      prefixListIds: [],
    });
    return {
      ownerId: accountId,
      groupId: g.groupId,
      groupName: g.groupName,
      groupDescription: g.description,
      vpcId: g.vpcId,
      ipPermissions: g.ingress.map(rule),
      ipPermissionsEgress: g.egress.map(rule),
      tagSet: tagSet(g.tags),
      securityGroupArn: `arn:aws:ec2:${region}:${accountId}:security-group/${g.groupId}`,
    };
  };

  // ---- instances ----

  const launchInstance = (spec: LaunchSpec, reservation: Reservation, extra: { clientToken?: string; spotInstanceRequestId?: string }): Instance => {
    const subnet = spec.subnet;
    const [a, b, c] = subnet.cidrBlock.split('/')[0].split('.').map(Number);
    const n = subnet.nextHost++;
    const instance: Instance = {
      instanceId: hexId('i'),
      reservationId: reservation.reservationId,
      imageId: spec.image.imageId,
      instanceType: spec.instanceType,
      keyName: spec.keyName,
      launchTime: Date.now(),
      availabilityZone: subnet.availabilityZone,
      subnetId: subnet.subnetId,
      vpcId: subnet.vpcId,
      groupIds: spec.groupIds,
      privateIp: `${a}.${b}.${c + Math.floor(n / 256)}.${n % 256}`,
      wantsPublicIp: spec.wantsPublicIp,
      state: 'pending',
      clientToken: extra.clientToken,
      tags: new Map(spec.tags),
      architecture: spec.image.architecture,
      monitoring: spec.monitoring,
      ebsOptimized: spec.ebsOptimized,
      iamInstanceProfile: spec.iamInstanceProfile,
      rootDeviceName: spec.image.rootDeviceName ?? '/dev/sda1',
      blockDevices: spec.blockDevices.map((d) => ({ ...d, volumeId: hexId('vol') })),
      userData: spec.userData,
      spotInstanceRequestId: extra.spotInstanceRequestId,
      networkInterfaceId: hexId('eni'),
      macAddress: '0e:' + hexId('x', 10).slice(2).replace(/(..)(?!$)/g, '$1:'),
      chain: Promise.resolve(),
    };
    instances.set(instance.instanceId, instance);
    reservation.instanceIds.push(instance.instanceId);
    const keys = spec.keyName && keyPairs.get(spec.keyName) ? [keyPairs.get(spec.keyName)!.publicKey] : [];
    const started = Date.now();
    void enqueue(instance, async () => {
      try {
        instance.host = await hosts.launch({ id: instance.instanceId, user: spec.image.defaultUser, authorizedKeys: keys, image: spec.image.imageId });
      } catch (err) {
        if (instance.state === 'pending') {
          instance.state = 'terminated';
          instance.stateReason = { code: 'Server.InternalError', message: 'Server.InternalError: Internal error on launch' };
        }
        throw err;
      }
      await holdWhile(instance, 'pending', timings.pendingMs - (Date.now() - started));
      if (instance.state !== 'pending') return;
      assignAddresses(instance);
      instance.state = 'running';
    });
    return instance;
  };

  const assignAddresses = (i: Instance) => {
    const ip = i.host?.ip;
    if (!ip) return;
    // Without a public address the host's address is the private one, so the
    // machine can still be reached from the tests.
    if (i.wantsPublicIp) i.publicIp = ip;
    else i.privateIp = ip;
  };

  const stopInstance = (i: Instance, force: boolean): InstanceStateName => {
    const previous = i.state;
    if (i.state === 'stopped' || (i.state === 'stopping' && !force)) return previous;
    if (i.state !== 'running' && !(i.state === 'stopping' && force)) {
      throw new Ec2Error('IncorrectInstanceState', `This instance '${i.instanceId}' is not in a state from which it can be stopped.`);
    }
    i.state = 'stopping';
    i.stateTransitionReason = `User initiated (${new Date().toISOString()})`;
    void enqueue(i, async () => {
      await delay(force ? Math.min(timings.stoppingMs, 50) : timings.stoppingMs);
      if (i.state !== 'stopping') return;
      await i.host?.stop();
      if (i.state !== 'stopping') return;
      i.state = 'stopped';
      i.publicIp = undefined;
      i.stateReason = { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' };
    });
    return previous;
  };

  const startInstance = (i: Instance): InstanceStateName => {
    const previous = i.state;
    if (i.state === 'running' || i.state === 'pending') return previous;
    if (i.state !== 'stopped') {
      throw new Ec2Error('IncorrectInstanceState', `The instance '${i.instanceId}' is not in a state from which it can be started.`);
    }
    i.state = 'pending';
    i.stateReason = undefined;
    const started = Date.now();
    void enqueue(i, async () => {
      await i.host?.start();
      await holdWhile(i, 'pending', timings.pendingMs - (Date.now() - started));
      if (i.state !== 'pending') return;
      assignAddresses(i);
      i.state = 'running';
    });
    return previous;
  };

  const terminateInstance = (i: Instance): InstanceStateName => {
    const previous = i.state;
    if (i.state === 'terminated' || i.state === 'shutting-down') return previous;
    i.state = 'shutting-down';
    i.stateTransitionReason = `User initiated (${new Date().toISOString()})`;
    void enqueue(i, async () => {
      await delay(timings.shuttingDownMs);
      try {
        await i.host?.destroy();
      } finally {
        i.state = 'terminated';
        i.publicIp = undefined;
        i.stateReason = { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' };
      }
    });
    return previous;
  };

  const parseLaunch = (p: Params, tags: Tags): LaunchSpec => {
    const image = findImage(required(p, 'ImageId'));
    const instanceType = p.str('InstanceType') ?? 'm1.small';
    if (options.instanceTypes ? !options.instanceTypes.includes(instanceType) : !/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(instanceType)) {
      throw new Ec2Error('InvalidParameterValue', `Invalid value '${instanceType}' for InstanceType.`);
    }
    const keyName = p.str('KeyName');
    if (keyName !== undefined && !keyPairs.has(keyName)) throw new Ec2Error('InvalidKeyPair.NotFound', `The key pair '${keyName}' does not exist`);
    const nic = p.list('NetworkInterface')[0];
    const az = p.child('Placement')?.str('AvailabilityZone');
    const subnetId = nic?.str('SubnetId') ?? p.str('SubnetId');
    let subnet: Subnet | undefined;
    if (subnetId) {
      subnet = findSubnet(subnetId);
      if (az && az !== subnet.availabilityZone) {
        throw new Ec2Error('InvalidParameterValue', `Value (${az}) for parameter availabilityZone is invalid. Subnet '${subnet.subnetId}' is in the availability zone ${subnet.availabilityZone}`);
      }
    } else {
      const vpcId = defaultVpcId();
      if (!vpcId) throw new Ec2Error('VPCIdNotSpecified', 'No default VPC for this user');
      subnet = [...subnets.values()].find((s) => s.vpcId === vpcId && s.defaultForAz && (!az || s.availabilityZone === az));
      if (!subnet) throw new Ec2Error('InvalidParameterValue', `Value (${az}) for parameter availabilityZone is invalid.`);
    }
    let groupIds = [...(nic?.strings('SecurityGroupId') ?? []), ...p.strings('SecurityGroupId')];
    const groupNames = p.strings('SecurityGroup');
    for (const name of groupNames) {
      const g = [...securityGroups.values()].find((x) => x.groupName === name && x.vpcId === subnet!.vpcId);
      if (!g) throw new Ec2Error('InvalidGroup.NotFound', `The security group '${name}' does not exist in VPC '${subnet.vpcId}'`);
      groupIds.push(g.groupId);
    }
    for (const id of groupIds) {
      const g = findGroup(id);
      if (g.vpcId !== subnet.vpcId) throw new Ec2Error('InvalidParameter', `Security group ${id} and subnet ${subnet.subnetId} belong to different networks.`);
    }
    if (groupIds.length === 0) groupIds = [[...securityGroups.values()].find((g) => g.vpcId === subnet!.vpcId && g.groupName === 'default')!.groupId];
    const userData = p.str('UserData');
    if (userData !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(userData)) throw new Ec2Error('InvalidParameterValue', 'Invalid BASE64 encoding of user data.');
    const publicFlag = nic?.bool('AssociatePublicIpAddress');
    return {
      image,
      instanceType,
      keyName,
      subnet,
      groupIds: [...new Set(groupIds)],
      wantsPublicIp: publicFlag ?? subnet.mapPublicIpOnLaunch,
      monitoring: p.child('Monitoring')?.bool('Enabled') ?? false,
      ebsOptimized: p.bool('EbsOptimized') ?? false,
      iamInstanceProfile: p.child('IamInstanceProfile')?.str('Name'),
      blockDevices: p.list('BlockDeviceMapping').map((m) => ({
        deviceName: m.str('DeviceName') ?? image.rootDeviceName ?? '/dev/sda1',
        volumeSize: m.child('Ebs')?.int('VolumeSize') ?? 8,
        volumeType: m.child('Ebs')?.str('VolumeType') ?? 'gp2',
        deleteOnTermination: m.child('Ebs')?.bool('DeleteOnTermination') ?? true,
      })),
      userData,
      tags,
    };
  };

  const instanceFields = (i: Instance): Record<string, (name: string) => string[]> => ({
    'instance-id': () => [i.instanceId],
    'instance-state-name': () => [i.state],
    'instance-state-code': () => [String(STATE_CODES[i.state])],
    'instance-type': () => [i.instanceType],
    'image-id': () => [i.imageId],
    'key-name': () => (i.keyName ? [i.keyName] : []),
    'client-token': () => (i.clientToken ? [i.clientToken] : []),
    'vpc-id': () => [i.vpcId],
    'subnet-id': () => [i.subnetId],
    'availability-zone': () => [i.availabilityZone],
    'reservation-id': () => [i.reservationId],
    'instance.group-id': () => i.groupIds,
    'group-id': () => i.groupIds,
    'instance.group-name': () => i.groupIds.map((id) => securityGroups.get(id)?.groupName ?? ''),
    'group-name': () => i.groupIds.map((id) => securityGroups.get(id)?.groupName ?? ''),
    'ip-address': () => (i.publicIp ? [i.publicIp] : []),
    'private-ip-address': () => [i.privateIp],
    'spot-instance-request-id': () => (i.spotInstanceRequestId ? [i.spotInstanceRequestId] : []),
    'instance-lifecycle': () => (i.spotInstanceRequestId ? ['spot'] : []),
    architecture: () => [i.architecture],
    ...tagFields(i.tags),
  });

  const spotXml = (r: SpotRequest): XmlObject => ({
    spotInstanceRequestId: r.spotInstanceRequestId,
    spotPrice: Number(r.spotPrice).toFixed(6),
    type: 'one-time',
    state: r.state,
    status: { code: r.statusCode, updateTime: isoTime(r.updateTime), message: r.statusMessage },
    launchSpecification: {
      imageId: r.launch.image.imageId,
      keyName: r.launch.keyName,
      groupSet: r.launch.groupIds.map((id) => ({ groupId: id, groupName: securityGroups.get(id)?.groupName })),
      instanceType: r.launch.instanceType,
      placement: { availabilityZone: r.launch.subnet.availabilityZone },
      blockDeviceMapping: [],
      monitoring: { enabled: r.launch.monitoring },
      subnetId: r.launch.subnet.subnetId,
      ebsOptimized: r.launch.ebsOptimized,
    },
    instanceId: r.instanceId,
    createTime: isoTime(r.createTime),
    productDescription: 'Linux/UNIX',
    blockDurationMinutes: r.blockDurationMinutes,
    tagSet: tagSet(r.tags),
    launchedAvailabilityZone: r.instanceId ? r.launch.subnet.availabilityZone : undefined,
    instanceInterruptionBehavior: 'terminate',
  });

  const setSpotStatus = (r: SpotRequest, state: SpotRequest['state'], code: string, message: string) => {
    r.state = state;
    r.statusCode = code;
    r.statusMessage = message;
    r.updateTime = Date.now();
  };

  // ---- actions ----

  type Handler = (p: Params) => XmlObject | Promise<XmlObject>;
  const actions: Record<string, Handler> = {
    DescribeAccountAttributes(p) {
      const names = p.strings('AttributeName');
      const all: Record<string, string[]> = {
        'supported-platforms': ['VPC'],
        'default-vpc': [defaultVpcId() ?? 'none'],
        'max-instances': ['20'],
        'vpc-max-security-groups-per-interface': ['5'],
        'max-elastic-ips': ['5'],
        'vpc-max-elastic-ips': ['5'],
      };
      const chosen = names.length > 0 ? names : Object.keys(all);
      for (const n of chosen) if (!all[n]) throw new Ec2Error('InvalidParameterValue', `Value (${n}) for parameter attributeName is invalid.`);
      return {
        accountAttributeSet: chosen.map((n) => ({ attributeName: n, attributeValueSet: all[n].map((attributeValue) => ({ attributeValue })) })),
      };
    },

    DescribeVpcs(p) {
      const ids = p.strings('VpcId');
      for (const id of ids) if (!vpcs.has(id)) throw new Ec2Error('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`);
      let list = [...vpcs.values()].filter((v) => ids.length === 0 || ids.includes(v.vpcId));
      list = filterBy(list, filtersOf(p), (v) => ({
        'vpc-id': () => [v.vpcId],
        'is-default': () => [String(v.isDefault)],
        'cidr-block': () => [v.cidrBlock],
        state: () => ['available'],
        ...tagFields(v.tags),
      }), 'DescribeVpcs');
      return {
        vpcSet: list.map((v) => ({
          vpcId: v.vpcId,
          ownerId: accountId,
          state: 'available',
          cidrBlock: v.cidrBlock,
          cidrBlockAssociationSet: [{ cidrBlock: v.cidrBlock, associationId: `vpc-cidr-assoc-${v.vpcId.slice(4)}`, cidrBlockState: { state: 'associated' } }],
          dhcpOptionsId: 'dopt-0fakefake',
          instanceTenancy: 'default',
          isDefault: v.isDefault,
          tagSet: tagSet(v.tags),
        })),
      };
    },

    DescribeSubnets(p) {
      const ids = p.strings('SubnetId');
      for (const id of ids) findSubnet(id);
      let list = [...subnets.values()].filter((s) => ids.length === 0 || ids.includes(s.subnetId));
      list = filterBy(list, filtersOf(p), (s) => ({
        'subnet-id': () => [s.subnetId],
        'vpc-id': () => [s.vpcId],
        'availability-zone': () => [s.availabilityZone],
        'default-for-az': () => [String(s.defaultForAz)],
        defaultForAz: () => [String(s.defaultForAz)],
        'cidr-block': () => [s.cidrBlock],
        state: () => ['available'],
        ...tagFields(s.tags),
      }), 'DescribeSubnets');
      return {
        subnetSet: list.map((s) => ({
          subnetId: s.subnetId,
          subnetArn: `arn:aws:ec2:${region}:${accountId}:subnet/${s.subnetId}`,
          state: 'available',
          ownerId: accountId,
          vpcId: s.vpcId,
          cidrBlock: s.cidrBlock,
          ipv6CidrBlockAssociationSet: [],
          availableIpAddressCount: 4091,
          availabilityZone: s.availabilityZone,
          availabilityZoneId: `use1-az${s.availabilityZone.charCodeAt(s.availabilityZone.length - 1) - 96}`,
          defaultForAz: s.defaultForAz,
          mapPublicIpOnLaunch: s.mapPublicIpOnLaunch,
          assignIpv6AddressOnCreation: false,
          tagSet: tagSet(s.tags),
        })),
      };
    },

    DescribeImages(p) {
      const ids = p.strings('ImageId');
      for (const id of ids) findImage(id);
      const owners = p.strings('Owner').map((o) => (o === 'self' ? accountId : o));
      let list = images.filter((i) => (ids.length === 0 || ids.includes(i.imageId)) && (owners.length === 0 || owners.includes(i.ownerId)));
      list = filterBy(list, filtersOf(p), (i) => ({
        name: () => [i.name],
        'image-id': () => [i.imageId],
        architecture: () => [i.architecture],
        'owner-id': () => [i.ownerId],
        state: () => ['available'],
        'root-device-type': () => ['ebs'],
        'virtualization-type': () => ['hvm'],
        'is-public': () => ['true'],
        'image-type': () => ['machine'],
      }), 'DescribeImages');
      return {
        imagesSet: list.map((i) => ({
          imageId: i.imageId,
          imageLocation: `${i.ownerId}/${i.name}`,
          imageState: 'available',
          imageOwnerId: i.ownerId,
          creationDate: i.creationDate,
          isPublic: true,
          architecture: i.architecture,
          imageType: 'machine',
          name: i.name,
          description: i.description,
          rootDeviceType: 'ebs',
          rootDeviceName: i.rootDeviceName ?? '/dev/sda1',
          blockDeviceMapping: [{ deviceName: i.rootDeviceName ?? '/dev/sda1', ebs: { volumeSize: 8, deleteOnTermination: true, volumeType: 'gp3', encrypted: false } }],
          virtualizationType: 'hvm',
          hypervisor: 'xen',
          enaSupport: true,
          sriovNetSupport: 'simple',
        })),
      };
    },

    ImportKeyPair(p) {
      const keyName = required(p, 'KeyName');
      const material = Buffer.from(required(p, 'PublicKeyMaterial'), 'base64').toString('utf8').trim();
      const m = /^(ssh-rsa|ssh-ed25519) ([A-Za-z0-9+/]+={0,2})(\s.*)?$/.exec(material);
      if (!m) throw new Ec2Error('InvalidKeyPair.Format', 'Key is not in valid OpenSSH public key format');
      if (keyPairs.has(keyName)) throw new Ec2Error('InvalidKeyPair.Duplicate', `The keypair already exists`);
      const key: KeyPair = {
        keyPairId: hexId('key'),
        keyName,
        publicKey: material,
        keyType: m[1] === 'ssh-rsa' ? 'rsa' : 'ed25519',
        fingerprint: fingerprintOf(material),
        createTime: Date.now(),
        tags: tagsOf(p, 'key-pair'),
      };
      keyPairs.set(keyName, key);
      return { keyFingerprint: key.fingerprint, keyName, keyPairId: key.keyPairId, tagSet: tagSet(key.tags) };
    },

    DescribeKeyPairs(p) {
      const names = p.strings('KeyName');
      const ids = p.strings('KeyPairId');
      for (const n of names) if (!keyPairs.has(n)) throw new Ec2Error('InvalidKeyPair.NotFound', `The key pair '${n}' does not exist`);
      for (const id of ids) {
        if (![...keyPairs.values()].some((k) => k.keyPairId === id)) throw new Ec2Error('InvalidKeyPair.NotFound', `The key pair '${id}' does not exist`);
      }
      let list = [...keyPairs.values()].filter((k) => (names.length === 0 || names.includes(k.keyName)) && (ids.length === 0 || ids.includes(k.keyPairId)));
      list = filterBy(list, filtersOf(p), (k) => ({
        'key-name': () => [k.keyName],
        'key-pair-id': () => [k.keyPairId],
        fingerprint: () => [k.fingerprint],
        ...tagFields(k.tags),
      }), 'DescribeKeyPairs');
      return {
        keySet: list.map((k) => ({
          keyPairId: k.keyPairId,
          keyName: k.keyName,
          keyFingerprint: k.fingerprint,
          keyType: k.keyType,
          publicKey: p.bool('IncludePublicKey') ? k.publicKey : undefined,
          createTime: isoTime(k.createTime),
          tagSet: tagSet(k.tags),
        })),
      };
    },

    DeleteKeyPair(p) {
      const name = p.str('KeyName');
      const id = p.str('KeyPairId');
      if (!name && !id) throw new Ec2Error('MissingParameter', 'The request must contain the parameter KeyName or KeyPairId');
      const key = name ? keyPairs.get(name) : [...keyPairs.values()].find((k) => k.keyPairId === id);
      // EC2 answers true for a key pair that is already gone.
      if (key) keyPairs.delete(key.keyName);
      return { return: true, keyPairId: key?.keyPairId };
    },

    CreateSecurityGroup(p) {
      const name = required(p, 'GroupName');
      const description = required(p, 'GroupDescription');
      const vpcId = p.str('VpcId') ?? defaultVpcId();
      if (!vpcId) throw new Ec2Error('VPCIdNotSpecified', 'No default VPC for this user');
      if (!vpcs.has(vpcId)) throw new Ec2Error('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
      if (name === 'default' || [...securityGroups.values()].some((g) => g.groupName === name && g.vpcId === vpcId)) {
        throw new Ec2Error('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpcId}'`);
      }
      const g: SecurityGroup = {
        groupId: hexId('sg'),
        groupName: name,
        description,
        vpcId,
        ingress: [],
        egress: [{ protocol: '-1', cidrs: ['0.0.0.0/0'], ruleIds: [hexId('sgr')] }],
        tags: tagsOf(p, 'security-group'),
      };
      securityGroups.set(g.groupId, g);
      return { return: true, groupId: g.groupId, securityGroupArn: `arn:aws:ec2:${region}:${accountId}:security-group/${g.groupId}`, tagSet: g.tags.size ? tagSet(g.tags) : undefined };
    },

    DescribeSecurityGroups(p) {
      const ids = p.strings('GroupId');
      const names = p.strings('GroupName');
      for (const id of ids) findGroup(id);
      for (const n of names) {
        if (![...securityGroups.values()].some((g) => g.groupName === n)) throw new Ec2Error('InvalidGroup.NotFound', `The security group '${n}' does not exist in default VPC '${defaultVpcId() ?? 'none'}'`);
      }
      let list = [...securityGroups.values()].filter((g) => (ids.length === 0 || ids.includes(g.groupId)) && (names.length === 0 || names.includes(g.groupName)));
      list = filterBy(list, filtersOf(p), (g) => ({
        'group-name': () => [g.groupName],
        'group-id': () => [g.groupId],
        'vpc-id': () => [g.vpcId],
        description: () => [g.description],
        'owner-id': () => [accountId],
        'ip-permission.from-port': () => g.ingress.map((r) => String(r.fromPort ?? '')),
        'ip-permission.to-port': () => g.ingress.map((r) => String(r.toPort ?? '')),
        ...tagFields(g.tags),
      }), 'DescribeSecurityGroups');
      const { page, nextToken } = paginate(list, p, 5);
      return { securityGroupInfo: page.map(groupXml), nextToken };
    },

    AuthorizeSecurityGroupIngress(p) {
      const id = p.str('GroupId');
      const name = p.str('GroupName');
      const g = id ? findGroup(id) : [...securityGroups.values()].find((x) => x.groupName === name && x.vpcId === defaultVpcId());
      if (!g) throw new Ec2Error('InvalidGroup.NotFound', `The security group '${name ?? ''}' does not exist`);
      const perms = p.list('IpPermissions');
      if (perms.length === 0) throw new Ec2Error('MissingParameter', 'No ip permissions were specified');
      const added: XmlObject[] = [];
      const rules: IpRule[] = [];
      for (const perm of perms) {
        const protocol = (perm.str('IpProtocol') ?? '').toLowerCase();
        if (!['tcp', 'udp', 'icmp', '-1', '6', '17', '1'].includes(protocol)) {
          throw new Ec2Error('InvalidParameterValue', `Invalid value '${protocol}' for IP protocol. Unknown protocol.`);
        }
        const fromPort = perm.int('FromPort');
        const toPort = perm.int('ToPort');
        if (protocol !== '-1' && (fromPort === undefined || toPort === undefined || fromPort > toPort)) {
          throw new Ec2Error('InvalidParameterValue', 'Invalid TCP/UDP port range');
        }
        const cidrs = perm.list('IpRanges').map((r) => r.str('CidrIp') ?? '');
        for (const cidr of cidrs) {
          if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(cidr)) throw new Ec2Error('InvalidParameterValue', `CIDR block ${cidr} is malformed`);
          const exists = [...g.ingress, ...rules].some((r) => r.protocol === protocol && r.fromPort === fromPort && r.toPort === toPort && r.cidrs.includes(cidr));
          if (exists) {
            throw new Ec2Error('InvalidPermission.Duplicate', `the specified rule "peer: ${cidr}, ${protocol.toUpperCase()}, from port: ${fromPort}, to port: ${toPort}, ALLOW" already exists`);
          }
          const ruleId = hexId('sgr');
          rules.push({ protocol, fromPort, toPort, cidrs: [cidr], ruleIds: [ruleId] });
          added.push({ securityGroupRuleId: ruleId, groupId: g.groupId, groupOwnerId: accountId, isEgress: false, ipProtocol: protocol, fromPort, toPort, cidrIpv4: cidr });
        }
      }
      g.ingress.push(...rules);
      return { return: true, securityGroupRuleSet: added };
    },

    DeleteSecurityGroup(p) {
      const id = p.str('GroupId');
      const name = p.str('GroupName');
      const g = id ? findGroup(id) : [...securityGroups.values()].find((x) => x.groupName === name && x.vpcId === defaultVpcId());
      if (!g) throw new Ec2Error('InvalidGroup.NotFound', `The security group '${name ?? ''}' does not exist`);
      if (g.groupName === 'default') throw new Ec2Error('CannotDelete', `the specified group: "${g.groupId}" name: "default" cannot be deleted by a user`);
      if ([...instances.values()].some((i) => i.state !== 'terminated' && i.groupIds.includes(g.groupId))) {
        throw new Ec2Error('DependencyViolation', `resource ${g.groupId} has a dependent object`);
      }
      securityGroups.delete(g.groupId);
      return { return: true, groupId: g.groupId };
    },

    RunInstances(p) {
      const clientToken = p.str('ClientToken');
      if (clientToken) {
        const existing = [...reservations.values()].find((r) => r.clientToken === clientToken);
        if (existing) return reservationXml(existing);
      }
      const max = p.int('MaxCount') ?? 1;
      const min = p.int('MinCount') ?? 1;
      if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min) {
        throw new Ec2Error('InvalidParameterValue', 'MinCount and MaxCount must be at least 1, and MinCount at most MaxCount');
      }
      const spec = parseLaunch(p, tagsOf(p, 'instance'));
      const reservation: Reservation = { reservationId: hexId('r'), ownerId: accountId, instanceIds: [], clientToken };
      reservations.set(reservation.reservationId, reservation);
      for (let n = 0; n < max; n++) launchInstance(spec, reservation, { clientToken });
      return reservationXml(reservation);
    },

    DescribeInstances(p) {
      const ids = p.strings('InstanceId');
      if (ids.length > 0 && p.str('MaxResults') !== undefined) {
        throw new Ec2Error('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
      }
      for (const id of ids) findInstance(id);
      const filters = filtersOf(p);
      const chosen = filterBy([...instances.values()].filter((i) => visible(i) && (ids.length === 0 || ids.includes(i.instanceId))), filters, instanceFields, 'DescribeInstances');
      const byReservation = new Map<string, Instance[]>();
      for (const i of chosen) byReservation.set(i.reservationId, [...(byReservation.get(i.reservationId) ?? []), i]);
      const groups = [...byReservation.entries()];
      const { page, nextToken } = paginate(groups, p, 5);
      return {
        reservationSet: page.map(([rid, list]) => ({
          reservationId: rid,
          ownerId: accountId,
          groupSet: [],
          instancesSet: list.map(instanceXml),
        })),
        nextToken,
      };
    },

    DescribeInstanceStatus(p) {
      const ids = p.strings('InstanceId');
      for (const id of ids) findInstance(id);
      const all = p.bool('IncludeAllInstances') ?? false;
      const list = [...instances.values()].filter((i) => (ids.length === 0 || ids.includes(i.instanceId)) && (all || i.state === 'running'));
      const { page, nextToken } = paginate(list, p, 5);
      return {
        instanceStatusSet: page.map((i) => {
          const ok = i.state === 'running' ? 'ok' : 'not-applicable';
          return {
            instanceId: i.instanceId,
            availabilityZone: i.availabilityZone,
            instanceState: stateXml(i.state),
            systemStatus: { status: ok, details: [{ name: 'reachability', status: i.state === 'running' ? 'passed' : 'not-applicable' }] },
            instanceStatus: { status: ok, details: [{ name: 'reachability', status: i.state === 'running' ? 'passed' : 'not-applicable' }] },
          };
        }),
        nextToken,
      };
    },

    CreateTags(p) {
      const ids = p.strings('ResourceId');
      if (ids.length === 0) throw new Ec2Error('MissingParameter', 'The request must contain the parameter resourceIdSet');
      const tags = p.list('Tag').map((t) => [t.str('Key') ?? '', t.str('Value') ?? ''] as const);
      const targets: Tags[] = ids.map((id) => {
        if (id.startsWith('i-')) return findInstance(id).tags;
        if (id.startsWith('sg-')) return findGroup(id).tags;
        if (id.startsWith('sir-')) {
          const r = spotRequests.get(id);
          if (!r) throw new Ec2Error('InvalidSpotInstanceRequestID.NotFound', `The spot instance request ID '${id}' does not exist`);
          return r.tags;
        }
        if (id.startsWith('key-')) {
          const k = [...keyPairs.values()].find((x) => x.keyPairId === id);
          if (!k) throw new Ec2Error('InvalidKeyPair.NotFound', `The key pair '${id}' does not exist`);
          return k.tags;
        }
        if (id.startsWith('vpc-')) {
          const v = vpcs.get(id);
          if (!v) throw new Ec2Error('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`);
          return v.tags;
        }
        if (id.startsWith('subnet-')) return findSubnet(id).tags;
        throw new Ec2Error('InvalidID', `The ID '${id}' is not valid`);
      });
      for (const t of targets) for (const [k, v] of tags) t.set(k, v);
      return { return: true };
    },

    StartInstances(p) {
      return { instancesSet: transition(p, (i) => startInstance(i)) };
    },
    StopInstances(p) {
      const force = p.bool('Force') ?? false;
      return { instancesSet: transition(p, (i) => stopInstance(i, force)) };
    },
    TerminateInstances(p) {
      return { instancesSet: transition(p, (i) => terminateInstance(i)) };
    },
    RebootInstances(p) {
      const list = requiredInstances(p);
      for (const i of list) {
        if (i.state !== 'running' && i.state !== 'pending') {
          throw new Ec2Error('IncorrectInstanceState', `The instance '${i.instanceId}' is not in a state from which it can be rebooted.`);
        }
      }
      for (const i of list) {
        void enqueue(i, async () => {
          if (i.state !== 'running' || !i.host) return;
          await i.host.reboot();
          assignAddresses(i);
        });
      }
      return { return: true };
    },

    RequestSpotInstances(p) {
      const count = p.int('InstanceCount') ?? 1;
      const price = p.str('SpotPrice') ?? '0.50';
      if (!/^\d+(\.\d+)?$/.test(price)) throw new Ec2Error('InvalidParameterValue', `Invalid value '${price}' for SpotPrice`);
      const spec = p.child('LaunchSpecification');
      if (!spec) throw new Ec2Error('MissingParameter', 'The request must contain the parameter LaunchSpecification');
      const launch = parseLaunch(spec, new Map());
      const clientToken = p.str('ClientToken');
      if (clientToken) {
        const existing = [...spotRequests.values()].filter((r) => r.clientToken === clientToken);
        if (existing.length) return { spotInstanceRequestSet: existing.map(spotXml) };
      }
      const created: SpotRequest[] = [];
      for (let n = 0; n < count; n++) {
        const r: SpotRequest = {
          spotInstanceRequestId: hexId('sir', 8),
          spotPrice: price,
          state: 'open',
          statusCode: 'pending-evaluation',
          statusMessage: 'Your Spot request has been submitted for review, and is pending evaluation.',
          updateTime: Date.now(),
          createTime: Date.now(),
          launch,
          blockDurationMinutes: p.int('BlockDurationMinutes'),
          clientToken,
          tags: tagsOf(p, 'spot-instances-request'),
        };
        spotRequests.set(r.spotInstanceRequestId, r);
        created.push(r);
        void (async () => {
          await delay(timings.spotFulfilMs);
          if (r.state !== 'open' || closed) return;
          const reservation: Reservation = { reservationId: hexId('r'), ownerId: accountId, instanceIds: [] };
          reservations.set(reservation.reservationId, reservation);
          const instance = launchInstance(r.launch, reservation, { spotInstanceRequestId: r.spotInstanceRequestId });
          r.instanceId = instance.instanceId;
          setSpotStatus(r, 'active', 'fulfilled', 'Your Spot request is fulfilled.');
        })();
      }
      return { spotInstanceRequestSet: created.map(spotXml) };
    },

    DescribeSpotInstanceRequests(p) {
      const ids = p.strings('SpotInstanceRequestId');
      for (const id of ids) {
        if (!spotRequests.has(id)) throw new Ec2Error('InvalidSpotInstanceRequestID.NotFound', `The spot instance request ID '${id}' does not exist`);
      }
      let list = [...spotRequests.values()].filter((r) => ids.length === 0 || ids.includes(r.spotInstanceRequestId));
      list = filterBy(list, filtersOf(p), (r) => ({
        'spot-instance-request-id': () => [r.spotInstanceRequestId],
        state: () => [r.state],
        'status-code': () => [r.statusCode],
        'instance-id': () => (r.instanceId ? [r.instanceId] : []),
        ...tagFields(r.tags),
      }), 'DescribeSpotInstanceRequests');
      const { page, nextToken } = paginate(list, p, 5);
      return { spotInstanceRequestSet: page.map(spotXml), nextToken };
    },

    CancelSpotInstanceRequests(p) {
      const ids = p.strings('SpotInstanceRequestId');
      if (ids.length === 0) throw new Ec2Error('MissingParameter', 'The request must contain the parameter SpotInstanceRequestId');
      const out: XmlObject[] = [];
      for (const id of ids) {
        const r = spotRequests.get(id);
        if (!r) throw new Ec2Error('InvalidSpotInstanceRequestID.NotFound', `The spot instance request ID '${id}' does not exist`);
        if (r.state === 'open' || r.state === 'active') {
          if (r.instanceId) setSpotStatus(r, 'cancelled', 'request-canceled-and-instance-running', 'Spot request was cancelled, but the instance is still running.');
          else setSpotStatus(r, 'cancelled', 'canceled-before-fulfillment', 'Your Spot request was cancelled before it was fulfilled.');
        }
        out.push({ spotInstanceRequestId: id, state: r.state });
      }
      return { spotInstanceRequestSet: out };
    },
  };

  function requiredInstances(p: Params): Instance[] {
    const ids = p.strings('InstanceId');
    if (ids.length === 0) throw new Ec2Error('MissingParameter', 'The request must contain the parameter InstanceId');
    return ids.map(findInstance);
  }

  function transition(p: Params, change: (i: Instance) => InstanceStateName): XmlObject[] {
    const list = requiredInstances(p);
    return list.map((i) => {
      const previous = change(i);
      return { instanceId: i.instanceId, currentState: stateXml(i.state), previousState: stateXml(previous) };
    });
  }

  function reservationXml(r: Reservation): XmlObject {
    return {
      reservationId: r.reservationId,
      ownerId: accountId,
      groupSet: [],
      instancesSet: r.instanceIds.map((id) => instanceXml(instances.get(id)!)),
    };
  }

  // ---- protocol ----

  const xmlHeaders = (rid: string) => ({ 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': rid });

  const handle = async (req: FakeRequest) => {
    const rid = requestId();
    const url = new URL(req.url, 'http://placeholder');
    const params = req.method === 'POST' ? new URLSearchParams(req.body.toString('utf8')) : url.searchParams;
    const action = params.get('Action') ?? '';
    const fail = (status: number, code: string, message: string) => ({
      status,
      headers: xmlHeaders(rid),
      body: errorDocument(code, message, rid),
      label: action,
      error: code,
    });
    if (timings.latencyMs > 0) await delay(timings.latencyMs);

    const problem = await verifySigV4(req, credentials, region);
    if (problem) return fail(problem.status, problem.code, problem.message);
    if (!action) return fail(400, 'MissingAction', 'The request must contain the parameter Action');
    const handler = Object.prototype.hasOwnProperty.call(actions, action) ? actions[action] : undefined;
    if (!handler) return fail(400, 'InvalidAction', `The action ${action} is not valid for this web service.`);
    if (params.get('Version') !== API_VERSION) {
      return fail(400, params.get('Version') ? 'NoSuchVersion' : 'MissingParameter', params.get('Version') ? `An invalid or out-of-range value '${params.get('Version')}' was supplied for the Version parameter` : 'The request must contain the parameter Version');
    }
    const fault = faults.take(action);
    if (fault) return fail(fault.status, fault.code, fault.message);
    const p = new Params(parseQuery(params));
    try {
      if (p.bool('DryRun')) {
        // Validate as the real call would, without changing anything.
        if (!action.startsWith('Describe')) throw new Ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
      }
      const body = await handler(p);
      return { status: 200, headers: xmlHeaders(rid), body: responseDocument(action, rid, body), label: action };
    } catch (err) {
      if (err instanceof Ec2Error) return fail(err.status, err.code, err.message);
      throw err;
    }
  };

  const http: HttpFake = await startHttpFake(handle);

  return {
    url: http.url,
    region,
    accountId,
    requests: http.requests,
    faults,
    timings,
    instances,
    keyPairs,
    securityGroups,
    spotRequests,
    vpcs,
    subnets,
    images,
    addVpc: (cidr, zones) => addVpc(cidr, zones, false),
    liveInstances: () => [...instances.values()].filter((i) => i.state !== 'terminated'),
    actions: () => http.requests.map((r) => r.label),
    settle: async () => {
      await Promise.all([...instances.values()].map((i) => i.chain));
    },
    close: async () => {
      closed = true;
      await http.close();
      await Promise.all([...instances.values()].map((i) => i.chain));
      await Promise.all(
        [...instances.values()].map(async (i) => {
          if (i.host && i.state !== 'terminated') {
            i.state = 'terminated';
            await i.host.destroy().catch(() => undefined);
          }
        }),
      );
    },
  };
}
