// The amazonec2 driver: Docker Machine's EC2 behaviour on AWS SDK v3, with
// rollback of everything create makes and removal of the security groups it
// created once nothing else uses them.
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { EC2Client, Instance, IpPermission, SecurityGroup, Tag } from '@aws-sdk/client-ec2';
import { DriverError, generateSSHKeyPair, publicKeyFromPrivate, writeSSHKeyPair, type Driver, type DriverContext, type DriverInfo } from '@machine/driver-sdk';
import type { Description, FlagSpec, FlagValues, JsonObject, MachineStateName, SSHInfo } from '@machine/driver-sdk';
import { findDefaultAmi } from './ami';
import { clientFor, ec2, logRequestsTo, waiterTiming } from './client';
import { awsErrorCode, isAwsError, translateError } from './errors';
import {
  availabilityZone,
  DOCKER_PORT,
  FLAGS,
  parseOpenPort,
  parseTags,
  stateFromFlags,
  type EC2State,
} from './flags';

/** Tag put on security groups this driver creates, so any machine's rm may delete them once unused. */
export const CREATED_BY_TAG = 'machine:created-by';

/**
 * Tag put on everything one create makes, valued with the state's
 * CreateToken: what a killed create made is found by it, as the ids it had
 * learnt died with the process.
 */
export const CREATE_TOKEN_TAG = 'machine:create-token';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../package.json') as { version: string }).version;

// Instances that still use a security group; shutting-down ones only delay its deletion.
const USER_STATES = ['pending', 'running', 'stopping', 'stopped'];

/** Further lookups for the instance of a killed create, one poll period apart (see findByCreateToken). */
const LAUNCH_LOOKUPS = 5;

export function machineState(ec2State: string | undefined): MachineStateName {
  switch (ec2State) {
    case 'pending':
      return 'Starting';
    case 'running':
      return 'Running';
    case 'stopping':
    case 'shutting-down':
      return 'Stopping';
    case 'stopped':
      return 'Stopped';
    case 'terminated':
      return 'Error';
    default:
      return '';
  }
}

interface Network {
  vpcId: string;
  subnetId: string;
}


export class AmazonEC2Driver implements Driver<EC2State> {
  readonly info: DriverInfo = {
    name: 'amazonec2',
    version: VERSION,
    description: 'Amazon Web Services EC2 instances',
    stateVersion: 1,
    capabilities: ['cancel-create'],
  };

  schema(): FlagSpec[] {
    return FLAGS;
  }

  configure(ctx: DriverContext, flags: FlagValues): EC2State {
    // Chosen here rather than in create: the host saves the configured state
    // before create runs, so the token outlives a create that is killed.
    return { ...stateFromFlags(flags, ctx.machine), CreateToken: randomUUID() };
  }

  /** Reads state written by older drivers, the reference's included (see normalizeState). */
  upgradeState(ctx: DriverContext, old: JsonObject, _fromVersion: number): EC2State {
    return normalizeState({ ...stateFromFlags({}, ctx.machine), ...(old as Partial<EC2State>) });
  }

  async preCreateCheck(ctx: DriverContext, stored: EC2State): Promise<void> {
    const state = normalizeState(stored);
    await this.withClient(ctx, state, async (client, call) => {
      await this.resolveNetwork(client, state, call);
      if (state.ExistingKey) {
        await call('find the key pair', () => client.send(new (ec2().DescribeKeyPairsCommand)({ KeyNames: [state.KeyName!] }), this.opts(ctx)));
      } else if (await this.keyPairExists(client, ctx.machine.name, ctx)) {
        throw new DriverError(
          'already-exists',
          `there is already an EC2 key pair named ${ctx.machine.name}: remove that key pair or use a different machine name`,
        );
      }
      if (state.AMI) {
        const out = await call('find the AMI', () => client.send(new (ec2().DescribeImagesCommand)({ ImageIds: [state.AMI!] }), this.opts(ctx)));
        if (!out.Images?.length) {
          throw new DriverError('invalid-argument', `the AMI ${state.AMI} does not exist in ${state.Region}: check --amazonec2-ami`, { flag: 'amazonec2-ami' });
        }
      }
      if (state.UserDataFile) await this.readUserData(state);
      if (state.SSHPrivateKeyPath) await this.readKeyFiles(state);
    });
  }

  async create(ctx: DriverContext, initial: EC2State): Promise<EC2State> {
    const s: EC2State = { ...normalizeState(initial), CreatedSecurityGroupIds: [], SecurityGroupIds: [], KeyPairCreated: false };
    const client = this.client(ctx, s);
    const call = this.caller(s);
    this.recent.clear();
    try {
      const network = await this.resolveNetwork(client, s, call, ctx.signal);
      s.VpcId = network.vpcId;
      s.SubnetId = network.subnetId;

      if (!s.AMI) {
        ctx.progress('Looking up the latest Ubuntu LTS AMI');
        s.AMI = await call('look up the Ubuntu AMI', () => findDefaultAmi(client, s.InstanceType, ctx.signal));
        if (!s.AMI) {
          throw new DriverError('not-found', `no Ubuntu LTS AMI for ${s.InstanceType} found in ${s.Region}: set --amazonec2-ami`, { flag: 'amazonec2-ami' });
        }
      }

      await this.setUpKeyPair(ctx, client, s, call);
      await this.setUpSecurityGroups(ctx, client, s, call);

      const userData = s.UserDataFile ? (await this.readUserData(s)).toString('base64') : undefined;
      s.ClientToken = randomUUID();
      if (s.RequestSpotInstance) {
        await this.launchSpot(ctx, client, s, call, userData);
      } else {
        ctx.progress(`Launching a ${s.InstanceType} instance from ${s.AMI}`);
        const out = await call('launch the instance', () =>
          client.send(
            new (ec2().RunInstancesCommand)({
              ...this.launchSpec(s, userData),
              MinCount: 1,
              MaxCount: 1,
              ClientToken: s.ClientToken,
              TagSpecifications: [{ ResourceType: 'instance', Tags: this.instanceTags(ctx, s) }],
            }),
            this.opts(ctx),
          ),
        );
        s.InstanceId = out.Instances?.[0]?.InstanceId;
        if (!s.InstanceId) throw new DriverError('internal', 'RunInstances returned no instance');
      }

      ctx.progress(`Waiting for instance ${s.InstanceId} to be running`);
      await this.waitRunning(ctx, client, s, call);
      ctx.progress(`Instance ${s.InstanceId} is running at ${this.address(s)}`);
      return s;
    } catch (err) {
      const failure = call.wrap(err, 'create the machine');
      await this.rollback(ctx, s, failure);
      throw failure;
    }
  }

  async start(ctx: DriverContext, stored: EC2State): Promise<EC2State> {
    const state = normalizeState(stored);
    return this.withClient(ctx, state, async (client, call) => {
      const s = { ...state };
      this.recent.clear();
      await call('start the instance', () => client.send(new (ec2().StartInstancesCommand)({ InstanceIds: [this.id(s)] }), this.opts(ctx)));
      await this.waitRunning(ctx, client, s, call);
      return s;
    });
  }

  async stop(ctx: DriverContext, stored: EC2State): Promise<EC2State> {
    const state = normalizeState(stored);
    return this.stopInstance(ctx, state, false);
  }

  async kill(ctx: DriverContext, stored: EC2State): Promise<EC2State> {
    const state = normalizeState(stored);
    return this.stopInstance(ctx, state, true);
  }

  async restart(ctx: DriverContext, stored: EC2State): Promise<EC2State> {
    const state = normalizeState(stored);
    return this.withClient(ctx, state, async (client, call) => {
      const s = { ...state };
      this.recent.clear();
      await call('reboot the instance', () => client.send(new (ec2().RebootInstancesCommand)({ InstanceIds: [this.id(s)] }), this.opts(ctx)));
      await this.waitRunning(ctx, client, s, call);
      return s;
    });
  }

  async remove(ctx: DriverContext, stored: EC2State): Promise<void> {
    let state = normalizeState(stored);
    let alsoInstances: string[] = [];
    if (!state.InstanceId && !state.SpotInstanceRequestId && state.CreateToken) {
      // Only the configured state was stored: the create never returned, and
      // what it made so far is known by its token alone.
      const found = await this.findByCreateToken(ctx, state);
      state = found.state;
      alsoInstances = found.moreInstanceIds;
    }
    const made = state.InstanceId || state.SpotInstanceRequestId || (state.KeyPairCreated && state.KeyName) || state.CreatedSecurityGroupIds?.length || state.SecurityGroupIds?.length;
    if (!made) return;
    const { problems, groupProblems } = await this.cleanUp(ctx, state, undefined, alsoInstances);
    if (problems.length > 0) {
      throw new DriverError('internal', `could not remove everything the machine used in AWS: ${problems.join('; ')}`, {
        detail: `Run rm again, or delete these resources in the EC2 console.${groupProblems.length ? `\nAlso left: ${groupProblems.join('; ')}` : ''}`,
      });
    }
    if (groupProblems.length > 0) {
      ctx.warn(`the machine is removed, but its security group is left: ${groupProblems.join('; ')}`, 'Delete it in the EC2 console once nothing uses it.');
    }
  }

  async getState(ctx: DriverContext, stored: EC2State): Promise<MachineStateName> {
    const state = normalizeState(stored);
    const instance = await this.findInstance(ctx, state);
    return machineState(instance.State?.Name);
  }

  async getIP(ctx: DriverContext, stored: EC2State): Promise<string> {
    const state = normalizeState(stored);
    const instance = await this.findInstance(ctx, state);
    const ip = this.pickAddress(state, instance);
    // A stopped instance has no public address; that is its state, not a failure.
    if (!ip && instance.State?.Name !== 'running') return '';
    if (!ip) {
      throw new DriverError('failed-precondition', `instance ${state.InstanceId} has no ${this.wantsPrivate(state) ? 'private' : 'public'} IP address (state: ${instance.State?.Name ?? 'unknown'}); start the machine first`);
    }
    return ip;
  }

  async getURL(ctx: DriverContext, stored: EC2State): Promise<string> {
    const state = normalizeState(stored);
    const instance = await this.findInstance(ctx, state);
    const ip = this.pickAddress(state, instance);
    return instance.State?.Name === 'running' && ip ? `tcp://${ip}:${DOCKER_PORT}` : '';
  }

  /** State, IP and URL from one DescribeInstances, for `ls`. */
  async describe(ctx: DriverContext, stored: EC2State): Promise<Description> {
    const state = normalizeState(stored);
    if (!state.InstanceId) return { state: 'Not Found', ip: '', url: '' };
    let instance: Instance;
    try {
      instance = await this.findInstance(ctx, state);
    } catch (err) {
      if (err instanceof DriverError && err.code === 'not-found') return { state: 'Not Found', ip: '', url: '', stateError: err.message };
      return { state: 'Error', ip: '', url: '', stateError: err instanceof Error ? err.message : String(err) };
    }
    const st = machineState(instance.State?.Name);
    const ip = this.pickAddress(state, instance) ?? '';
    return { state: st, ip, url: st === 'Running' && ip ? `tcp://${ip}:${DOCKER_PORT}` : '' };
  }

  async getSSHInfo(ctx: DriverContext, stored: EC2State): Promise<SSHInfo> {
    const state = normalizeState(stored);
    return {
      host: await this.getIP(ctx, state),
      port: state.SSHPort,
      user: state.SSHUser,
      keyPath: path.join(ctx.machine.machineDir, 'id_rsa'),
    };
  }

  // ---- create steps ----

  private async resolveNetwork(client: EC2Client, s: EC2State, call: Caller, signal?: AbortSignal): Promise<Network> {
    const m = ec2();
    let vpcId = s.VpcId;
    if (!vpcId && s.SubnetId) {
      const out = await call('look up the subnet', () => client.send(new m.DescribeSubnetsCommand({ SubnetIds: [s.SubnetId!] }), { abortSignal: signal }));
      vpcId = out.Subnets?.[0]?.VpcId;
    }
    if (!vpcId) {
      const out = await call('find the default VPC', () =>
        client.send(new m.DescribeAccountAttributesCommand({ AttributeNames: ['default-vpc'] }), { abortSignal: signal }),
      );
      const value = out.AccountAttributes?.find((a) => a.AttributeName === 'default-vpc')?.AttributeValues?.[0]?.AttributeValue;
      if (value && value !== 'none') vpcId = value;
    }
    if (!vpcId) {
      throw new DriverError('invalid-argument', 'amazonec2 driver requires either the --amazonec2-subnet-id or --amazonec2-vpc-id option, or an AWS account with a default VPC', { flag: 'amazonec2-vpc-id' });
    }
    if (s.SubnetId) {
      const out = await call('look up the subnet', () => client.send(new m.DescribeSubnetsCommand({ SubnetIds: [s.SubnetId!] }), { abortSignal: signal }));
      const subnet = out.Subnets?.[0];
      if (!subnet) throw new DriverError('invalid-argument', `the subnet ${s.SubnetId} does not exist: check --amazonec2-subnet-id`, { flag: 'amazonec2-subnet-id' });
      if (subnet.VpcId !== vpcId) {
        throw new DriverError('invalid-argument', `the subnet ${s.SubnetId} is in ${subnet.VpcId}, not in ${vpcId}: check --amazonec2-subnet-id and --amazonec2-vpc-id`, { flag: 'amazonec2-subnet-id' });
      }
      return { vpcId, subnetId: s.SubnetId };
    }
    const zone = availabilityZone(s);
    const out = await call('find a subnet', () =>
      client.send(
        new m.DescribeSubnetsCommand({
          Filters: [
            { Name: 'availability-zone', Values: [zone] },
            { Name: 'vpc-id', Values: [vpcId!] },
          ],
        }),
        { abortSignal: signal },
      ),
    );
    const subnets = out.Subnets ?? [];
    const subnet = subnets.find((x) => x.DefaultForAz) ?? subnets[0];
    if (!subnet?.SubnetId) {
      throw new DriverError('invalid-argument', `the VPC ${vpcId} has no subnet in ${zone}: choose another --amazonec2-zone or set --amazonec2-subnet-id`, { flag: 'amazonec2-zone' });
    }
    return { vpcId, subnetId: subnet.SubnetId };
  }

  private async readUserData(s: EC2State): Promise<Buffer> {
    try {
      return await fs.readFile(s.UserDataFile!);
    } catch (err) {
      throw new DriverError('invalid-argument', `cannot read the user data file ${s.UserDataFile}: ${(err as Error).message}`, { flag: 'amazonec2-userdata' });
    }
  }

  private async readKeyFiles(s: EC2State): Promise<{ privateKey: string; publicKey: string }> {
    let privateKey: string;
    try {
      privateKey = await fs.readFile(s.SSHPrivateKeyPath!, 'utf8');
    } catch (err) {
      throw new DriverError('invalid-argument', `cannot read the SSH key ${s.SSHPrivateKeyPath}: ${(err as Error).message}`, { flag: 'amazonec2-ssh-keypath' });
    }
    let publicKey: string;
    try {
      publicKey = (await fs.readFile(`${s.SSHPrivateKeyPath}.pub`, 'utf8')).trim();
    } catch {
      try {
        publicKey = publicKeyFromPrivate(privateKey);
      } catch {
        throw new DriverError('invalid-argument', `cannot read ${s.SSHPrivateKeyPath}.pub, and cannot derive it from the private key: put the public key beside it`, { flag: 'amazonec2-ssh-keypath' });
      }
    }
    return { privateKey, publicKey };
  }

  private async keyPairExists(client: EC2Client, name: string, ctx: DriverContext): Promise<boolean> {
    try {
      const out = await client.send(new (ec2().DescribeKeyPairsCommand)({ KeyNames: [name] }), this.opts(ctx));
      return (out.KeyPairs ?? []).length > 0;
    } catch (err) {
      if (isAwsError(err, 'InvalidKeyPair.NotFound')) return false;
      throw err;
    }
  }

  private async setUpKeyPair(ctx: DriverContext, client: EC2Client, s: EC2State, call: Caller): Promise<void> {
    const keyPath = path.join(ctx.machine.machineDir, 'id_rsa');
    await fs.mkdir(ctx.machine.machineDir, { recursive: true });
    let publicKey: string;
    if (s.SSHPrivateKeyPath) {
      const pair = await this.readKeyFiles(s);
      await writeSSHKeyPair(keyPath, pair);
      publicKey = pair.publicKey;
    } else {
      ctx.progress('Creating an SSH key');
      const pair = await generateSSHKeyPair(ctx.machine.name);
      await writeSSHKeyPair(keyPath, pair);
      publicKey = pair.publicKey;
    }
    if (s.ExistingKey) {
      s.KeyPairCreated = false;
      return;
    }
    s.KeyName = ctx.machine.name;
    ctx.progress(`Importing key pair ${s.KeyName}`);
    await call('import the key pair', () =>
      client.send(
        new (ec2().ImportKeyPairCommand)({ KeyName: s.KeyName, PublicKeyMaterial: Buffer.from(publicKey), TagSpecifications: tagSpecifications('key-pair', tokenTags(s)) }),
        this.opts(ctx),
      ),
    );
    s.KeyPairCreated = true;
  }

  private neededPorts(s: EC2State): { port: number; protocol: string }[] {
    const ports = [
      { port: s.SSHPort, protocol: 'tcp' },
      { port: DOCKER_PORT, protocol: 'tcp' },
    ];
    for (const p of s.OpenPorts) ports.push(parseOpenPort(p));
    if (s.SwarmMode) ports.push(...SWARM_MODE_PORTS);
    return ports;
  }

  private async setUpSecurityGroups(ctx: DriverContext, client: EC2Client, s: EC2State, call: Caller): Promise<void> {
    const m = ec2();
    for (const name of s.SecurityGroupNames) {
      const found = await call(`look up security group ${name}`, () =>
        client.send(
          new m.DescribeSecurityGroupsCommand({
            Filters: [
              { Name: 'group-name', Values: [name] },
              { Name: 'vpc-id', Values: [s.VpcId!] },
            ],
          }),
          this.opts(ctx),
        ),
      );
      let group: SecurityGroup | undefined = found.SecurityGroups?.[0];
      if (!group) {
        if (s.SecurityGroupReadOnly) {
          throw new DriverError('invalid-argument', `security group ${name} does not exist in ${s.VpcId}, and --amazonec2-security-group-readonly forbids creating it`, { flag: 'amazonec2-security-group' });
        }
        ctx.progress(`Creating security group ${name}`);
        const created = await call(`create security group ${name}`, () =>
          client.send(
            new m.CreateSecurityGroupCommand({
              GroupName: name,
              Description: 'Docker Machine',
              VpcId: s.VpcId,
              TagSpecifications: tagSpecifications('security-group', [{ Key: CREATED_BY_TAG, Value: ctx.machine.name }, ...tokenTags(s)]),
            }),
            this.opts(ctx),
          ),
        );
        const groupId = created.GroupId!;
        s.CreatedSecurityGroupIds!.push(groupId);
        await call(`wait for security group ${name}`, () =>
          m.waitUntilSecurityGroupExists({ client, abortSignal: ctx.signal, ...waiterTiming(120) }, { GroupIds: [groupId] }),
        );
        group = { GroupId: groupId, GroupName: name, IpPermissions: [] };
      }
      s.SecurityGroupIds!.push(group.GroupId!);
      if (s.SecurityGroupReadOnly) continue;
      const missing = this.neededPorts(s).filter((p) => !covers(group!.IpPermissions ?? [], p.port, p.protocol));
      // One rule per port and protocol, even when two flags ask for the same one.
      const unique = missing.filter((p, i) => missing.findIndex((q) => q.port === p.port && q.protocol === p.protocol) === i);
      if (unique.length === 0) continue;
      ctx.progress(`Opening ports ${unique.map((p) => `${p.port}/${p.protocol}`).join(', ')} in security group ${name}`);
      await call(`open ports in security group ${name}`, async () => {
        try {
          await client.send(
            new m.AuthorizeSecurityGroupIngressCommand({
              GroupId: group!.GroupId,
              IpPermissions: unique.map((p) => ({ IpProtocol: p.protocol, FromPort: p.port, ToPort: p.port, IpRanges: [{ CidrIp: '0.0.0.0/0' }] })),
            }),
            this.opts(ctx),
          );
        } catch (err) {
          // Another create running at the same time may have added the same rules.
          if (!isAwsError(err, 'InvalidPermission.Duplicate')) throw err;
        }
      });
    }
  }

  private launchSpec(s: EC2State, userData: string | undefined) {
    return {
      ImageId: s.AMI,
      InstanceType: s.InstanceType as never,
      KeyName: s.KeyName,
      Placement: { AvailabilityZone: availabilityZone(s) },
      NetworkInterfaces: [
        { DeviceIndex: 0, SubnetId: s.SubnetId, Groups: s.SecurityGroupIds, AssociatePublicIpAddress: !s.PrivateIPOnly, DeleteOnTermination: true },
      ],
      Monitoring: { Enabled: s.Monitoring },
      EbsOptimized: s.UseEbsOptimizedInstance,
      IamInstanceProfile: s.IamInstanceProfile ? { Name: s.IamInstanceProfile } : undefined,
      BlockDeviceMappings: [
        { DeviceName: s.DeviceName, Ebs: { VolumeSize: s.RootSize, VolumeType: s.VolumeType as never, DeleteOnTermination: true } },
      ],
      UserData: userData,
    };
  }

  private instanceTags(ctx: DriverContext, s: EC2State): Tag[] {
    return [{ Key: 'Name', Value: ctx.machine.name }, ...parseTags(s.Tags), ...tokenTags(s)];
  }

  private async launchSpot(ctx: DriverContext, client: EC2Client, s: EC2State, call: Caller, userData: string | undefined): Promise<void> {
    const m = ec2();
    ctx.progress(`Requesting a ${s.InstanceType} spot instance at up to $${s.SpotPrice}/hour`);
    const spec = this.launchSpec(s, userData);
    const out = await call('request the spot instance', () =>
      client.send(
        new m.RequestSpotInstancesCommand({
          SpotPrice: s.SpotPrice,
          InstanceCount: 1,
          ClientToken: s.ClientToken,
          BlockDurationMinutes: s.BlockDurationMinutes > 0 ? s.BlockDurationMinutes : undefined,
          // EC2 does not pass a request's tags on to its instance: that is tagged once known, below.
          TagSpecifications: tagSpecifications('spot-instances-request', tokenTags(s)),
          LaunchSpecification: { ...spec, Placement: { AvailabilityZone: spec.Placement.AvailabilityZone } },
        }),
        this.opts(ctx),
      ),
    );
    s.SpotInstanceRequestId = out.SpotInstanceRequests?.[0]?.SpotInstanceRequestId;
    if (!s.SpotInstanceRequestId) throw new DriverError('internal', 'RequestSpotInstances returned no request');
    ctx.progress(`Waiting for spot request ${s.SpotInstanceRequestId} to be fulfilled`);
    const ids = { SpotInstanceRequestIds: [s.SpotInstanceRequestId] };
    await call('wait for the spot request', () => m.waitUntilSpotInstanceRequestFulfilled({ client, abortSignal: ctx.signal, ...waiterTiming(600) }, ids));
    const described = await call('read the spot request', () => client.send(new m.DescribeSpotInstanceRequestsCommand(ids), this.opts(ctx)));
    s.InstanceId = described.SpotInstanceRequests?.[0]?.InstanceId;
    if (!s.InstanceId) throw new DriverError('internal', `spot request ${s.SpotInstanceRequestId} was fulfilled without an instance`);
    await call('tag the instance', async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await client.send(new m.CreateTagsCommand({ Resources: [s.InstanceId!], Tags: this.instanceTags(ctx, s) }), this.opts(ctx));
        } catch (err) {
          // A just-launched instance may not be visible to every API yet.
          if (!isAwsError(err, 'InvalidInstanceID.NotFound') || attempt >= 20) throw err;
          await sleep(waiterTiming(1).minDelay * 1000);
        }
      }
    });
  }

  /** Waits for `running` and an address, and records the addresses in the state. */
  private async waitRunning(ctx: DriverContext, client: EC2Client, s: EC2State, call: Caller): Promise<void> {
    const m = ec2();
    const input = { InstanceIds: [this.id(s)] };
    await call('wait for the instance to run', async () => {
      const result = await m.waitUntilInstanceRunning({ client, abortSignal: ctx.signal, ...waiterTiming(900) }, input).catch((err: unknown) => err);
      if (!(result instanceof Error) || result.name === 'AbortError' || result.name === 'TimeoutError' || awsErrorCode(result)) {
        if (result instanceof Error) throw result;
        return;
      }
      // The waiter gave up because the instance stopped or terminated: say why.
      const out = await client.send(new m.DescribeInstancesCommand(input), this.opts(ctx));
      const instance = out.Reservations?.[0]?.Instances?.[0];
      throw new DriverError(
        'failed-precondition',
        `instance ${s.InstanceId} went to ${instance?.State?.Name ?? 'an unexpected state'} instead of running${instance?.StateReason?.Message ? `: ${instance.StateReason.Message}` : ''}`,
        { detail: result.message },
      );
    });
    const { minDelay } = waiterTiming(1);
    for (let attempt = 0; ; attempt++) {
      const out = await call('describe the instance', () => client.send(new m.DescribeInstancesCommand(input), this.opts(ctx)));
      const instance = out.Reservations?.[0]?.Instances?.[0];
      s.IPAddress = instance?.PublicIpAddress ?? '';
      s.PrivateIPAddress = instance?.PrivateIpAddress;
      if (this.pickAddress(s, instance)) return;
      if (attempt >= 60) throw new DriverError('deadline-exceeded', `instance ${s.InstanceId} is running but got no ${this.wantsPrivate(s) ? 'private' : 'public'} IP address`);
      await sleep(minDelay * 1000);
      if (ctx.signal.aborted) throw new DriverError('cancelled', 'cancelled while waiting for the instance address');
    }
  }

  // ---- removal ----

  /**
   * Deletes what the state says exists, never throwing for AWS errors.
   * Returns what could not be deleted: the machine's own resources, and
   * security groups apart, as a group left behind costs nothing.
   */
  private async cleanUp(
    ctx: DriverContext,
    s: EC2State,
    reason: Error | undefined,
    alsoInstances: string[] = [],
  ): Promise<{ problems: string[]; groupProblems: string[] }> {
    // Requests here carry no abort signal: cleanup must run to the end even when the call was cancelled.
    const client = this.client(ctx, s);
    const m = ec2();
    const problems: string[] = [];
    const groupProblems: string[] = [];
    this.recent.clear();
    const attempt = async (what: string, fn: () => Promise<unknown>, ignore: string[] = [], into = problems) => {
      try {
        await fn();
      } catch (err) {
        if (isAwsError(err, ...ignore)) return;
        into.push(`${what}: ${awsErrorCode(err) ?? ''} ${(err as Error).message}`.trim());
      }
    };
    try {
      const instanceIds = [...new Set([...(s.InstanceId ? [s.InstanceId] : []), ...alsoInstances])];
      if (s.SpotInstanceRequestId) {
        await attempt(`cancel spot request ${s.SpotInstanceRequestId}`, async () => {
          const out = await client.send(new m.DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [s.SpotInstanceRequestId!] }));
          const late = out.SpotInstanceRequests?.[0]?.InstanceId;
          if (late && !instanceIds.includes(late)) instanceIds.push(late);
          await client.send(new m.CancelSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [s.SpotInstanceRequestId!] }));
        }, ['InvalidSpotInstanceRequestID.NotFound']);
      }
      if (reason && instanceIds.length === 0 && s.ClientToken && !s.RequestSpotInstance) {
        // The launch may have gone through even though its answer never came back.
        await attempt('look for the launched instance', async () => {
          const out = await client.send(new m.DescribeInstancesCommand({ Filters: [{ Name: 'client-token', Values: [s.ClientToken!] }] }));
          for (const r of out.Reservations ?? []) for (const i of r.Instances ?? []) if (i.InstanceId) instanceIds.push(i.InstanceId);
        });
      }
      let instanceStays = false;
      if (instanceIds.length > 0) {
        ctx.progress(`Terminating instance ${instanceIds.join(', ')}`);
        const before = problems.length;
        await attempt(`terminate instance ${instanceIds.join(', ')}`, () => client.send(new m.TerminateInstancesCommand({ InstanceIds: instanceIds })), ['InvalidInstanceID.NotFound']);
        // The groups stay while the instance does; the next rm deletes them.
        instanceStays = problems.length > before;
      }
      if (s.KeyPairCreated && s.KeyName) {
        await attempt(`delete key pair ${s.KeyName}`, () => client.send(new m.DeleteKeyPairCommand({ KeyName: s.KeyName })), ['InvalidKeyPair.NotFound']);
      }
      const groups = instanceStays ? [] : await this.groupsToDelete(client, s, instanceIds, groupProblems);
      if (groups.length > 0) {
        if (instanceIds.length > 0) {
          // A group cannot be deleted while an instance, even a terminating one, holds it.
          await attempt('wait for the instance to terminate', () =>
            m.waitUntilInstanceTerminated({ client, ...waiterTiming(600) }, { InstanceIds: instanceIds }), ['InvalidInstanceID.NotFound'], groupProblems);
        }
        for (const groupId of groups) {
          ctx.progress(`Deleting security group ${groupId}`);
          await attempt(`delete security group ${groupId}`, () => this.deleteGroup(client, groupId), ['InvalidGroup.NotFound'], groupProblems);
        }
      }
    } catch (err) {
      problems.push((err as Error).message);
    }
    return { problems, groupProblems };
  }

  /**
   * What a create with this state's token made, found by its tag: the
   * instance (or spot request), the imported key pair and the security groups
   * it created, merged into the state as create would have recorded them.
   * Lookups that fail throw, so that the removal fails and can be retried.
   */
  private async findByCreateToken(ctx: DriverContext, state: EC2State): Promise<{ state: EC2State; moreInstanceIds: string[] }> {
    const m = ec2();
    const client = this.client(ctx, state);
    const call = this.caller(state);
    const byToken = [{ Name: `tag:${CREATE_TOKEN_TAG}`, Values: [state.CreateToken!] }];
    const s: EC2State = { ...state };
    const pages = { client, pageSize: 100 };

    // The key pair and the groups come first because create makes them before it launches.
    if (!state.ExistingKey) {
      // DescribeKeyPairs has no pagination: it answers with every match.
      const keys = await call('look for the key pair the create imported', () => client.send(new m.DescribeKeyPairsCommand({ Filters: byToken })));
      const key = keys.KeyPairs?.find((k) => k.KeyName);
      if (key) {
        s.KeyName = key.KeyName;
        s.KeyPairCreated = true;
      }
    }
    const groupIds: string[] = [];
    await call('look for the security groups the create made', async () => {
      for await (const page of m.paginateDescribeSecurityGroups(pages, { Filters: byToken })) {
        for (const g of page.SecurityGroups ?? []) if (g.GroupId) groupIds.push(g.GroupId);
      }
    });
    s.CreatedSecurityGroupIds = groupIds;

    const instanceIds: string[] = [];
    const lookForLaunch = async () => {
      await call('look for the instance the create launched', async () => {
        // Terminated instances stay visible for a while; there is nothing left to do for them.
        const input = { Filters: [...byToken, { Name: 'instance-state-name', Values: [...USER_STATES, 'shutting-down'] }] };
        for await (const page of m.paginateDescribeInstances(pages, input)) {
          for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) if (i.InstanceId && !instanceIds.includes(i.InstanceId)) instanceIds.push(i.InstanceId);
        }
      });
      if (!state.RequestSpotInstance) return;
      await call('look for the spot request the create made', async () => {
        for await (const page of m.paginateDescribeSpotInstanceRequests(pages, { Filters: byToken })) {
          for (const r of page.SpotInstanceRequests ?? []) s.SpotInstanceRequestId ??= r.SpotInstanceRequestId;
        }
      });
    };
    await lookForLaunch();
    // EC2 lists a just-launched instance only after a few seconds. A create
    // that got as far as its key pair or groups may have launched one that is
    // not listed yet: look again for a while before concluding it did not.
    const gotFar = s.KeyPairCreated || groupIds.length > 0;
    for (let attempt = 0; gotFar && instanceIds.length === 0 && !s.SpotInstanceRequestId && attempt < LAUNCH_LOOKUPS; attempt++) {
      await sleep(waiterTiming(1).minDelay * 1000);
      await lookForLaunch();
    }
    s.InstanceId = instanceIds[0];

    const found = [...instanceIds, s.SpotInstanceRequestId, s.KeyPairCreated ? `key pair ${s.KeyName}` : undefined, ...groupIds].filter(Boolean);
    if (found.length > 0) ctx.progress(`Found what an unfinished create made: ${found.join(', ')}`);
    return { state: s, moreInstanceIds: instanceIds.slice(1) };
  }

  /** Groups made by this driver (by state or tag) that no other live instance uses. */
  private async groupsToDelete(client: EC2Client, s: EC2State, ours: string[], problems: string[]): Promise<string[]> {
    const m = ec2();
    const candidates = new Set(s.CreatedSecurityGroupIds ?? []);
    const others = (s.SecurityGroupIds ?? []).filter((id) => !candidates.has(id));
    if (others.length > 0) {
      try {
        const out = await client.send(new m.DescribeSecurityGroupsCommand({ GroupIds: others }));
        for (const g of out.SecurityGroups ?? []) if (g.GroupId && g.Tags?.some((t) => t.Key === CREATED_BY_TAG)) candidates.add(g.GroupId);
      } catch (err) {
        if (!isAwsError(err, 'InvalidGroup.NotFound')) problems.push(`look up security groups: ${(err as Error).message}`);
      }
    }
    const result: string[] = [];
    for (const groupId of candidates) {
      try {
        const out = await client.send(
          new m.DescribeInstancesCommand({
            Filters: [
              { Name: 'instance.group-id', Values: [groupId] },
              { Name: 'instance-state-name', Values: USER_STATES },
            ],
          }),
        );
        const users = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).filter((i) => i.InstanceId && !ours.includes(i.InstanceId));
        if (users.length === 0) result.push(groupId);
      } catch (err) {
        problems.push(`check who uses security group ${groupId}: ${(err as Error).message}`);
      }
    }
    return result;
  }

  private async deleteGroup(client: EC2Client, groupId: string): Promise<void> {
    const { DeleteSecurityGroupCommand } = ec2();
    for (let attempt = 0; ; attempt++) {
      try {
        await client.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
        return;
      } catch (err) {
        // Network interfaces of a terminated instance are released a little after it terminates.
        if (!isAwsError(err, 'DependencyViolation') || attempt >= 20) throw err;
        await sleep(waiterTiming(1).minDelay * 1000);
      }
    }
  }

  private async rollback(ctx: DriverContext, s: EC2State, failure: Error): Promise<void> {
    const nothingMade = !s.InstanceId && !s.SpotInstanceRequestId && !s.KeyPairCreated && !s.CreatedSecurityGroupIds?.length && !s.ClientToken;
    if (nothingMade) return;
    ctx.progress('Create failed; removing what it made in AWS');
    const left = await this.cleanUp(ctx, s, failure);
    const problems = [...left.problems, ...left.groupProblems];
    if (problems.length > 0) {
      ctx.warn(`could not undo everything create made in AWS: ${problems.join('; ')}`, 'Delete these resources in the EC2 console.');
      if (failure instanceof DriverError) {
        (failure as { detail?: string }).detail = `${failure.detail ? `${failure.detail}\n` : ''}Left behind: ${problems.join('; ')}`;
      }
    }
  }

  // ---- helpers ----

  private async stopInstance(ctx: DriverContext, state: EC2State, force: boolean): Promise<EC2State> {
    return this.withClient(ctx, state, async (client, call) => {
      const m = ec2();
      const input = { InstanceIds: [this.id(state)] };
      this.recent.clear();
      await call(force ? 'kill the instance' : 'stop the instance', () => client.send(new m.StopInstancesCommand({ ...input, Force: force }), this.opts(ctx)));
      await call('wait for the instance to stop', () => m.waitUntilInstanceStopped({ client, abortSignal: ctx.signal, ...waiterTiming(900) }, input));
      // IPAddress stays the last one seen, as the reference keeps it; start records the new one.
      return state;
    });
  }

  /**
   * Describe asks for state, IP and URL in turn; one DescribeInstances
   * answers all three, so a result is reused for a moment. Any call that
   * changes the instance forgets it.
   */
  private readonly recent = new Map<string, { at: number; instance: Promise<Instance> }>();

  private findInstance(ctx: DriverContext, s: EC2State): Promise<Instance> {
    const key = `${s.Endpoint ?? ''}|${s.Region}|${this.id(s)}`;
    const hit = this.recent.get(key);
    if (hit && Date.now() - hit.at < 2000) return hit.instance;
    const instance = this.findInstanceNow(ctx, s);
    this.recent.set(key, { at: Date.now(), instance });
    instance.catch(() => this.recent.delete(key));
    return instance;
  }

  private async findInstanceNow(ctx: DriverContext, s: EC2State): Promise<Instance> {
    return this.withClient(ctx, s, async (client, call) => {
      const out = await call('describe the instance', async () => {
        try {
          return await client.send(new (ec2().DescribeInstancesCommand)({ InstanceIds: [this.id(s)] }), this.opts(ctx));
        } catch (err) {
          if (isAwsError(err, 'InvalidInstanceID.NotFound')) {
            throw new DriverError('not-found', `instance ${s.InstanceId} does not exist in ${s.Region}`);
          }
          throw err;
        }
      });
      const instance = out.Reservations?.[0]?.Instances?.[0];
      if (!instance) throw new DriverError('not-found', `instance ${s.InstanceId} does not exist in ${s.Region}`);
      return instance;
    });
  }

  private id(s: EC2State): string {
    if (!s.InstanceId) throw new DriverError('not-found', 'the machine has no EC2 instance (create did not finish)');
    return s.InstanceId;
  }

  private wantsPrivate(s: EC2State): boolean {
    return s.PrivateIPOnly || s.UsePrivateIP;
  }

  private pickAddress(s: EC2State, instance: Instance | undefined): string | undefined {
    if (!instance) return undefined;
    return this.wantsPrivate(s) ? instance.PrivateIpAddress : instance.PublicIpAddress;
  }

  private address(s: EC2State): string {
    return (this.wantsPrivate(s) ? s.PrivateIPAddress : s.IPAddress) ?? '';
  }

  private opts(ctx: DriverContext): { abortSignal: AbortSignal } {
    return { abortSignal: ctx.signal };
  }

  private caller(s: EC2State): Caller {
    const call = (async <T>(action: string, fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        throw translateError(err, s, action);
      }
    }) as Caller;
    call.wrap = (err: unknown, action: string) => translateError(err, s, action);
    return call;
  }

  private async withClient<T>(ctx: DriverContext, s: EC2State, fn: (client: EC2Client, call: Caller) => Promise<T>): Promise<T> {
    return fn(this.client(ctx, s), this.caller(s));
  }

  private client(ctx: DriverContext, s: EC2State): EC2Client {
    logRequestsTo(ctx.log);
    return clientFor(s);
  }
}

/**
 * Makes any stored state safe to use. Hosts pass states of version 0 (the
 * reference's stores) unchanged, so this runs on every call rather than only
 * in upgradeState: Go's nil slices arrive as null, and the single-group
 * fields predate the lists.
 */
export function normalizeState(stored: EC2State): EC2State {
  const s = Object.fromEntries(Object.entries(stored).filter(([, v]) => v !== null)) as EC2State;
  if (!s.SecurityGroupIds?.length && s.SecurityGroupId) s.SecurityGroupIds = [s.SecurityGroupId];
  if (!s.SecurityGroupNames?.length) s.SecurityGroupNames = s.SecurityGroupName ? [s.SecurityGroupName] : ['docker-machine'];
  s.OpenPorts ??= [];
  // The reference imported the key pair unless the user named one.
  if (s.KeyPairCreated === undefined && s.InstanceId) s.KeyPairCreated = !s.ExistingKey && !!s.KeyName;
  return s;
}

function tokenTags(s: EC2State): Tag[] {
  return s.CreateToken ? [{ Key: CREATE_TOKEN_TAG, Value: s.CreateToken }] : [];
}

/** TagSpecifications for one resource type, or none at all when there is no tag (EC2 refuses an empty list). */
function tagSpecifications<T extends string>(resourceType: T, tags: Tag[]): { ResourceType: T; Tags: Tag[] }[] | undefined {
  return tags.length > 0 ? [{ ResourceType: resourceType, Tags: tags }] : undefined;
}

interface Caller {
  <T>(action: string, fn: () => Promise<T>): Promise<T>;
  wrap(err: unknown, action: string): Error;
}

/** What swarm-mode nodes use between them: cluster management, node gossip, and the overlay network's VXLAN. */
const SWARM_MODE_PORTS = [
  { port: 2377, protocol: 'tcp' },
  { port: 7946, protocol: 'tcp' },
  { port: 7946, protocol: 'udp' },
  { port: 4789, protocol: 'udp' },
];

function covers(perms: IpPermission[], port: number, protocol: string): boolean {
  return perms.some(
    (p) =>
      (p.IpProtocol === '-1' || p.IpProtocol === protocol) &&
      (p.IpProtocol === '-1' || ((p.FromPort ?? 0) <= port && port <= (p.ToPort ?? 65535))) &&
      (p.IpRanges ?? []).some((r) => r.CidrIp === '0.0.0.0/0'),
  );
}
