// The amazonec2 driver as the core runs it: a separate process launched
// through the driver SDK, talking to the local EC2 endpoint. Instances here
// have addresses only; test/src/e2e/amazonec2.test.ts uses real hosts.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchDriver, isDriverCallError, type DriverClient, type DriverCallError, type MachineRef, type JsonObject, type FlagValues } from '@machine/driver-sdk';
import { startFakeEc2, ec2Fault, LATEST_LTS_AMD64, LATEST_LTS_ARM64, type FakeEc2 } from '../fakes/ec2';
import { ACCESS_KEY, DRIVER_BIN, SECRET_KEY, cleanAwsEnv, endpointFlags, tempDir } from '../fakes/ec2/harness';

const SSH_RSA = /^ssh-rsa AAAA[A-Za-z0-9+/]+=* /;

async function until(check: () => boolean): Promise<void> {
  for (let n = 0; n < 200 && !check(); n++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(check(), 'timed out');
}

async function expectError(p: Promise<unknown>): Promise<DriverCallError> {
  try {
    await p;
  } catch (err) {
    if (isDriverCallError(err)) return err;
    throw err;
  }
  assert.fail('expected the driver call to fail');
}

describe('amazonec2 driver against the local EC2 endpoint', function () {
  this.timeout(60000);
  let fake: FakeEc2;
  let driver: DriverClient;
  let home: string;
  let store: string;

  const machine = (name: string): MachineRef => {
    const machineDir = path.join(store, 'machines', name);
    fs.mkdirSync(machineDir, { recursive: true });
    return { name, storePath: store, machineDir };
  };

  async function create(name: string, flags: FlagValues = {}): Promise<{ ref: MachineRef; state: JsonObject; progress: string[] }> {
    const ref = machine(name);
    const configured = await driver.configure(ref, endpointFlags(fake, flags));
    const call = { machine: ref, state: configured.state, stateVersion: configured.stateVersion };
    await driver.preCreateCheck(call);
    const progress: string[] = [];
    const out = await driver.create(call, { onProgress: (m) => progress.push(m) });
    assert.ok(out.state, 'create returns the new state');
    return { ref, state: out.state, progress };
  }

  const call = (ref: MachineRef, state: JsonObject) => ({ machine: ref, state, stateVersion: 1 });

  before(async () => {
    home = tempDir('ec2-home-');
    store = tempDir('ec2-store-');
    driver = await launchDriver({ name: 'amazonec2', path: DRIVER_BIN, env: cleanAwsEnv(home) });
  });
  after(async () => {
    await driver?.close();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(store, { recursive: true, force: true });
  });
  beforeEach(async () => {
    fake = await startFakeEc2({ timings: { pendingMs: 150, stoppingMs: 80, shuttingDownMs: 80, spotFulfilMs: 150 } });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('declares every reference flag with its default and environment variable', async () => {
    const schema = await driver.schema();
    const byName = new Map(schema.map((f) => [f.name, f]));
    const expect: [string, unknown, string | undefined][] = [
      ['amazonec2-access-key', undefined, 'AWS_ACCESS_KEY_ID'],
      ['amazonec2-secret-key', undefined, 'AWS_SECRET_ACCESS_KEY'],
      ['amazonec2-session-token', undefined, 'AWS_SESSION_TOKEN'],
      ['amazonec2-ami', undefined, 'AWS_AMI'],
      ['amazonec2-region', 'us-east-1', 'AWS_DEFAULT_REGION'],
      ['amazonec2-vpc-id', undefined, 'AWS_VPC_ID'],
      ['amazonec2-zone', 'a', 'AWS_ZONE'],
      ['amazonec2-subnet-id', undefined, 'AWS_SUBNET_ID'],
      ['amazonec2-security-group-readonly', false, 'AWS_SECURITY_GROUP_READONLY'],
      ['amazonec2-security-group', ['docker-machine'], 'AWS_SECURITY_GROUP'],
      ['amazonec2-open-port', undefined, undefined],
      ['amazonec2-tags', undefined, 'AWS_TAGS'],
      ['amazonec2-instance-type', 't2.micro', 'AWS_INSTANCE_TYPE'],
      ['amazonec2-device-name', '/dev/sda1', 'AWS_DEVICE_NAME'],
      ['amazonec2-root-size', 16, 'AWS_ROOT_SIZE'],
      ['amazonec2-volume-type', 'gp2', 'AWS_VOLUME_TYPE'],
      ['amazonec2-iam-instance-profile', undefined, 'AWS_INSTANCE_PROFILE'],
      ['amazonec2-ssh-port', 22, 'AWS_SSH_PORT'],
      ['amazonec2-ssh-user', 'ubuntu', 'AWS_SSH_USER'],
      ['amazonec2-request-spot-instance', false, undefined],
      ['amazonec2-spot-price', '0.50', undefined],
      ['amazonec2-block-duration-minutes', 0, undefined],
      ['amazonec2-private-address-only', false, undefined],
      ['amazonec2-use-private-address', false, undefined],
      ['amazonec2-monitoring', false, undefined],
      ['amazonec2-use-ebs-optimized-instance', false, undefined],
      ['amazonec2-ssh-keypath', undefined, 'AWS_SSH_KEYPATH'],
      ['amazonec2-keypair-name', undefined, 'AWS_KEYPAIR_NAME'],
      ['amazonec2-retries', 5, undefined],
      ['amazonec2-endpoint', undefined, 'AWS_ENDPOINT'],
      ['amazonec2-insecure-transport', false, 'AWS_INSECURE_TRANSPORT'],
      ['amazonec2-userdata', undefined, 'AWS_USERDATA'],
      ['amazonec2-profile', undefined, undefined],
    ];
    for (const [name, def, env] of expect) {
      const f = byName.get(name);
      assert.ok(f, `flag ${name}`);
      assert.deepEqual(f.default, def, `default of ${name}`);
      assert.equal(f.envVar, env, `env var of ${name}`);
    }
    assert.equal(byName.get('amazonec2-secret-key')?.sensitive, true);
    assert.equal(schema.length, expect.length);
  });

  it('upgrades a machine stored by the reference driver and can then remove it', async () => {
    const ec2 = new (await import('@aws-sdk/client-ec2')).EC2Client({ region: 'us-east-1', endpoint: fake.url, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY } });
    const m = await import('@aws-sdk/client-ec2');
    await ec2.send(new m.ImportKeyPairCommand({ KeyName: 'legacy', PublicKeyMaterial: Buffer.from('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC legacy') }));
    const group = await ec2.send(new m.CreateSecurityGroupCommand({ GroupName: 'docker-machine', Description: 'Docker Machine' }));
    const run = await ec2.send(new m.RunInstancesCommand({ ImageId: LATEST_LTS_AMD64, MinCount: 1, MaxCount: 1, KeyName: 'legacy', SecurityGroupIds: [group.GroupId!] }));
    ec2.destroy();
    const ref = machine('legacy');
    // Field names and nulls as the reference wrote them to config.json.
    const stored = {
      IPAddress: '', MachineName: 'legacy', SSHUser: 'ubuntu', SSHPort: 22, SSHKeyPath: path.join(ref.machineDir, 'id_rsa'), StorePath: store,
      SwarmMaster: false, SwarmHost: '', SwarmDiscovery: '', Id: 'abc', AccessKey: ACCESS_KEY, SecretKey: SECRET_KEY, SessionToken: '',
      Region: 'us-east-1', AMI: LATEST_LTS_AMD64, SSHKeyID: 0, ExistingKey: false, KeyName: 'legacy', InstanceId: run.Instances![0].InstanceId!,
      InstanceType: 't2.micro', PrivateIPAddress: '', SecurityGroupId: group.GroupId!, SecurityGroupIds: null, SecurityGroupName: 'docker-machine',
      SecurityGroupNames: null, SecurityGroupReadOnly: false, OpenPorts: null, Tags: '', ReservationId: '', DeviceName: '/dev/sda1', RootSize: 16,
      VolumeType: 'gp2', IamInstanceProfile: '', VpcId: '', SubnetId: '', Zone: 'a', RequestSpotInstance: false, SpotPrice: '0.50',
      BlockDurationMinutes: 0, PrivateIPOnly: false, UsePrivateIP: false, UseEbsOptimizedInstance: false, Monitoring: false,
      SSHPrivateKeyPath: '', RetryCount: 5, Endpoint: fake.url, DisableSSL: false, UserDataFile: '',
    };
    // Hosts hand version-0 state to every call as it is.
    const upgraded = await driver.upgradeState({ machine: ref, state: stored, stateVersion: 0 });
    assert.deepEqual(upgraded.state, stored);
    await until(() => fake.instances.get(stored.InstanceId)?.state === 'running');
    assert.equal(await driver.getState(call(ref, stored)), 'Running');
    assert.equal((await driver.describe(call(ref, stored))).state, 'Running');
    await driver.remove(call(ref, stored));
    // The endpoint may already have finished terminating it when the machine is busy.
    assert.ok(['shutting-down', 'terminated'].includes(fake.instances.get(stored.InstanceId)?.state ?? ''), 'the instance is being terminated');
    assert.ok(!fake.keyPairs.has('legacy'), 'the reference imported it, so it goes');
    assert.ok(fake.securityGroups.has(group.GroupId!), 'a group without our tag that the reference made is kept');
  });

  it('logs every EC2 request at debug level, for --debug', async () => {
    const entries: { level: string; message: string; fields: Record<string, unknown> }[] = [];
    const logged = await launchDriver({ name: 'amazonec2', path: DRIVER_BIN, env: cleanAwsEnv(home), onLog: (e) => entries.push(e) });
    try {
      const ref = machine('logged');
      const configured = await logged.configure(ref, endpointFlags(fake));
      await logged.preCreateCheck({ machine: ref, state: configured.state, stateVersion: configured.stateVersion });
      const requests = entries.filter((e) => e.message === 'EC2 request');
      assert.ok(requests.length >= 2, JSON.stringify(entries));
      assert.equal(requests[0].level, 'debug');
      assert.equal(requests[0].fields.action, 'DescribeAccountAttributesCommand');
      assert.ok(!JSON.stringify(entries).includes(SECRET_KEY), 'no secret in the logs');
    } finally {
      await logged.close();
    }
  });

  it('rejects inconsistent flags naming the flag to fix, without calling AWS', async () => {
    const cases: [FlagValues, string][] = [
      [{ 'amazonec2-access-key': 'AKID' }, 'amazonec2-secret-key'],
      [{ 'amazonec2-keypair-name': 'k' }, 'amazonec2-ssh-keypath'],
      [{ 'amazonec2-open-port': ['80/icmp'] }, 'amazonec2-open-port'],
      [{ 'amazonec2-tags': 'a,b,c' }, 'amazonec2-tags'],
      [{ 'amazonec2-block-duration-minutes': 45 }, 'amazonec2-block-duration-minutes'],
      [{ 'amazonec2-region': 'mars' }, 'amazonec2-region'],
    ];
    for (const [flags, flag] of cases) {
      const e = await expectError(driver.configure(machine('bad'), flags));
      assert.equal(e.code, 'invalid-argument', e.message);
      assert.equal(e.flag, flag, e.message);
    }
    assert.equal(fake.requests.length, 0);
  });

  it('creates, stops, starts, restarts, kills and removes a machine, leaving nothing behind', async () => {
    const { ref, state, progress } = await create('m1', { 'amazonec2-open-port': ['8080', '53/udp'], 'amazonec2-tags': 'team,infra,env,test' });
    assert.ok(progress.some((m) => /running/.test(m)), progress.join('\n'));

    // Default AMI: the newest Ubuntu LTS build for x86_64.
    assert.equal(state.AMI, LATEST_LTS_AMD64);
    const instance = fake.instances.get(String(state.InstanceId))!;
    assert.ok(instance, 'the instance exists on the endpoint');
    assert.equal(instance.imageId, LATEST_LTS_AMD64);
    assert.equal(instance.instanceType, 't2.micro');
    assert.equal(instance.availabilityZone, 'us-east-1a');
    assert.equal(instance.keyName, 'm1');
    assert.deepEqual([...instance.tags], [['Name', 'm1'], ['team', 'infra'], ['env', 'test'], ['machine:create-token', state.CreateToken]]);
    assert.deepEqual(instance.blockDevices.map((b) => [b.deviceName, b.volumeSize, b.volumeType, b.deleteOnTermination]), [['/dev/sda1', 16, 'gp2', true]]);
    assert.equal(state.IPAddress, instance.publicIp);

    // The key pair holds the public half of the machine's own key.
    const pub = fs.readFileSync(path.join(ref.machineDir, 'id_rsa.pub'), 'utf8').trim();
    assert.match(pub, SSH_RSA);
    assert.equal(fake.keyPairs.get('m1')?.publicKey, pub);
    assert.equal(fs.statSync(path.join(ref.machineDir, 'id_rsa')).mode & 0o777, 0o600);

    const group = [...fake.securityGroups.values()].find((g) => g.groupName === 'docker-machine')!;
    assert.deepEqual(instance.groupIds, [group.groupId]);
    assert.deepEqual(group.ingress.map((r) => `${r.fromPort}/${r.protocol}`).sort(), ['22/tcp', '2376/tcp', '53/udp', '8080/tcp']);

    assert.equal(await driver.getState(call(ref, state)), 'Running');
    assert.equal(await driver.getIP(call(ref, state)), instance.publicIp);
    assert.equal(await driver.getURL(call(ref, state)), `tcp://${instance.publicIp}:2376`);
    assert.deepEqual(await driver.getSSHInfo(call(ref, state)), { host: instance.publicIp, port: 22, user: 'ubuntu', keyPath: path.join(ref.machineDir, 'id_rsa') });
    const described = await driver.describe(call(ref, state));
    assert.equal(described.state, 'Running');
    assert.equal(described.ip, instance.publicIp);

    const stopped = await driver.stop(call(ref, state));
    const afterStop = stopped.state ?? state;
    assert.equal(await driver.getState(call(ref, afterStop)), 'Stopped');
    assert.equal(await driver.getURL(call(ref, afterStop)), '');

    const oldIp = instance.publicIp ?? state.IPAddress;
    const started = await driver.start(call(ref, afterStop));
    assert.ok(started.state);
    assert.equal(await driver.getState(call(ref, started.state)), 'Running');
    assert.notEqual(started.state.IPAddress, oldIp, 'a new public address after stop and start');
    assert.equal(await driver.getIP(call(ref, started.state)), started.state.IPAddress);

    await driver.restart(call(ref, started.state));
    assert.ok(fake.actions().includes('RebootInstances'));
    assert.equal(await driver.getState(call(ref, started.state)), 'Running');

    await driver.kill(call(ref, started.state));
    assert.ok(fake.requests.some((r) => r.label === 'StopInstances'));
    assert.equal(await driver.getState(call(ref, started.state)), 'Stopped');

    await driver.remove(call(ref, started.state));
    assert.equal(fake.liveInstances().length, 0);
    assert.equal(fake.keyPairs.size, 0);
    assert.ok(![...fake.securityGroups.values()].some((g) => g.groupName === 'docker-machine'), 'the security group machine created is gone');

    // Removing again succeeds: everything is already gone.
    await driver.remove(call(ref, started.state));
    const gone = await expectError(driver.getState(call(ref, { ...started.state, InstanceId: 'i-0000000000000dead' })));
    assert.equal(gone.code, 'not-found');
  });

  it('keeps a shared security group until the last machine using it is removed', async () => {
    const a = await create('share-a');
    const b = await create('share-b');
    const groups = [...fake.securityGroups.values()].filter((g) => g.groupName === 'docker-machine');
    assert.equal(groups.length, 1, 'the second machine reuses the group');
    assert.equal(fake.actions().filter((x) => x === 'CreateSecurityGroup').length, 1);
    assert.equal(fake.actions().filter((x) => x === 'AuthorizeSecurityGroupIngress').length, 1, 'rules already present are not added again');

    await driver.remove(call(a.ref, a.state));
    assert.ok(fake.securityGroups.has(groups[0].groupId), 'still used by share-b');
    await driver.remove(call(b.ref, b.state));
    assert.ok(!fake.securityGroups.has(groups[0].groupId), 'deleted with the last user, although share-b did not create it');
    assert.equal(fake.keyPairs.size, 0);
  });

  it('warns when only the security group cannot be deleted, and fails when the instance cannot be terminated', async () => {
    const { ref, state } = await create('stubborn');
    fake.faults.inject(ec2Fault('UnauthorizedOperation'), { operation: 'TerminateInstances', times: 1 });
    const e = await expectError(driver.remove(call(ref, state)));
    assert.match(e.summary, /could not remove everything.*terminate instance.*UnauthorizedOperation/);
    assert.ok(fake.instances.get(String(state.InstanceId))?.state === 'running', 'still there for another rm');

    fake.faults.inject(ec2Fault('UnauthorizedOperation'), { operation: 'DeleteSecurityGroup', times: 1 });
    const out = await driver.remove(call(ref, state));
    assert.equal(out.warnings.length, 1);
    assert.match(out.warnings[0].summary, /security group is left/);
    assert.equal(fake.liveInstances().length, 0);
    assert.equal(fake.keyPairs.size, 0);
    // The next rm of any machine, or this one again, finishes the job.
    await driver.remove(call(ref, state));
    assert.deepEqual([...fake.securityGroups.values()].map((g) => g.groupName), ['default']);
  });

  it('never deletes a security group it did not create', async () => {
    const vpcId = [...fake.vpcs.values()][0].vpcId;
    const { ref, state } = await create('own-group', { 'amazonec2-security-group': ['default'], 'amazonec2-vpc-id': vpcId });
    const group = [...fake.securityGroups.values()].find((g) => g.groupName === 'default' && g.vpcId === vpcId)!;
    assert.deepEqual(fake.instances.get(String(state.InstanceId))?.groupIds, [group.groupId]);
    await driver.remove(call(ref, state));
    assert.ok(fake.securityGroups.has(group.groupId));
    assert.ok(!fake.actions().includes('DescribeAccountAttributes'), 'with --amazonec2-vpc-id there is no default-VPC lookup');
  });

  it('creates on a spot instance and cancels the request on remove', async () => {
    const { ref, state } = await create('spot', { 'amazonec2-request-spot-instance': true, 'amazonec2-spot-price': '0.25' });
    const request = fake.spotRequests.get(String(state.SpotInstanceRequestId))!;
    assert.ok(request);
    assert.equal(request.spotPrice, '0.25');
    assert.equal(request.instanceId, state.InstanceId);
    const instance = fake.instances.get(String(state.InstanceId))!;
    assert.equal(instance.tags.get('Name'), 'spot');
    assert.equal(await driver.getState(call(ref, state)), 'Running');
    await driver.remove(call(ref, state));
    assert.equal(request.state, 'cancelled');
    assert.equal(fake.liveInstances().length, 0);
    assert.equal(fake.keyPairs.size, 0);
  });

  it('uses an existing key pair with its private key, and leaves the key pair on remove', async () => {
    const keys = tempDir('ec2-key-');
    const { generateSSHKeyPair } = await import('@machine/driver-amazonec2');
    const pair = await generateSSHKeyPair('mine');
    fs.writeFileSync(path.join(keys, 'mine'), pair.privateKey, { mode: 0o600 });
    fs.writeFileSync(path.join(keys, 'mine.pub'), pair.publicKey);
    const seed = new (await import('@aws-sdk/client-ec2')).EC2Client({ region: 'us-east-1', endpoint: fake.url, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY } });
    const { ImportKeyPairCommand } = await import('@aws-sdk/client-ec2');
    await seed.send(new ImportKeyPairCommand({ KeyName: 'mine', PublicKeyMaterial: Buffer.from(pair.publicKey) }));
    seed.destroy();

    const { ref, state } = await create('existing', { 'amazonec2-keypair-name': 'mine', 'amazonec2-ssh-keypath': path.join(keys, 'mine') });
    assert.equal(fake.instances.get(String(state.InstanceId))?.keyName, 'mine');
    assert.equal(fs.readFileSync(path.join(ref.machineDir, 'id_rsa'), 'utf8'), pair.privateKey);
    assert.equal(fake.actions().filter((a) => a === 'ImportKeyPair').length, 1, 'only the test imported a key');
    await driver.remove(call(ref, state));
    assert.ok(fake.keyPairs.has('mine'), 'a key pair the user brought is never deleted');
    fs.rmSync(keys, { recursive: true, force: true });

    const missing = await expectError(driver.preCreateCheck(call(machine('x'), (await driver.configure(machine('x'), endpointFlags(fake, { 'amazonec2-keypair-name': 'nope', 'amazonec2-ssh-keypath': '/etc/hostname' }))).state)));
    assert.equal(missing.flag, 'amazonec2-keypair-name');
  });

  it('creates a machine with only a private address and reports that address', async () => {
    const { ref, state } = await create('private', { 'amazonec2-private-address-only': true });
    const instance = fake.instances.get(String(state.InstanceId))!;
    assert.equal(instance.publicIp, undefined);
    assert.equal(instance.wantsPublicIp, false);
    assert.equal(await driver.getIP(call(ref, state)), instance.privateIp);
    assert.equal(state.PrivateIPAddress, instance.privateIp);
    await driver.remove(call(ref, state));
  });

  it('picks the arm64 LTS image for Graviton instance types, in the zone and subnet asked for', async () => {
    const extra = fake.addVpc('10.1.0.0/16', ['b']);
    const { ref, state } = await create('arm', { 'amazonec2-instance-type': 't4g.small', 'amazonec2-zone': 'b', 'amazonec2-vpc-id': extra.vpc.vpcId });
    assert.equal(state.AMI, LATEST_LTS_ARM64);
    assert.equal(state.SubnetId, extra.subnets[0].subnetId);
    assert.equal(fake.instances.get(String(state.InstanceId))?.availabilityZone, 'us-east-1b');
    await driver.remove(call(ref, state));
    assert.equal(fake.securityGroups.size, 2, 'only the two VPCs\' default groups remain');
  });

  it('takes credentials from a profile in the shared files', async () => {
    const profileHome = tempDir('ec2-profile-');
    fs.mkdirSync(path.join(profileHome, '.aws'));
    fs.writeFileSync(path.join(profileHome, '.aws', 'credentials'), `[dm]\naws_access_key_id = ${ACCESS_KEY}\naws_secret_access_key = ${SECRET_KEY}\n`);
    fs.writeFileSync(path.join(profileHome, '.aws', 'config'), '[profile dm]\nregion = us-east-1\n');
    const other = await launchDriver({ name: 'amazonec2', path: DRIVER_BIN, env: cleanAwsEnv(profileHome) });
    try {
      const ref = machine('profiled');
      const configured = await other.configure(ref, { 'amazonec2-endpoint': fake.url, 'amazonec2-profile': 'dm' });
      assert.equal(configured.state.SecretKey, undefined, 'no secret lands in the state');
      const c = { machine: ref, state: configured.state, stateVersion: configured.stateVersion };
      await other.preCreateCheck(c);
      const created = await other.create(c);
      assert.equal(await other.getState({ ...c, state: created.state! }), 'Running');
      await other.remove({ ...c, state: created.state! });

      const missing = await expectError(other.preCreateCheck({ ...c, state: { ...configured.state, Profile: 'absent' } }));
      assert.equal(missing.code, 'unauthenticated');
      assert.equal(missing.flag, 'amazonec2-profile');
    } finally {
      await other.close();
      fs.rmSync(profileHome, { recursive: true, force: true });
    }
  });

  it('fails at the first call with a wrong secret key, naming the flag', async () => {
    const ref = machine('wrong');
    const configured = await driver.configure(ref, endpointFlags(fake, { 'amazonec2-secret-key': 'wrong' }));
    const e = await expectError(driver.preCreateCheck({ machine: ref, state: configured.state, stateVersion: configured.stateVersion }));
    assert.equal(e.code, 'unauthenticated');
    assert.equal(e.flag, 'amazonec2-secret-key');
    assert.match(e.summary, /secret key/);
    assert.ok(!e.summary.includes('\n'), 'one line');
    assert.equal(fake.requests.length, 1, 'no retries of a signature error');
    assert.equal(fake.requests[0].error, 'SignatureDoesNotMatch');
  });

  it('explains missing credentials', async () => {
    const ref = machine('nocreds');
    const configured = await driver.configure(ref, { 'amazonec2-endpoint': fake.url });
    const e = await expectError(driver.preCreateCheck({ machine: ref, state: configured.state, stateVersion: configured.stateVersion }));
    assert.equal(e.code, 'unauthenticated');
    assert.match(e.summary, /--amazonec2-access-key/);
  });

  it('names --amazonec2-ami for an AMI that does not exist', async () => {
    const ref = machine('badami');
    const configured = await driver.configure(ref, endpointFlags(fake, { 'amazonec2-ami': 'ami-00000000000000bad' }));
    const e = await expectError(driver.preCreateCheck({ machine: ref, state: configured.state, stateVersion: configured.stateVersion }));
    assert.equal(e.flag, 'amazonec2-ami');
    assert.match(e.summary, /ami-00000000000000bad/);
  });

  it('waits out eventual consistency: a new instance unknown for a while', async () => {
    fake.timings.visibilityMs = 400;
    const { ref, state } = await create('eventual', { 'amazonec2-request-spot-instance': true });
    assert.ok(fake.requests.some((r) => r.error === 'InvalidInstanceID.NotFound'), 'the endpoint did answer NotFound at first');
    assert.equal(await driver.getState(call(ref, state)), 'Running');
    await driver.remove(call(ref, state));
    assert.equal(fake.liveInstances().length, 0);
  });

  it('opens no Swarm classic port, whatever legacy swarm values reach it', async () => {
    const { ref, state } = await create('swarm', { 'swarm-master': true, 'swarm-host': 'tcp://0.0.0.0:3377' });
    const group = [...fake.securityGroups.values()].find((g) => g.groupName === 'docker-machine')!;
    assert.deepEqual(group.ingress.map((r) => r.fromPort).sort(), [22, 2376]);
    await driver.remove(call(ref, state));
  });

  it('opens the swarm-mode ports for a swarm node, in a new group and in one that lacks them', async () => {
    const rules = (): string[] => {
      const group = [...fake.securityGroups.values()].find((g) => g.groupName === 'docker-machine');
      assert.ok(group, 'the docker-machine group exists');
      return group.ingress.map((r) => `${r.fromPort}/${r.protocol}`).sort();
    };
    const plain = await create('swarm-plain');
    assert.deepEqual(rules(), ['22/tcp', '2376/tcp'], 'a machine outside any swarm opens no swarm port');
    const worker = await create('swarm-worker', { 'swarm-mode': 'worker' });
    assert.deepEqual(rules(), ['22/tcp', '2376/tcp', '2377/tcp', '4789/udp', '7946/tcp', '7946/udp']);
    const manager = await create('swarm-manager', { 'swarm-mode': 'manager' });
    assert.deepEqual(rules(), ['22/tcp', '2376/tcp', '2377/tcp', '4789/udp', '7946/tcp', '7946/udp'], 'rules already present are not added again');
    assert.equal(fake.actions().filter((x) => x === 'AuthorizeSecurityGroupIngress').length, 2);
    for (const m of [plain, worker, manager]) await driver.remove(call(m.ref, m.state));
  });

  it('survives throttling and server errors during create', async () => {
    fake.faults.inject(ec2Fault('RequestLimitExceeded'), { operation: 'RunInstances', times: 2 });
    fake.faults.inject(ec2Fault('RequestLimitExceeded'), { operation: 'DescribeInstances', times: 2 });
    fake.faults.inject(ec2Fault('InternalError'), { operation: 'ImportKeyPair', times: 1 });
    const { ref, state } = await create('throttled');
    assert.equal(fake.faults.injected.length, 5);
    assert.equal(fake.instances.size, 1, 'retries did not launch twice');
    assert.equal(await driver.getState(call(ref, state)), 'Running');
    await driver.remove(call(ref, state));
  });

  it('rolls back everything on a capacity error', async () => {
    fake.faults.inject(ec2Fault('InsufficientInstanceCapacity'), { operation: 'RunInstances', times: Infinity });
    const ref = machine('nocapacity');
    const configured = await driver.configure(ref, endpointFlags(fake, { 'amazonec2-retries': 1 }));
    const e = await expectError(driver.create({ machine: ref, state: configured.state, stateVersion: configured.stateVersion }));
    assert.equal(e.code, 'resource-exhausted');
    assert.equal(e.flag, 'amazonec2-zone');
    assert.match(e.summary, /capacity/);
    assert.equal(fake.actions().filter((a) => a === 'RunInstances').length, 2, '--amazonec2-retries 1: one retry');
    assert.equal(fake.liveInstances().length, 0);
    assert.equal(fake.keyPairs.size, 0, 'the imported key pair is deleted');
    assert.ok(![...fake.securityGroups.values()].some((g) => g.groupName === 'docker-machine'), 'the created group is deleted');
  });

  it('says why when the instance terminates instead of running, and rolls back', async () => {
    await fake.close();
    fake = await startFakeEc2({
      timings: { pendingMs: 100, shuttingDownMs: 50 },
      hosts: {
        launch: async () => {
          throw new Error('no host for you');
        },
      },
    });
    const ref = machine('doomed');
    const configured = await driver.configure(ref, endpointFlags(fake));
    const e = await expectError(driver.create({ machine: ref, state: configured.state, stateVersion: configured.stateVersion }));
    assert.equal(e.code, 'failed-precondition');
    assert.match(e.summary, /went to terminated instead of running: Server\.InternalError/);
    assert.equal(fake.keyPairs.size, 0);
    assert.deepEqual([...fake.securityGroups.values()].map((g) => g.groupName), ['default']);
  });

  it('rolls back when cancelled while waiting for the instance to run', async () => {
    fake.timings.pendingMs = 60000;
    const ref = machine('cancelled');
    const configured = await driver.configure(ref, endpointFlags(fake));
    const abort = new AbortController();
    const pending = driver.create(
      { machine: ref, state: configured.state, stateVersion: configured.stateVersion },
      { signal: abort.signal, onProgress: (m) => { if (/Waiting for instance/.test(m)) setTimeout(() => abort.abort(), 200); } },
    );
    const e = await expectError(pending);
    assert.equal(e.code, 'cancelled');
    assert.equal(fake.instances.size, 1, 'the instance had been launched');
    // The host returns at once; the driver process goes on undoing what it made.
    const clean = () => fake.liveInstances().length === 0 && fake.keyPairs.size === 0 && ![...fake.securityGroups.values()].some((g) => g.groupName === 'docker-machine');
    for (let n = 0; n < 200 && !clean(); n++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(fake.liveInstances().length, 0, 'the instance is terminated');
    assert.equal(fake.keyPairs.size, 0, 'the key pair is deleted');
    assert.ok(![...fake.securityGroups.values()].some((g) => g.groupName === 'docker-machine'), 'the security group is deleted');
  });

  /**
   * Starts a create in a driver process of its own and SIGKILLs that process
   * once `made` holds, as the core's rollback (or a later rm -f) then finds
   * things: only the configured state, stored before create began.
   */
  async function killedCreate(name: string, made: () => boolean, flags: FlagValues = {}): Promise<{ ref: MachineRef; configured: JsonObject }> {
    const ref = machine(name);
    const configured = await driver.configure(ref, endpointFlags(fake, flags));
    assert.equal(typeof configured.state.CreateToken, 'string', 'configure chooses the create token');
    const doomed = await launchDriver({ name: 'amazonec2', path: DRIVER_BIN, env: cleanAwsEnv(home) });
    try {
      const creating = doomed.create({ machine: ref, state: configured.state, stateVersion: configured.stateVersion });
      const outcome = creating.then(() => 'finished', () => 'failed');
      await until(made);
      process.kill(doomed.pid as number, 'SIGKILL');
      assert.equal(await outcome, 'failed', 'the create died with its driver');
    } finally {
      await doomed.close().catch(() => undefined);
    }
    return { ref, configured: configured.state };
  }

  const leftOf = (name: string, token: unknown) => ({
    instances: fake.liveInstances().filter((i) => i.tags.get('machine:create-token') === token || i.tags.get('Name') === name).map((i) => i.instanceId),
    keyPairs: [...fake.keyPairs.values()].filter((k) => k.keyName === name || k.tags.get('machine:create-token') === token).map((k) => k.keyName),
    groups: [...fake.securityGroups.values()].filter((g) => g.groupName !== 'default').map((g) => g.groupName),
    spotRequests: [...fake.spotRequests.values()].filter((r) => r.state === 'open' || r.state === 'active').map((r) => r.spotInstanceRequestId),
  });

  it('removes what a create SIGKILLed after RunInstances made, from the configured state alone', async () => {
    // Held in pending, so that the create is still waiting when it is killed.
    fake.timings.pendingMs = 60000;
    const { ref, configured } = await killedCreate('killed', () => fake.instances.size === 1);
    const token = configured.CreateToken;
    const before = leftOf('killed', token);
    assert.equal(before.instances.length, 1, 'the instance was launched, tagged with the token');
    assert.deepEqual(before.keyPairs, ['killed'], 'the key pair was imported, tagged with the token');
    assert.deepEqual(before.groups, ['docker-machine'], 'the security group was created');
    assert.equal([...fake.securityGroups.values()].find((g) => g.groupName === 'docker-machine')?.tags.get('machine:create-token'), token);

    // A freshly launched driver, given only what the host stored before create.
    await driver.remove(call(ref, configured));
    await fake.settle();
    assert.deepEqual(leftOf('killed', token), { instances: [], keyPairs: [], groups: [], spotRequests: [] });
  });

  it('looks again for the instance of a killed create that EC2 does not list yet', async () => {
    fake.timings.pendingMs = 60000;
    // Eventual consistency: a new instance is missing from DescribeInstances for a while.
    fake.timings.visibilityMs = 60000;
    const { ref, configured } = await killedCreate('killed-early', () => fake.instances.size === 1);
    const launched = [...fake.instances.values()][0];
    // Listed only once remove has looked for it once and found nothing.
    const describedBefore = fake.actions().filter((a) => a === 'DescribeInstances').length;
    Object.defineProperty(fake.timings, 'visibilityMs', {
      configurable: true,
      get: () => (fake.actions().filter((a) => a === 'DescribeInstances').length > describedBefore ? 0 : 60000),
    });
    await driver.remove(call(ref, configured));
    await fake.settle();
    assert.equal(launched.state, 'terminated');
    assert.deepEqual(leftOf('killed-early', configured.CreateToken), { instances: [], keyPairs: [], groups: [], spotRequests: [] });
  });

  it('removes the spot request and its instance of a create SIGKILLed while waiting for fulfilment', async () => {
    fake.timings.spotFulfilMs = 400;
    const { ref, configured } = await killedCreate('killed-spot', () => fake.spotRequests.size === 1, { 'amazonec2-request-spot-instance': true });
    const token = configured.CreateToken;
    const request = [...fake.spotRequests.values()][0];
    assert.equal(request.tags.get('machine:create-token'), token, 'the spot request carries the token');

    await driver.remove(call(ref, configured));
    // A request fulfilled just before it was cancelled still launched an instance: it must be gone too.
    await new Promise((r) => setTimeout(r, 600));
    await fake.settle();
    assert.equal(request.state, 'cancelled');
    assert.deepEqual(fake.liveInstances().map((i) => i.instanceId), []);
    assert.deepEqual(leftOf('killed-spot', token), { instances: [], keyPairs: [], groups: [], spotRequests: [] });
  });

  it('leaves alone what another machine made, when the killed create had made nothing yet', async () => {
    const other = await create('bystander');
    const ref = machine('never-started');
    const configured = await driver.configure(ref, endpointFlags(fake));
    await driver.remove(call(ref, configured.state));
    assert.equal(fake.liveInstances().length, 1, "the other machine's instance stays");
    assert.ok(fake.keyPairs.has('bystander'), "the other machine's key pair stays");
    assert.ok([...fake.securityGroups.values()].some((g) => g.groupName === 'docker-machine'), 'the shared security group stays');
    await driver.remove(call(other.ref, other.state));
  });
});
