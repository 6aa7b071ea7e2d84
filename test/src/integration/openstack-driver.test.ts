// The openstack driver as the core runs it (a separate process launched
// through the driver SDK) against the real Keystone and the local Nova,
// Neutron and Glance. Servers here have addresses only;
// test/src/e2e/openstack.test.ts uses real hosts.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchDriver, isDriverCallError, type DriverClient, type DriverCallError, type MachineRef, type JsonObject, type FlagValues } from '@machine/driver-sdk';
import { startHttpFake, type HttpFake } from '../fakes/common/server';
import { startFakeOpenStack, openstackFault, DEMO, type FakeOpenStack, type Server } from '../fakes/openstack';
import { DRIVER_BIN, authFlags, cleanOsEnv, endpointFlags, tempDir } from '../fakes/openstack/harness';

async function expectError(p: Promise<unknown>): Promise<DriverCallError> {
  try {
    await p;
  } catch (err) {
    if (isDriverCallError(err)) return err;
    throw err;
  }
  assert.fail('expected the driver call to fail');
}

describe('openstack driver against a real Keystone and the local Nova, Neutron and Glance', function () {
  this.timeout(120_000);
  let fake: FakeOpenStack;
  let driver: DriverClient;
  let home: string;
  let store: string;

  const machine = (name: string): MachineRef => {
    const machineDir = path.join(store, 'machines', name);
    fs.mkdirSync(machineDir, { recursive: true });
    return { name, storePath: store, machineDir };
  };
  const call = (ref: MachineRef, state: JsonObject) => ({ machine: ref, state, stateVersion: 1 });

  async function create(name: string, flags: FlagValues = {}, client = driver): Promise<{ ref: MachineRef; state: JsonObject; progress: string[] }> {
    const ref = machine(name);
    const configured = await client.configure(ref, { ...endpointFlags(fake), ...flags });
    const c = { machine: ref, state: configured.state, stateVersion: configured.stateVersion };
    await client.preCreateCheck(c);
    const progress: string[] = [];
    const out = await client.create(c, { onProgress: (m) => progress.push(m) });
    assert.ok(out.state, 'create returns the new state');
    return { ref, state: out.state, progress };
  }

  /** Nothing that machine made is left: servers, key pairs, floating IPs, security groups other than default. */
  const assertNothingLeft = async () => {
    await fake.settle();
    assert.deepEqual([...fake.servers.values()].map((s) => `${s.name} ${s.status}`), [], 'servers left');
    assert.deepEqual([...fake.keyPairs.keys()], [], 'key pairs left');
    assert.deepEqual([...fake.floatingIps.values()].map((f) => f.id), [], 'floating IPs left');
    assert.deepEqual([...fake.securityGroups.values()].map((g) => g.name).filter((n) => n !== 'default'), [], 'security groups left');
    assert.deepEqual([...fake.volumes.values()].map((v) => `${v.name} ${v.status}`), [], 'volumes left');
  };

  before(async () => {
    home = tempDir('os-home-');
    store = tempDir('os-store-');
    driver = await launchDriver({ name: 'openstack', path: DRIVER_BIN, env: cleanOsEnv(home) });
  });
  after(async () => {
    await driver?.close();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(store, { recursive: true, force: true });
  });
  beforeEach(async () => {
    fake = await startFakeOpenStack({ timings: { buildMs: 100, actionMs: 30, deleteMs: 30 } });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('creates with a password through version discovery, and goes through stop, start, restart, kill and remove', async () => {
    const { ref, state, progress } = await create('m1', { 'openstack-metadata': 'team,infra' });
    assert.ok(progress.some((m) => /ACTIVE/.test(m)), progress.join('\n'));
    assert.ok(!fs.existsSync(path.join(ref.machineDir, '.openstack-create.json')), 'a finished create leaves no journal');
    const server = fake.servers.get(String(state.MachineId))!;
    assert.equal(server.name, 'm1');
    assert.equal(server.flavorId, '2');
    assert.equal(server.imageId, fake.images.find((i) => i.name === 'ubuntu-22.04')!.id);
    assert.equal(server.metadata.team, 'infra');
    assert.equal(server.status, 'ACTIVE');
    // The key pair holds the public half of the machine's own key.
    const pub = fs.readFileSync(path.join(ref.machineDir, 'id_rsa.pub'), 'utf8').trim();
    const keyPair = [...fake.keyPairs.values()][0];
    assert.equal(keyPair.name, server.keyName);
    assert.match(keyPair.name, /^m1-[0-9a-f]{8}$/);
    assert.equal(keyPair.publicKey.split(' ').slice(0, 2).join(' '), pub.split(' ').slice(0, 2).join(' '));
    // A security group for the machine, opening SSH and the engine's port.
    const group = fake.securityGroups.get(String(state.CreatedSecurityGroupId))!;
    assert.equal(group.name, 'machine-m1');
    assert.deepEqual(group.rules.filter((r) => r.direction === 'ingress').map((r) => [r.protocol, r.portMin, r.portMax, r.remote]), [
      ['tcp', 22, 22, '0.0.0.0/0'],
      ['tcp', 2376, 2376, '0.0.0.0/0'],
    ]);
    assert.deepEqual(server.securityGroups, [group.id]);
    // Each call sent a token that the real Keystone issued and the fake validated.
    const refused = fake.requests().filter((r) => r.status === 401);
    assert.deepEqual(refused.map((r) => `${new Date(r.at).toISOString()} ${r.method} ${r.url} ${r.label}: ${r.error}`), [], 'no refused token');

    const port = [...fake.ports.values()].find((p) => p.deviceId === server.id)!;
    assert.equal(state.IPAddress, server.host!.ip);
    assert.notEqual(state.IPAddress, port.fixedIp, 'on the provider network the fixed address is the host\'s');
    assert.equal(await driver.getState(call(ref, state)), 'Running');
    assert.equal(await driver.getURL(call(ref, state)), `tcp://${server.host!.ip}:2376`);
    const ssh = await driver.getSSHInfo(call(ref, state));
    assert.deepEqual([ssh.user, ssh.port, ssh.keyPath], ['ubuntu', 22, path.join(ref.machineDir, 'id_rsa')]);

    await driver.stop(call(ref, state));
    assert.equal(server.status, 'SHUTOFF');
    assert.deepEqual(await driver.describe(call(ref, state)), { state: 'Stopped', ip: server.host!.ip, url: '' });
    await driver.start(call(ref, state));
    assert.equal(server.status, 'ACTIVE');
    await driver.restart(call(ref, state));
    assert.ok(fake.requests().some((r) => r.label === 'compute servers.action'));
    assert.equal(server.status, 'ACTIVE');
    await driver.kill(call(ref, state));
    assert.equal(server.status, 'SHUTOFF');
    // A stopped server can only be rebooted hard.
    await driver.restart(call(ref, state));
    assert.equal(server.status, 'ACTIVE');

    await driver.remove(call(ref, state));
    await assertNothingLeft();
    assert.equal((await driver.describe(call(ref, state))).state, 'Not Found');
    // Removing again succeeds: everything is already gone.
    await driver.remove(call(ref, state));
  });

  it('reports BUILD as Starting while the server builds', async () => {
    fake.timings.buildMs = 8000;
    const ref = machine('slow');
    const configured = await driver.configure(ref, endpointFlags(fake));
    const creating = driver.create({ machine: ref, state: configured.state, stateVersion: 1 });
    let server: Server | undefined;
    for (let n = 0; n < 3000 && !server; n++) {
      server = [...fake.servers.values()][0];
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(server);
    const state = { ...configured.state, MachineId: server.id };
    assert.equal(await driver.getState(call(ref, state)), 'Starting');
    const done = await creating;
    await driver.remove(call(ref, done.state!));
    await assertNothingLeft();
  });

  it('finds flavor, image and network by name across pages', async () => {
    fake.pageSize = 2;
    const pagesOf = (label: string) => fake.requests().filter((r) => r.label === label);
    const markers = (label: string) => pagesOf(label).map((r) => new URL(r.url, 'http://fake').searchParams.get('marker'));
    for (let n = 0; n < 5; n++) fake.flavors.push({ id: `x${n}`, name: `extra-${n}`, ram: 1, vcpus: 1, disk: 1 });
    fake.flavors.push({ id: 'deep', name: 'deep.flavor', ram: 1, vcpus: 1, disk: 1 });
    // Glance filters by name, so the wanted image sits beyond the first page only
    // behind others of its name: uploads that never finished or failed, which Nova cannot boot.
    for (let n = 0; n < 5; n++) fake.images.push({ id: `00000000-0000-4000-8000-00000000000${n}`, name: 'deep-image', user: 'root', status: n % 2 ? 'killed' : 'queued' });
    fake.images.push({ id: '00000000-0000-4000-8000-0000000000ff', name: 'deep-image', user: 'root' });
    for (let n = 0; n < 4; n++) fake.addNetwork(`net-${n}`);
    const deep = fake.addNetwork('deep-net');
    const { ref, state } = await create('paged', { 'openstack-flavor-name': 'deep.flavor', 'openstack-image-name': 'deep-image', 'openstack-net-name': 'deep-net' });
    const server = fake.servers.get(String(state.MachineId))!;
    assert.equal(server.flavorId, 'deep');
    assert.equal(server.imageId, '00000000-0000-4000-8000-0000000000ff', 'the active image on the third page, not a queued or killed one before it');
    assert.equal(fake.ports.get(server.portId!)!.networkId, deep.id);
    assert.ok(pagesOf('compute flavors.list').length >= 5, `followed the flavor pages: ${pagesOf('compute flavors.list').length}`);
    // Glance's `next` (a path with marker and limit): three pages of two, walked by the check and again by create.
    assert.deepEqual(markers('image images.list').slice(-3), [null, '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000003']);
    assert.ok(pagesOf('image images.list').every((r) => /[?&]name=deep-image(&|$)/.test(r.url)), 'every Glance page keeps the name filter');
    await driver.remove(call(ref, state));

    // Neutron filters by name too: a name several networks share spans pages
    // (networks_links rel=next), and every one of them is named in the refusal.
    fake.pageSize = 1;
    const twins = [fake.addNetwork('twin'), fake.addNetwork('twin'), fake.addNetwork('twin')];
    const before = pagesOf('network networks.list').length;
    const ambiguous = await expectError(create('twins', { 'openstack-net-name': 'twin' }));
    assert.equal(ambiguous.flag, 'openstack-net-name');
    assert.equal(ambiguous.summary, `3 networks are named twin: give the ID instead (${twins.map((n) => n.id).join(', ')})`);
    assert.deepEqual(markers('network networks.list').slice(before), [null, twins[0].id, twins[1].id]);
    // The floating IP pool's network likewise, among the external networks only.
    const pools = [fake.addNetwork('pool-b', { external: true }), fake.addNetwork('pool-b', { external: true })];
    fake.addNetwork('pool-b');
    const poolBefore = pagesOf('network networks.list').length;
    const ambiguousPool = await expectError(create('pools', { 'openstack-net-name': 'private', 'openstack-floatingip-pool': 'pool-b' }));
    assert.equal(ambiguousPool.flag, 'openstack-floatingip-pool');
    assert.equal(ambiguousPool.summary, `2 networks are named pool-b: give the ID instead (${pools.map((n) => n.id).join(', ')})`);
    const poolPages = pagesOf('network networks.list').slice(poolBefore).filter((r) => /router%3Aexternal=true|router:external=true/.test(r.url));
    assert.equal(poolPages.length, 2, poolPages.map((r) => r.url).join('\n'));

    const err = await expectError(create('missing', { 'openstack-flavor-name': 'no.such.flavor' }));
    assert.equal(err.code, 'invalid-argument');
    assert.equal(err.flag, 'openstack-flavor-name');
    assert.match(err.message, /Unable to find flavor named no\.such\.flavor/);
    await assertNothingLeft();
  });

  it('refuses an image name whose only images are not active', async () => {
    fake.images.push({ id: '00000000-0000-4000-8000-0000000000aa', name: 'half-uploaded', user: 'root', status: 'queued' });
    const err = await expectError(create('queued', { 'openstack-image-name': 'half-uploaded' }));
    assert.equal(err.code, 'failed-precondition');
    assert.equal(err.flag, 'openstack-image-name');
    assert.match(err.message, /no image named half-uploaded is active \(00000000-0000-4000-8000-0000000000aa is queued\)/);
    await assertNothingLeft();
  });

  it('boots from a new volume in a server group found by name', async () => {
    const projectId = await fake.keystone.projectId('demo');
    fake.serverGroups.set('5bbcc3c4-1da2-4437-a48a-66f15b1b13f9', { id: '5bbcc3c4-1da2-4437-a48a-66f15b1b13f9', name: 'spread', projectId, policies: ['anti-affinity'], members: [] });
    const { ref, state } = await create('bfv', {
      'openstack-server-group-name': 'spread',
      'openstack-boot-from-volume': true,
      'openstack-volume-size': 20,
      'openstack-volume-type': 'ssd',
      'openstack-config-drive': true,
    });
    const server = fake.servers.get(String(state.MachineId))!;
    assert.equal(server.serverGroupId, '5bbcc3c4-1da2-4437-a48a-66f15b1b13f9');
    assert.equal(server.imageId, '', 'no image reference: the volume boots');
    assert.deepEqual(server.blockDevices, [
      { boot_index: 0, uuid: fake.images.find((i) => i.name === 'ubuntu-22.04')!.id, source_type: 'image', destination_type: 'volume', delete_on_termination: true, volume_size: 20, volume_type: 'ssd' },
    ]);
    assert.equal(server.configDrive, true);
    assert.deepEqual(fake.serverGroups.get('5bbcc3c4-1da2-4437-a48a-66f15b1b13f9')!.members, [server.id]);
    await driver.remove(call(ref, state));
    await assertNothingLeft();
  });

  it('boots from a volume it names, made through Cinder from the image; remove deletes it with the server', async () => {
    const { ref, state, progress } = await create('named', {
      'openstack-boot-from-volume': true,
      'openstack-volume-name': 'named-root',
      'openstack-volume-size': 12,
      'openstack-volume-type': 'ssd',
      'openstack-volume-device-path': '/dev/vda',
    });
    assert.ok(progress.some((m) => /Creating boot volume named-root \(12 GB\)/.test(m)), progress.join('\n'));
    const volumes = [...fake.volumes.values()];
    assert.equal(volumes.length, 1);
    const [volume] = volumes;
    const server = fake.servers.get(String(state.MachineId))!;
    const ubuntu = fake.images.find((i) => i.name === 'ubuntu-22.04')!;
    assert.deepEqual([volume.name, volume.size, volume.volumeType, volume.imageId, volume.status, volume.attachedTo], ['named-root', 12, 'ssd', ubuntu.id, 'in-use', server.id]);
    assert.equal(state.CreatedVolumeId, volume.id);
    assert.deepEqual(server.blockDevices, [{ boot_index: 0, uuid: volume.id, source_type: 'volume', destination_type: 'volume', delete_on_termination: true, device_name: '/dev/vda' }]);
    assert.ok(fake.requests().some((r) => r.label === 'volumev3 volumes.create'));
    await driver.remove(call(ref, state));
    await assertNothingLeft();
  });

  it('a server that fails to build from a named volume releases the volume too', async () => {
    fake.failNextBuild('No valid host was found.');
    const err = await expectError(create('named-broken', { 'openstack-boot-from-volume': true, 'openstack-volume-name': 'broken-root', 'openstack-volume-size': 5 }));
    assert.match(err.message, /went to ERROR: No valid host was found/);
    assert.ok(fake.requests().some((r) => r.label === 'volumev3 volumes.create'), 'the volume was made');
    await assertNothingLeft();
  });

  it('a named boot volume on a cloud without Cinder is refused before anything is made, naming the flag', async () => {
    await fake.close();
    fake = await startFakeOpenStack({ blockStorage: false, timings: { buildMs: 100, actionMs: 30, deleteMs: 30 } });
    const err = await expectError(create('nocinder', { 'openstack-boot-from-volume': true, 'openstack-volume-name': 'x-root', 'openstack-volume-size': 5 }));
    assert.equal(err.code, 'failed-precondition');
    assert.equal(err.flag, 'openstack-volume-name');
    assert.match(err.summary, /no block storage service \(Cinder\)/);
    assert.deepEqual(fake.requests().filter((r) => r.method !== 'GET').map((r) => r.label), [], 'nothing was made');
    await assertNothingLeft();
  });

  it('a volume type Cinder does not know is one clear line naming the flag, and nothing is left', async () => {
    const err = await expectError(create('badtype', { 'openstack-boot-from-volume': true, 'openstack-volume-name': 'x-root', 'openstack-volume-size': 5, 'openstack-volume-type': 'gold' }));
    assert.equal(err.code, 'not-found');
    assert.match(err.message, /could not create the boot volume: Volume type with name gold could not be found/);
    assert.equal(err.flag, 'openstack-volume-type');
    await assertNothingLeft();
  });

  it('reuses an existing key pair with its private key, and keeps it on remove', async () => {
    const keyFile = path.join(home, 'team_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '', '-f', keyFile]);
    const { token } = await fake.keystone.issueToken(DEMO.username, DEMO.password, DEMO.project);
    const res = await fetch(`${fake.compute.url}/v2.1/os-keypairs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token },
      body: JSON.stringify({ keypair: { name: 'team-key', public_key: fs.readFileSync(`${keyFile}.pub`, 'utf8') } }),
    });
    assert.equal(res.status, 200, await res.text());
    const { ref, state } = await create('ownkey', { 'openstack-keypair-name': 'team-key', 'openstack-private-key-file': keyFile });
    assert.equal(fake.servers.get(String(state.MachineId))?.keyName, 'team-key');
    assert.equal(state.KeyPairCreated, false);
    assert.equal(fs.readFileSync(path.join(ref.machineDir, 'id_rsa'), 'utf8'), fs.readFileSync(keyFile, 'utf8'), 'the machine connects with the given key');
    await driver.remove(call(ref, state));
    assert.deepEqual([...fake.keyPairs.values()].map((k) => k.name), ['team-key'], 'the user\'s key pair stays');
    fake.keyPairs.clear();
    await assertNothingLeft();

    const err = await expectError(create('nokey', { 'openstack-keypair-name': 'no-such-key', 'openstack-private-key-file': keyFile }));
    assert.equal(err.flag, 'openstack-keypair-name');
  });

  it('attaches a floating IP from the pool and releases it on remove', async () => {
    const { ref, state } = await create('fip', { 'openstack-net-name': 'private', 'openstack-floatingip-pool': 'public' });
    const fip = fake.floatingIps.get(String(state.FloatingIpId))!;
    assert.ok(fip, 'the floating IP exists');
    const server = fake.servers.get(String(state.MachineId))!;
    assert.equal(fip.portId, server.portId);
    assert.equal(state.IPAddress, server.host!.ip, 'the floating address is the machine\'s address');
    assert.equal(await driver.getIP(call(ref, state)), server.host!.ip);
    await driver.remove(call(ref, state));
    await assertNothingLeft();
  });

  it('takes the floating IP through nova-network when asked to', async () => {
    const privateNet = [...fake.networks.values()].find((n) => n.name === 'private')!;
    const { ref, state } = await create('novanet', {
      'openstack-net-name': '',
      'openstack-net-id': privateNet.id,
      'openstack-nova-network': true,
      'openstack-sec-groups': 'default',
      'openstack-floatingip-pool': 'public',
    });
    const server = fake.servers.get(String(state.MachineId))!;
    const fip = fake.floatingIps.get(String(state.FloatingIpId))!;
    assert.equal(fip.portId, server.portId);
    assert.ok(fake.requests().some((r) => r.label === 'compute os-floating-ips.create'));
    assert.ok(!fake.requests().some((r) => r.label === 'network floatingips.create'), 'not through Neutron');
    assert.equal(state.IPAddress, server.host!.ip);
    assert.equal(state.CreatedSecurityGroupId, undefined, 'the named group is used, none is made');
    await driver.remove(call(ref, state));
    await assertNothingLeft();
  });

  it('an exhausted floating IP pool fails with one clear line, and create releases everything', async () => {
    const pool = [...fake.networks.values()].find((n) => n.name === 'public')!;
    pool.capacity = 0;
    const err = await expectError(create('nofip', { 'openstack-net-name': 'private', 'openstack-floatingip-pool': 'public' }));
    assert.equal(err.code, 'resource-exhausted');
    assert.equal(err.flag, 'openstack-floatingip-pool');
    assert.match(err.message, /no free address/);
    await assertNothingLeft();
  });

  it('an exhausted nova-network floating IP pool fails with one clear line naming the pool flag, and create releases everything', async () => {
    const privateNet = [...fake.networks.values()].find((n) => n.name === 'private')!;
    [...fake.networks.values()].find((n) => n.name === 'public')!.capacity = 0;
    const err = await expectError(
      create('nofip-nova', { 'openstack-net-name': '', 'openstack-net-id': privateNet.id, 'openstack-nova-network': true, 'openstack-sec-groups': 'default', 'openstack-floatingip-pool': 'public' }),
    );
    assert.equal(err.code, 'resource-exhausted');
    assert.equal(err.flag, 'openstack-floatingip-pool');
    assert.equal(err.summary, 'the floating IP pool has no free address left: No more floating IPs in pool public; release floating IPs or choose another --openstack-floatingip-pool');
    assert.ok(fake.requests().some((r) => r.label === 'compute os-floating-ips.create' && r.status === 404), 'nova-network said so');
    await assertNothingLeft();
  });

  it('a server that fails to build shows Nova\'s fault message, and nothing is left', async () => {
    fake.failNextBuild('No valid host was found. There are not enough hosts available.');
    const err = await expectError(create('broken'));
    assert.match(err.message, /went to ERROR: No valid host was found/);
    assert.doesNotMatch(err.message, /\n/);
    await assertNothingLeft();
  });

  it('survives a token that expires during create, by authenticating again', async () => {
    fake.expireTokenOn('servers.create');
    const { ref, state } = await create('expiry');
    const refused = fake.requests().filter((r) => r.status === 401);
    assert.equal(refused.length, 1, 'the revoked token was refused once');
    assert.equal(refused[0].label, 'compute servers.create');
    assert.equal([...fake.servers.values()].length, 1, 'one server, not two');
    await driver.remove(call(ref, state));
    await assertNothingLeft();
  });

  it('retries 503 answers', async () => {
    fake.faults.inject(openstackFault(503), { operation: 'servers.create', times: 2 });
    fake.faults.inject(openstackFault(503), { operation: 'security-groups.create', times: 1 });
    const { ref, state } = await create('flaky');
    assert.equal(fake.faults.injected.length, 3);
    await driver.remove(call(ref, state));
    await assertNothingLeft();
  });

  it('authenticates with an application credential', async () => {
    const { token, body } = await fake.keystone.issueToken(DEMO.username, DEMO.password, DEMO.project);
    const userId = (body.user as { id: string }).id;
    const res = await fetch(`${fake.authUrl}/v3/users/${userId}/application_credentials`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token },
      body: JSON.stringify({ application_credential: { name: `machine-test-${Date.now()}` } }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const credential = ((await res.json()) as { application_credential: { id: string; secret: string } }).application_credential;
    try {
      const { ref, state } = await create('appcred', {
        'openstack-username': '',
        'openstack-password': '',
        'openstack-tenant-name': '',
        'openstack-domain-name': '',
        'openstack-application-credential-id': credential.id,
        'openstack-application-credential-secret': credential.secret,
      });
      assert.equal(fake.servers.get(String(state.MachineId))?.projectId, await fake.keystone.projectId('demo'));
      await driver.remove(call(ref, state));
      await assertNothingLeft();
    } finally {
      await fetch(`${fake.authUrl}/v3/users/${userId}/application_credentials/${credential.id}`, { method: 'DELETE', headers: { 'X-Auth-Token': token } });
    }
  });

  it('reads the credentials of a cloud in clouds.yaml', async () => {
    const cloudsHome = tempDir('os-clouds-');
    const dir = path.join(cloudsHome, '.config', 'openstack');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'clouds.yaml'),
      [
        'clouds:',
        '  local:',
        '    auth:',
        `      auth_url: ${fake.authUrl}/v3`,
        `      username: ${DEMO.username}`,
        `      password: ${DEMO.password}`,
        `      project_name: ${DEMO.project}`,
        '      user_domain_name: Default',
        '      project_domain_id: default',
        `    region_name: ${fake.region}`,
        '    interface: public',
        '',
      ].join('\n'),
    );
    const client = await launchDriver({ name: 'openstack', path: DRIVER_BIN, env: cleanOsEnv(cloudsHome) });
    try {
      const { ref, state } = await create(
        'clouds',
        { 'openstack-auth-url': '', 'openstack-username': '', 'openstack-password': '', 'openstack-tenant-name': '', 'openstack-region': '', 'openstack-domain-name': '', 'openstack-cloud': 'local' },
        client,
      );
      assert.equal(state.Cloud, 'local');
      assert.equal(state.Password, undefined, 'the store keeps the cloud\'s name, not its password');
      assert.ok(fake.servers.has(String(state.MachineId)));
      await client.remove(call(ref, state));
      await assertNothingLeft();
    } finally {
      await client.close();
      fs.rmSync(cloudsHome, { recursive: true, force: true });
    }
  });

  describe('identity errors, before anything is made', () => {
    let v2only: HttpFake | undefined;
    afterEach(async () => {
      await v2only?.close();
      v2only = undefined;
    });

    it('a wrong password names the flag, and nothing reaches Nova', async () => {
      const ref = machine('badpass');
      const configured = await driver.configure(ref, endpointFlags(fake, { 'openstack-password': 'wrong-secret' }));
      const err = await expectError(driver.preCreateCheck({ machine: ref, state: configured.state, stateVersion: 1 }));
      assert.equal(err.code, 'unauthenticated');
      assert.equal(err.flag, 'openstack-password');
      assert.doesNotMatch(err.message, /wrong-secret/);
      assert.equal(fake.requests().length, 0);
    });

    it('a Keystone that only offers v2.0 gets a clear message', async () => {
      v2only = await startHttpFake(async () => ({
        status: 300,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ versions: { values: [{ id: 'v2.0', status: 'stable', links: [{ rel: 'self', href: 'http://127.0.0.1/v2.0/' }] }] } }),
      }));
      const ref = machine('v2');
      const configured = await driver.configure(ref, endpointFlags(fake, { 'openstack-auth-url': v2only.url }));
      const err = await expectError(driver.preCreateCheck({ machine: ref, state: configured.state, stateVersion: 1 }));
      assert.equal(err.flag, 'openstack-auth-url');
      assert.match(err.message, /only offers Keystone v2\.0/);
    });

    it('an unknown region lists the regions of the catalog', async () => {
      const ref = machine('region');
      const configured = await driver.configure(ref, { ...endpointFlags(fake), ...authFlags(fake), 'openstack-region': 'Atlantis' });
      const err = await expectError(driver.preCreateCheck({ machine: ref, state: configured.state, stateVersion: 1 }));
      assert.equal(err.flag, 'openstack-region');
      assert.match(err.message, new RegExp(fake.region));
    });
  });
});
