// The local EC2 endpoint, checked on the wire with the real AWS SDK client:
// every response must parse into populated fields, errors must carry EC2's
// codes and statuses, and signatures must be verified.
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import {
  AuthorizeSecurityGroupIngressCommand,
  CancelSpotInstanceRequestsCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteKeyPairCommand,
  DeleteSecurityGroupCommand,
  DescribeAccountAttributesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSpotInstanceRequestsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  ImportKeyPairCommand,
  RebootInstancesCommand,
  RequestSpotInstancesCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  paginateDescribeInstances,
  waitUntilInstanceRunning,
  waitUntilInstanceStopped,
  waitUntilInstanceTerminated,
  waitUntilSpotInstanceRequestFulfilled,
} from '@aws-sdk/client-ec2';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { startFakeEc2, ec2Fault, CANONICAL, LATEST_LTS_AMD64, type FakeEc2 } from '../fakes/ec2';

import '../fakes/ec2/harness';

const KEY = 'AKIDFAKEEC2';
const SECRET = 'fake-secret-key';
const PUBLIC_KEY = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDfakefakefakefakefake test@example';
const FAST = { minDelay: 0.02, maxDelay: 0.05, maxWaitTime: 20 };

function client(fake: FakeEc2, overrides: Partial<ConstructorParameters<typeof EC2Client>[0]> = {}): EC2Client {
  return new EC2Client({
    region: 'us-east-1',
    endpoint: fake.url,
    credentials: { accessKeyId: KEY, secretAccessKey: SECRET },
    maxAttempts: 1,
    ...overrides,
  });
}

async function rejects(p: Promise<unknown>, code: string, status: number): Promise<Error> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number }; $fault?: string };
    assert.equal(e.name, code, `expected ${code}, got ${e.name}: ${e.message}`);
    assert.equal(e.$metadata?.httpStatusCode, status);
    return e;
  }
  assert.fail(`expected ${code}`);
}

function rawPost(fake: FakeEc2, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const url = new URL(fake.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Signs a raw request the way the SDK would, so the body can be anything. */
async function signedPost(fake: FakeEc2, body: string, secret = SECRET) {
  const url = new URL(fake.url);
  const signer = new SignatureV4({ service: 'ec2', region: 'us-east-1', sha256: Sha256, credentials: { accessKeyId: KEY, secretAccessKey: secret } });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    query: {},
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  return rawPost(fake, body, signed.headers as Record<string, string>);
}

describe('local EC2 endpoint (wire format, with the AWS SDK)', function () {
  let fake: FakeEc2;
  let ec2: EC2Client;

  beforeEach(async () => {
    fake = await startFakeEc2({ timings: { pendingMs: 150, stoppingMs: 100, shuttingDownMs: 100, spotFulfilMs: 150 } });
    ec2 = client(fake);
  });
  afterEach(async () => {
    ec2.destroy();
    await fake.close();
  });

  it('describes the account, default VPC and its subnets', async () => {
    const attrs = await ec2.send(new DescribeAccountAttributesCommand({ AttributeNames: ['default-vpc'] }));
    const vpcId = attrs.AccountAttributes?.[0]?.AttributeValues?.[0]?.AttributeValue;
    assert.match(vpcId ?? '', /^vpc-[0-9a-f]{17}$/);
    assert.equal(attrs.AccountAttributes?.[0]?.AttributeName, 'default-vpc');

    const vpcs = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
    assert.equal(vpcs.Vpcs?.length, 1);
    assert.equal(vpcs.Vpcs?.[0].VpcId, vpcId);
    assert.equal(vpcs.Vpcs?.[0].IsDefault, true);
    assert.equal(vpcs.Vpcs?.[0].CidrBlock, '172.31.0.0/16');
    assert.equal(vpcs.Vpcs?.[0].State, 'available');

    const subnets = await ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: ['us-east-1b'] }, { Name: 'vpc-id', Values: [vpcId!] }] }),
    );
    assert.equal(subnets.Subnets?.length, 1);
    const s = subnets.Subnets![0];
    assert.equal(s.AvailabilityZone, 'us-east-1b');
    assert.equal(s.DefaultForAz, true);
    assert.equal(s.VpcId, vpcId);
    assert.match(s.SubnetId ?? '', /^subnet-/);
    assert.equal(s.MapPublicIpOnLaunch, true);

    await rejects(ec2.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-0000000000000dead'] })), 'InvalidSubnetID.NotFound', 400);
    await rejects(ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] })), 'InvalidParameterValue', 400);
  });

  it('finds Canonical Ubuntu images by owner and name pattern', async () => {
    const out = await ec2.send(
      new DescribeImagesCommand({
        Owners: [CANONICAL],
        Filters: [
          { Name: 'name', Values: ['ubuntu/images/hvm-ssd*/ubuntu-*-*-amd64-server-*'] },
          { Name: 'architecture', Values: ['x86_64'] },
        ],
      }),
    );
    const names = (out.Images ?? []).map((i) => i.Name);
    assert.ok(names.length >= 4);
    assert.ok(names.every((n) => /amd64-server/.test(n ?? '')));
    const latest = out.Images!.find((i) => i.ImageId === LATEST_LTS_AMD64)!;
    assert.equal(latest.OwnerId, CANONICAL);
    assert.equal(latest.Architecture, 'x86_64');
    assert.equal(latest.State, 'available');
    assert.equal(latest.RootDeviceType, 'ebs');
    assert.match(latest.CreationDate ?? '', /^2025-11-12T/);
    await rejects(ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-00000000000000000'] })), 'InvalidAMIID.NotFound', 400);
    await rejects(ec2.send(new DescribeImagesCommand({ ImageIds: ['ubuntu'] })), 'InvalidAMIID.Malformed', 400);
  });

  it('imports, describes and deletes key pairs', async () => {
    const imported = await ec2.send(new ImportKeyPairCommand({ KeyName: 'm1', PublicKeyMaterial: Buffer.from(PUBLIC_KEY) }));
    assert.equal(imported.KeyName, 'm1');
    assert.match(imported.KeyPairId ?? '', /^key-/);
    assert.match(imported.KeyFingerprint ?? '', /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    assert.equal(fake.keyPairs.get('m1')?.publicKey, PUBLIC_KEY);

    const described = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['m1'] }));
    assert.equal(described.KeyPairs?.[0].KeyName, 'm1');
    assert.equal(described.KeyPairs?.[0].KeyType, 'rsa');
    assert.equal(described.KeyPairs?.[0].KeyFingerprint, imported.KeyFingerprint);

    await rejects(ec2.send(new ImportKeyPairCommand({ KeyName: 'm1', PublicKeyMaterial: Buffer.from(PUBLIC_KEY) })), 'InvalidKeyPair.Duplicate', 400);
    await rejects(ec2.send(new ImportKeyPairCommand({ KeyName: 'bad', PublicKeyMaterial: Buffer.from('not a key') })), 'InvalidKeyPair.Format', 400);
    await ec2.send(new DeleteKeyPairCommand({ KeyName: 'm1' }));
    const e = await rejects(ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['m1'] })), 'InvalidKeyPair.NotFound', 400);
    assert.equal(e.message, "The key pair 'm1' does not exist");
    // Deleting a key pair that is gone succeeds, as on EC2.
    await ec2.send(new DeleteKeyPairCommand({ KeyName: 'm1' }));
  });

  it('creates security groups, adds rules once, and refuses to delete a group in use', async () => {
    const vpcId = [...fake.vpcs.values()][0].vpcId;
    const created = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'docker-machine', Description: 'Docker Machine', VpcId: vpcId, TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'k', Value: 'v' }] }] }));
    assert.match(created.GroupId ?? '', /^sg-/);
    await rejects(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'docker-machine', Description: 'x', VpcId: vpcId })), 'InvalidGroup.Duplicate', 400);

    const rules = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: created.GroupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
          { IpProtocol: 'tcp', FromPort: 2376, ToPort: 2376, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        ],
      }),
    );
    assert.equal(rules.Return, true);
    assert.equal(rules.SecurityGroupRules?.length, 2);
    assert.equal(rules.SecurityGroupRules?.[1].FromPort, 2376);
    await rejects(
      ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: created.GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] })),
      'InvalidPermission.Duplicate',
      400,
    );

    const found = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['docker-machine'] }, { Name: 'vpc-id', Values: [vpcId] }] }));
    const g = found.SecurityGroups?.[0];
    assert.equal(g?.GroupId, created.GroupId);
    assert.equal(g?.Description, 'Docker Machine');
    assert.deepEqual(g?.IpPermissions?.map((p) => [p.IpProtocol, p.FromPort, p.ToPort, p.IpRanges?.[0]?.CidrIp]), [
      ['tcp', 22, 22, '0.0.0.0/0'],
      ['tcp', 2376, 2376, '0.0.0.0/0'],
    ]);
    assert.equal(g?.IpPermissionsEgress?.[0]?.IpProtocol, '-1');
    assert.deepEqual(g?.Tags, [{ Key: 'k', Value: 'v' }]);

    await ec2.send(new ImportKeyPairCommand({ KeyName: 'k1', PublicKeyMaterial: Buffer.from(PUBLIC_KEY) }));
    const run = await ec2.send(new RunInstancesCommand({ ImageId: LATEST_LTS_AMD64, MinCount: 1, MaxCount: 1, KeyName: 'k1', SecurityGroupIds: [created.GroupId!] }));
    await rejects(ec2.send(new DeleteSecurityGroupCommand({ GroupId: created.GroupId })), 'DependencyViolation', 400);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [run.Instances![0].InstanceId!] }));
    await waitUntilInstanceTerminated({ client: ec2, ...FAST }, { InstanceIds: [run.Instances![0].InstanceId!] });
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: created.GroupId }));
    await rejects(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [created.GroupId!] })), 'InvalidGroup.NotFound', 400);
  });

  it('runs an instance through pending, running, stopping, stopped and terminated', async () => {
    await ec2.send(new ImportKeyPairCommand({ KeyName: 'm1', PublicKeyMaterial: Buffer.from(PUBLIC_KEY) }));
    const subnet = [...fake.subnets.values()].find((s) => s.availabilityZone === 'us-east-1a')!;
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: LATEST_LTS_AMD64,
        InstanceType: 't3.small',
        MinCount: 1,
        MaxCount: 1,
        KeyName: 'm1',
        Placement: { AvailabilityZone: 'us-east-1a' },
        NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: subnet.subnetId, AssociatePublicIpAddress: true }],
        BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 16, VolumeType: 'gp2', DeleteOnTermination: true } }],
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'm1' }] }],
        UserData: Buffer.from('#!/bin/sh\n').toString('base64'),
      }),
    );
    const first = run.Instances![0];
    assert.match(first.InstanceId ?? '', /^i-[0-9a-f]{17}$/);
    assert.equal(first.State?.Name, 'pending');
    assert.equal(first.State?.Code, 0);
    assert.equal(first.PublicIpAddress, undefined);
    assert.match(first.PrivateIpAddress ?? '', /^172\.31\./);
    assert.equal(first.InstanceType, 't3.small');
    assert.equal(first.Placement?.AvailabilityZone, 'us-east-1a');
    assert.equal(first.KeyName, 'm1');
    assert.equal(first.BlockDeviceMappings?.[0]?.DeviceName, '/dev/sda1');
    assert.deepEqual(first.Tags, [{ Key: 'Name', Value: 'm1' }]);
    assert.ok(run.ReservationId?.startsWith('r-'));
    const id = first.InstanceId!;

    // Never running on the first look: the waiter must poll at least once more.
    const again = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    assert.equal(again.Reservations?.[0]?.Instances?.[0]?.State?.Name, 'pending');

    await waitUntilInstanceRunning({ client: ec2, ...FAST }, { InstanceIds: [id] });
    const running = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0];
    assert.equal(running.State?.Code, 16);
    assert.match(running.PublicIpAddress ?? '', /^198\.51\.100\./);
    assert.match(running.PublicDnsName ?? '', /^ec2-198-51-100-/);
    assert.equal(running.SecurityGroups?.[0]?.GroupName, 'default');
    assert.equal(running.NetworkInterfaces?.[0]?.Association?.PublicIp, running.PublicIpAddress);
    assert.ok(running.LaunchTime instanceof Date);

    const status = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id] }));
    assert.equal(status.InstanceStatuses?.[0]?.InstanceStatus?.Status, 'ok');

    await ec2.send(new RebootInstancesCommand({ InstanceIds: [id] }));

    const stop = await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    assert.deepEqual([stop.StoppingInstances?.[0]?.PreviousState?.Name, stop.StoppingInstances?.[0]?.CurrentState?.Name], ['running', 'stopping']);
    await waitUntilInstanceStopped({ client: ec2, ...FAST }, { InstanceIds: [id] });
    const stopped = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0];
    assert.equal(stopped.State?.Code, 80);
    assert.equal(stopped.PublicIpAddress, undefined);
    await rejects(ec2.send(new RebootInstancesCommand({ InstanceIds: [id] })), 'IncorrectInstanceState', 400);

    const start = await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    assert.deepEqual([start.StartingInstances?.[0]?.PreviousState?.Name, start.StartingInstances?.[0]?.CurrentState?.Name], ['stopped', 'pending']);
    await waitUntilInstanceRunning({ client: ec2, ...FAST }, { InstanceIds: [id] });
    const restarted = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0];
    assert.notEqual(restarted.PublicIpAddress, running.PublicIpAddress, 'a stopped and started instance gets a new public address');

    const term = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    assert.equal(term.TerminatingInstances?.[0]?.CurrentState?.Name, 'shutting-down');
    assert.equal(term.TerminatingInstances?.[0]?.CurrentState?.Code, 32);
    await waitUntilInstanceTerminated({ client: ec2, ...FAST }, { InstanceIds: [id] });
    assert.equal(fake.liveInstances().length, 0);

    await rejects(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0000000000000dead'] })), 'InvalidInstanceID.NotFound', 400);
    await rejects(ec2.send(new StopInstancesCommand({ InstanceIds: ['nonsense'] })), 'InvalidInstanceID.Malformed', 400);
  });

  it('rejects launches with a missing AMI or key pair', async () => {
    await rejects(ec2.send(new RunInstancesCommand({ ImageId: 'ami-00000000000000bad', MinCount: 1, MaxCount: 1 })), 'InvalidAMIID.NotFound', 400);
    await rejects(ec2.send(new RunInstancesCommand({ ImageId: LATEST_LTS_AMD64, MinCount: 1, MaxCount: 1, KeyName: 'nope' })), 'InvalidKeyPair.NotFound', 400);
    assert.equal(fake.instances.size, 0);
  });

  it('answers the same launch for a repeated client token', async () => {
    const input = { ImageId: LATEST_LTS_AMD64, MinCount: 1, MaxCount: 1, ClientToken: 'tok-1' };
    const a = await ec2.send(new RunInstancesCommand(input));
    const b = await ec2.send(new RunInstancesCommand(input));
    assert.equal(a.Instances?.[0]?.InstanceId, b.Instances?.[0]?.InstanceId);
    assert.equal(fake.instances.size, 1);
    const found = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'client-token', Values: ['tok-1'] }] }));
    assert.equal(found.Reservations?.[0]?.Instances?.[0]?.InstanceId, a.Instances?.[0]?.InstanceId);
  });

  it('filters and paginates DescribeInstances with MaxResults and NextToken', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 7; n++) {
      const run = await ec2.send(
        new RunInstancesCommand({ ImageId: LATEST_LTS_AMD64, MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: `n${n}` }] }] }),
      );
      ids.push(run.Instances![0].InstanceId!);
    }
    await ec2.send(new CreateTagsCommand({ Resources: [ids[3]], Tags: [{ Key: 'role', Value: 'web' }] }));

    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 5 }, {})) {
      pages++;
      for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) seen.push(i.InstanceId!);
    }
    assert.equal(pages, 2);
    assert.deepEqual(seen.sort(), [...ids].sort());

    const byTag = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:role', Values: ['web'] }] }));
    assert.deepEqual(byTag.Reservations?.flatMap((r) => r.Instances?.map((i) => i.InstanceId)), [ids[3]]);
    const byWildcard = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: ['n[5]', 'n6*'] }, { Name: 'instance-state-name', Values: ['pending', 'running'] }] }));
    assert.deepEqual(byWildcard.Reservations?.flatMap((r) => r.Instances?.map((i) => i.InstanceId)), [ids[6]]);

    await rejects(ec2.send(new DescribeInstancesCommand({ InstanceIds: [ids[0]], MaxResults: 5 })), 'InvalidParameterCombination', 400);
    await rejects(ec2.send(new DescribeInstancesCommand({ MaxResults: 2 })), 'InvalidParameterValue', 400);
    await rejects(ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'bogus', Values: ['1'] }] })), 'InvalidParameterValue', 400);
  });

  it('fulfils, describes and cancels spot requests', async () => {
    const req = await ec2.send(
      new RequestSpotInstancesCommand({ SpotPrice: '0.50', InstanceCount: 1, LaunchSpecification: { ImageId: LATEST_LTS_AMD64, InstanceType: 't3.micro', Placement: { AvailabilityZone: 'us-east-1a' } } }),
    );
    const r = req.SpotInstanceRequests![0];
    assert.match(r.SpotInstanceRequestId ?? '', /^sir-[0-9a-f]{8}$/);
    assert.equal(r.State, 'open');
    assert.equal(r.Status?.Code, 'pending-evaluation');
    assert.equal(r.SpotPrice, '0.500000');
    assert.equal(r.LaunchSpecification?.ImageId, LATEST_LTS_AMD64);

    const ids = { SpotInstanceRequestIds: [r.SpotInstanceRequestId!] };
    await waitUntilSpotInstanceRequestFulfilled({ client: ec2, ...FAST }, ids);
    const d = (await ec2.send(new DescribeSpotInstanceRequestsCommand(ids))).SpotInstanceRequests![0];
    assert.equal(d.State, 'active');
    assert.equal(d.Status?.Code, 'fulfilled');
    assert.match(d.InstanceId ?? '', /^i-/);
    const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [d.InstanceId!] }))).Reservations![0].Instances![0];
    assert.equal(instance.InstanceLifecycle, 'spot');
    assert.equal(instance.SpotInstanceRequestId, r.SpotInstanceRequestId);

    const c = await ec2.send(new CancelSpotInstanceRequestsCommand(ids));
    assert.equal(c.CancelledSpotInstanceRequests?.[0]?.State, 'cancelled');
    const after = (await ec2.send(new DescribeSpotInstanceRequestsCommand(ids))).SpotInstanceRequests![0];
    assert.equal(after.Status?.Code, 'request-canceled-and-instance-running');
    await rejects(ec2.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: ['sir-00000000'] })), 'InvalidSpotInstanceRequestID.NotFound', 400);
  });

  it('verifies SigV4: wrong secret, unknown key, missing signature, wrong region, tampered body', async () => {
    const wrong = client(fake, { credentials: { accessKeyId: KEY, secretAccessKey: 'not-the-secret' } });
    const e = await rejects(wrong.send(new DescribeVpcsCommand({})), 'SignatureDoesNotMatch', 403);
    assert.match(e.message, /signature we calculated does not match/);
    assert.equal((e as { $fault?: string }).$fault, 'client');
    wrong.destroy();

    const unknown = client(fake, { credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: SECRET } });
    await rejects(unknown.send(new DescribeVpcsCommand({})), 'AuthFailure', 401);
    unknown.destroy();

    const otherRegion = client(fake, { region: 'eu-west-1' });
    await rejects(otherRegion.send(new DescribeVpcsCommand({})), 'AuthFailure', 401);
    otherRegion.destroy();

    const unsigned = await rawPost(fake, 'Action=DescribeVpcs&Version=2016-11-15');
    assert.equal(unsigned.status, 401);
    assert.match(unsigned.body, /<Code>AuthFailure<\/Code>/);

    const ok = await signedPost(fake, 'Action=DescribeVpcs&Version=2016-11-15');
    assert.equal(ok.status, 200);
    const tamperedHeaders = await (async () => {
      const url = new URL(fake.url);
      const signer = new SignatureV4({ service: 'ec2', region: 'us-east-1', sha256: Sha256, credentials: { accessKeyId: KEY, secretAccessKey: SECRET } });
      return (
        await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', query: {}, headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=DescribeVpcs&Version=2016-11-15' })
      ).headers as Record<string, string>;
    })();
    const tampered = await rawPost(fake, 'Action=DescribeKeyPairs&Version=2016-11-15', tamperedHeaders);
    assert.equal(tampered.status, 403);
    assert.match(tampered.body, /<Code>SignatureDoesNotMatch<\/Code>/);
  });

  it('requires the session token that goes with temporary credentials', async () => {
    await fake.close();
    fake = await startFakeEc2({ credentials: { ASIATEMP: { secretAccessKey: 's3cret', sessionToken: 'tok' } } });
    const good = client(fake, { credentials: { accessKeyId: 'ASIATEMP', secretAccessKey: 's3cret', sessionToken: 'tok' } });
    await good.send(new DescribeVpcsCommand({}));
    good.destroy();
    const bad = client(fake, { credentials: { accessKeyId: 'ASIATEMP', secretAccessKey: 's3cret', sessionToken: 'other' } });
    await rejects(bad.send(new DescribeVpcsCommand({})), 'AuthFailure', 401);
    bad.destroy();
  });

  it('writes EC2 documents: namespace, request id, error envelope, unknown actions, dry runs', async () => {
    const ok = await signedPost(fake, 'Action=DescribeKeyPairs&Version=2016-11-15');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['content-type'], 'text/xml;charset=UTF-8');
    assert.match(ok.body, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<DescribeKeyPairsResponse xmlns="http:\/\/ec2\.amazonaws\.com\/doc\/2016-11-15\/"><requestId>[0-9a-f-]{36}<\/requestId><keySet\/><\/DescribeKeyPairsResponse>$/);

    const bad = await signedPost(fake, 'Action=DescribeKeyPairs&Version=2016-11-15&KeyName.1=nope');
    assert.equal(bad.status, 400);
    const rid = bad.headers['x-amzn-requestid'];
    assert.match(String(rid), /^[0-9a-f-]{36}$/);
    assert.equal(
      bad.body,
      `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>InvalidKeyPair.NotFound</Code><Message>The key pair &apos;nope&apos; does not exist</Message></Error></Errors><RequestID>${rid}</RequestID></Response>`,
    );

    const unknown = await signedPost(fake, 'Action=LaunchRockets&Version=2016-11-15');
    assert.equal(unknown.status, 400);
    assert.match(unknown.body, /<Code>InvalidAction<\/Code>/);

    const noVersion = await signedPost(fake, 'Action=DescribeVpcs');
    assert.equal(noVersion.status, 400);
    assert.match(noVersion.body, /<Code>MissingParameter<\/Code>/);

    await rejects(ec2.send(new RunInstancesCommand({ ImageId: LATEST_LTS_AMD64, MinCount: 1, MaxCount: 1, DryRun: true })), 'DryRunOperation', 412);
    assert.equal(fake.instances.size, 0);
  });

  it('injects throttling, server errors and capacity errors; the SDK retries the transient ones', async () => {
    fake.faults.inject(ec2Fault('RequestLimitExceeded'), { operation: 'DescribeVpcs', times: 2 });
    const retrying = client(fake, { maxAttempts: 4 });
    const out = await retrying.send(new DescribeVpcsCommand({}));
    assert.equal(out.Vpcs?.length, 1);
    assert.equal(out.$metadata.attempts, 3);
    assert.deepEqual(fake.requests.filter((r) => r.label === 'DescribeVpcs').map((r) => r.status), [503, 503, 200]);

    fake.faults.inject(ec2Fault('InternalError'), { operation: 'DescribeSubnets', times: 1 });
    const subnets = await retrying.send(new DescribeSubnetsCommand({}));
    assert.equal(subnets.$metadata.attempts, 2);
    retrying.destroy();

    fake.faults.inject(ec2Fault('InsufficientInstanceCapacity'), { operation: 'RunInstances', times: 1 });
    const e = await rejects(ec2.send(new RunInstancesCommand({ ImageId: LATEST_LTS_AMD64, MinCount: 1, MaxCount: 1 })), 'InsufficientInstanceCapacity', 500);
    assert.match(e.message, /sufficient capacity/);
    assert.equal(fake.instances.size, 0);

    fake.faults.inject(ec2Fault('RequestLimitExceeded'), { times: 1 });
    await rejects(ec2.send(new DescribeKeyPairsCommand({})), 'RequestLimitExceeded', 503);
  });
});
