// The digitalocean driver as the core runs it: a separate process launched
// through the driver SDK, talking to the local DigitalOcean API. Droplets
// here have addresses only; test/src/e2e/digitalocean.test.ts uses real hosts.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchDriver, isDriverCallError, type DriverClient, type DriverCallError, type MachineRef, type JsonObject, type FlagValues } from '@machine/driver-sdk';
import { startFakeDigitalOcean, fingerprintOf, TOKEN, type FakeDigitalOcean } from '../fakes/digitalocean';
import { DRIVER_BIN, cleanDoEnv, endpointFlags, tempDir, writeDoctlConfig } from '../fakes/digitalocean/harness';

async function expectError(p: Promise<unknown>): Promise<DriverCallError> {
  try {
    await p;
  } catch (err) {
    if (isDriverCallError(err)) return err;
    throw err;
  }
  assert.fail('expected the driver call to fail');
}

describe('digitalocean driver against the local DigitalOcean API', function () {
  this.timeout(60000);
  let fake: FakeDigitalOcean;
  let driver: DriverClient;
  let home: string;
  let store: string;

  const machine = (name: string): MachineRef => {
    const machineDir = path.join(store, 'machines', name);
    fs.mkdirSync(machineDir, { recursive: true });
    return { name, storePath: store, machineDir };
  };
  const call = (ref: MachineRef, state: JsonObject) => ({ machine: ref, state, stateVersion: 1 });

  async function configure(name: string, flags: FlagValues = {}, client = driver): Promise<{ ref: MachineRef; state: JsonObject }> {
    const ref = machine(name);
    const configured = await client.configure(ref, endpointFlags(fake, flags));
    return { ref, state: configured.state };
  }

  async function create(name: string, flags: FlagValues = {}): Promise<{ ref: MachineRef; state: JsonObject; progress: string[] }> {
    const { ref, state } = await configure(name, flags);
    await driver.preCreateCheck(call(ref, state));
    const progress: string[] = [];
    const out = await driver.create(call(ref, state), { onProgress: (m) => progress.push(m) });
    assert.ok(out.state, 'create returns the new state');
    return { ref, state: out.state, progress };
  }

  /** Nothing that a machine made is left on the API (keys listed are the user's own). */
  const assertNothingLeft = async (keys: string[] = []) => {
    await fake.settle();
    assert.deepEqual([...fake.droplets.values()].map((d) => d.name), [], 'droplets left');
    assert.deepEqual([...fake.keys.values()].map((k) => k.name).sort(), [...keys].sort(), 'keys left');
  };

  before(async () => {
    home = tempDir('do-home-');
    store = tempDir('do-store-');
    driver = await launchDriver({ name: 'digitalocean', path: DRIVER_BIN, env: cleanDoEnv(home) });
  });
  after(async () => {
    await driver?.close();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(store, { recursive: true, force: true });
  });
  beforeEach(async () => {
    fake = await startFakeDigitalOcean({ timings: { newMs: 100, actionMs: 50 } });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('declares every reference flag with its default and environment variable, and the additions', async () => {
    const schema = await driver.schema();
    const byName = new Map(schema.map((f) => [f.name, f]));
    const expect: [string, unknown, string | undefined][] = [
      ['digitalocean-access-token', undefined, 'DIGITALOCEAN_ACCESS_TOKEN'],
      ['digitalocean-ssh-user', 'root', 'DIGITALOCEAN_SSH_USER'],
      ['digitalocean-ssh-key-fingerprint', undefined, 'DIGITALOCEAN_SSH_KEY_FINGERPRINT'],
      ['digitalocean-ssh-key-path', undefined, 'DIGITALOCEAN_SSH_KEY_PATH'],
      ['digitalocean-ssh-port', 22, 'DIGITALOCEAN_SSH_PORT'],
      ['digitalocean-image', 'ubuntu-24-04-x64', 'DIGITALOCEAN_IMAGE'],
      ['digitalocean-region', 'nyc3', 'DIGITALOCEAN_REGION'],
      ['digitalocean-size', 's-1vcpu-1gb', 'DIGITALOCEAN_SIZE'],
      ['digitalocean-ipv6', false, 'DIGITALOCEAN_IPV6'],
      ['digitalocean-private-networking', false, 'DIGITALOCEAN_PRIVATE_NETWORKING'],
      ['digitalocean-backups', false, 'DIGITALOCEAN_BACKUPS'],
      ['digitalocean-userdata', undefined, 'DIGITALOCEAN_USERDATA'],
      ['digitalocean-monitoring', false, 'DIGITALOCEAN_MONITORING'],
      ['digitalocean-tags', undefined, 'DIGITALOCEAN_TAGS'],
      // Additions.
      ['digitalocean-api-url', 'https://api.digitalocean.com', 'DIGITALOCEAN_API_URL'],
      ['digitalocean-vpc-uuid', undefined, 'DIGITALOCEAN_VPC_UUID'],
      ['digitalocean-context', undefined, 'DIGITALOCEAN_CONTEXT'],
      ['digitalocean-use-private-address', false, 'DIGITALOCEAN_USE_PRIVATE_ADDRESS'],
      ['digitalocean-create-timeout', 600, 'DIGITALOCEAN_CREATE_TIMEOUT'],
    ];
    for (const [name, def, env] of expect) {
      const f = byName.get(name);
      assert.ok(f, `flag ${name}`);
      assert.deepEqual(f.default, def, `default of ${name}`);
      assert.equal(f.envVar, env, `env var of ${name}`);
    }
    assert.equal(byName.get('digitalocean-access-token')?.sensitive, true);
    assert.equal(schema.length, expect.length);
  });

  it('rejects bad flags naming the flag, without calling the API', async () => {
    const cases: [FlagValues, string][] = [
      [{ 'digitalocean-region': 'New York' }, 'digitalocean-region'],
      [{ 'digitalocean-tags': 'a,b c' }, 'digitalocean-tags'],
      [{ 'digitalocean-vpc-uuid': 'vpc-1' }, 'digitalocean-vpc-uuid'],
      [{ 'digitalocean-api-url': 'http://192.0.2.1' }, 'digitalocean-api-url'],
      [{ 'digitalocean-create-timeout': -1 }, 'digitalocean-create-timeout'],
    ];
    for (const [flags, flag] of cases) {
      const e = await expectError(driver.configure(machine('bad'), endpointFlags(fake, flags)));
      assert.equal(e.code, 'invalid-argument', e.message);
      assert.equal(e.flag, flag, e.message);
      assert.ok(!e.summary.includes('\n'), 'one line');
    }
    const noToken = await expectError(driver.configure(machine('bad'), { 'digitalocean-api-url': fake.url }));
    assert.equal(noToken.flag, 'digitalocean-access-token');
    assert.match(noToken.summary, /requires the --digitalocean-access-token option/);
    assert.equal(fake.requests.length, 0);
  });

  it('the pre-create check names a bad token, region, size or image with the API\'s words', async () => {
    const cases: [FlagValues, string, RegExp][] = [
      [{ 'digitalocean-access-token': 'wrong' }, 'digitalocean-access-token', /unauthorized: Unable to authenticate you/],
      [{ 'digitalocean-region': 'mars1' }, 'digitalocean-region', /valid region/],
      [{ 'digitalocean-region': 'nyc2' }, 'digitalocean-region', /no new droplets/],
      [{ 'digitalocean-size': 's-64vcpu-1tb' }, 'digitalocean-size', /not a DigitalOcean size/],
      [{ 'digitalocean-image': 'windows-11' }, 'digitalocean-image', /not a DigitalOcean image/],
    ];
    for (const [flags, flag, message] of cases) {
      const { ref, state } = await configure('check', flags);
      const e = await expectError(driver.preCreateCheck(call(ref, state)));
      assert.equal(e.flag, flag, e.message);
      assert.match(e.summary, message);
      assert.ok(!e.summary.includes('\n'));
      assert.ok(!e.message.includes(TOKEN) && !e.message.includes('wrong'), 'no token in the message');
    }
    await assertNothingLeft();
  });

  it('creates, stops, starts, restarts, kills and removes a droplet, leaving nothing behind', async () => {
    const userData = path.join(home, 'cloud-init.yaml');
    fs.writeFileSync(userData, '#cloud-config\npackages: [htop]\n');
    const { ref, state, progress } = await create('m1', { 'digitalocean-tags': 'team,env:test', 'digitalocean-userdata': userData, 'digitalocean-monitoring': true, 'digitalocean-ipv6': true });
    assert.ok(progress.some((m) => /is active at/.test(m)), progress.join('\n'));

    const droplet = fake.droplets.get(Number(state.DropletID))!;
    assert.ok(droplet, 'the droplet exists on the API');
    assert.equal(droplet.name, 'm1');
    assert.equal(droplet.image.slug, 'ubuntu-24-04-x64');
    assert.equal(droplet.size.slug, 's-1vcpu-1gb');
    assert.equal(droplet.region.slug, 'nyc3');
    assert.equal(droplet.userData, '#cloud-config\npackages: [htop]\n');
    assert.equal(droplet.monitoring, true);
    assert.equal(droplet.ipv6, true);
    assert.deepEqual(droplet.tags.slice(0, 2), ['team', 'env:test']);
    assert.match(droplet.tags[2], /^machine-create-[0-9a-f]{12}$/);
    assert.equal(droplet.status, 'active');

    // The key in the account is the public half of the machine's own key, named after it.
    const pub = fs.readFileSync(path.join(ref.machineDir, 'id_rsa.pub'), 'utf8').trim();
    const key = fake.keys.get(Number(state.SSHKeyID))!;
    assert.equal(key.name, 'm1');
    assert.equal(key.public_key, pub);
    assert.deepEqual(droplet.sshKeyIds, [key.id]);
    assert.equal(state.SSHKeyCreated, true);
    assert.equal(fs.statSync(path.join(ref.machineDir, 'id_rsa')).mode & 0o777, 0o600);

    assert.equal(state.IPAddress, droplet.publicIp);
    assert.equal(await driver.getState(call(ref, state)), 'Running');
    assert.equal(await driver.getIP(call(ref, state)), droplet.publicIp);
    assert.equal(await driver.getURL(call(ref, state)), `tcp://${droplet.publicIp}:2376`);
    assert.deepEqual(await driver.getSSHInfo(call(ref, state)), { host: droplet.publicIp, port: 22, user: 'root', keyPath: path.join(ref.machineDir, 'id_rsa') });
    const described = await driver.describe(call(ref, state));
    assert.deepEqual([described.state, described.ip, described.url], ['Running', droplet.publicIp, `tcp://${droplet.publicIp}:2376`]);

    const before = fake.operations().length;
    await driver.stop(call(ref, state));
    const stopOps = fake.operations().slice(before);
    assert.ok(stopOps.includes('dropletActions_post') && stopOps.includes('actions_get'), `the action was followed: ${stopOps.join(', ')}`);
    assert.deepEqual([...fake.actions.values()].filter((a) => a.type !== 'create').map((a) => [a.type, a.status]), [['shutdown', 'completed']]);
    assert.equal(await driver.getState(call(ref, state)), 'Stopped');
    assert.equal(await driver.getURL(call(ref, state)), '');

    await driver.start(call(ref, state));
    assert.equal(droplet.status, 'active', 'start returned only once the droplet was active');
    await driver.restart(call(ref, state));
    await driver.kill(call(ref, state));
    assert.equal(droplet.status, 'off');
    assert.deepEqual([...fake.actions.values()].filter((a) => a.type !== 'create').map((a) => a.type), ['shutdown', 'power_on', 'reboot', 'power_off']);
    assert.ok([...fake.actions.values()].every((a) => a.status === 'completed'));
    // Stopping a stopped droplet asks for nothing.
    await driver.stop(call(ref, state));
    assert.equal([...fake.actions.values()].length, 5);
    // Restarting a droplet that is off starts it.
    await driver.restart(call(ref, state));
    assert.equal([...fake.actions.values()].at(-1)?.type, 'power_on');
    assert.equal(await driver.getState(call(ref, state)), 'Running');

    await driver.remove(call(ref, state));
    await assertNothingLeft();
    // Removing again succeeds: everything is already gone (404s are tolerated).
    await driver.remove(call(ref, state));
    const gone = await expectError(driver.getState(call(ref, state)));
    assert.equal(gone.code, 'not-found');
    assert.equal((await driver.describe(call(ref, state))).state, 'Not Found');
  });

  it('talks over the private address when asked', async () => {
    await fake.close();
    fake = await startFakeDigitalOcean({ timings: { newMs: 50, actionMs: 20 }, hostNetwork: 'private' });
    const { ref, state } = await create('private', { 'digitalocean-use-private-address': true, 'digitalocean-vpc-uuid': '5a4981aa-9653-4bd1-bef5-d6bff5000001' });
    const droplet = fake.droplets.get(Number(state.DropletID))!;
    assert.equal(droplet.vpcUuid, '5a4981aa-9653-4bd1-bef5-d6bff5000001');
    assert.equal(state.PrivateIPAddress, droplet.privateIp);
    assert.equal(await driver.getIP(call(ref, state)), droplet.privateIp);
    assert.equal((await driver.getSSHInfo(call(ref, state))).host, droplet.privateIp);
    await driver.remove(call(ref, state));
    await assertNothingLeft();
  });

  it('reuses a key the account already has, by fingerprint, and leaves it at rm', async () => {
    const ownKey = path.join(home, 'own_rsa');
    const { generateSSHKeyPair, writeSSHKeyPair } = await import('@machine/driver-sdk');
    const pair = await generateSSHKeyPair('me');
    await writeSSHKeyPair(ownKey, pair);
    const mine = fake.addKey('laptop', pair.publicKey);

    const viaPath = await create('reuse-path', { 'digitalocean-ssh-key-path': ownKey });
    assert.equal(viaPath.state.SSHKeyID, mine.id);
    assert.equal(viaPath.state.SSHKeyCreated, false);
    await driver.remove(call(viaPath.ref, viaPath.state));

    const viaFingerprint = await create('reuse-fp', { 'digitalocean-ssh-key-path': ownKey, 'digitalocean-ssh-key-fingerprint': fingerprintOf(pair.publicKey) });
    assert.deepEqual(fake.droplets.get(Number(viaFingerprint.state.DropletID))?.sshKeyIds, [mine.id]);
    assert.equal(fs.readFileSync(path.join(viaFingerprint.ref.machineDir, 'id_rsa'), 'utf8'), pair.privateKey);
    await driver.remove(call(viaFingerprint.ref, viaFingerprint.state));
    await assertNothingLeft(['laptop']);

    const unknown = await configure('unknown-fp', { 'digitalocean-ssh-key-path': ownKey, 'digitalocean-ssh-key-fingerprint': '00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff' });
    const e = await expectError(driver.preCreateCheck(call(unknown.ref, unknown.state)));
    assert.equal(e.flag, 'digitalocean-ssh-key-fingerprint');
    assert.match(e.summary, /doesn't exist/);
  });

  it('follows pagination over more than one page of keys and droplets', async () => {
    await fake.close();
    fake = await startFakeDigitalOcean({ timings: { newMs: 50, actionMs: 20 }, pageSize: 2 });
    const { generateSSHKeyPair, writeSSHKeyPair } = await import('@machine/driver-sdk');
    const own = await Promise.all(Array.from({ length: 5 }, (_, i) => generateSSHKeyPair(`k${i}`)));
    own.forEach((p, i) => fake.addKey(`user-${i}`, p.publicKey));

    // Two creates that made their droplet but answered 500: the retries leave three droplets with this create's tag.
    fake.switches.createThenFail = 2;
    const { state, ref } = await create('paged');
    const lists = fake.requests.filter((r) => r.label === 'droplets_list');
    assert.equal(lists.length, 2, `the tagged droplets took two pages of 2: ${lists.map((r) => r.url).join(', ')}`);
    assert.deepEqual([...fake.droplets.keys()], [state.DropletID], 'the duplicates were deleted, the kept one stays');
    assert.ok(fake.requests.filter((r) => r.label === 'regions_list').length > 1, 'regions over several pages');
    await driver.remove(call(ref, state));
    await assertNothingLeft(own.map((_, i) => `user-${i}`));

    // A key added by a create whose process died before it could record the key's id.
    const lost = await configure('lost-key');
    const pair = await generateSSHKeyPair('lost-key');
    await writeSSHKeyPair(path.join(lost.ref.machineDir, 'id_rsa'), pair);
    fake.addKey('lost-key', pair.publicKey);
    const before = fake.requests.length;
    await driver.remove(call(lost.ref, lost.state));
    const keyPages = fake.requests.slice(before).filter((r) => r.label === 'sshKeys_list');
    assert.equal(keyPages.length, 3, 'six keys, pages of 2');
    await assertNothingLeft(own.map((_, i) => `user-${i}`));
  });

  it('survives rate limiting and server errors during create', async () => {
    fake.throttle(2, { operation: 'droplets_create', resetSeconds: 1 });
    fake.serverErrors(2, 'droplets_get');
    fake.serverErrors(1, 'sshKeys_create');
    const started = Date.now();
    const { state, ref } = await create('throttled');
    assert.equal(fake.faults.injected.length, 5, 'every injected failure was met and retried');
    assert.ok(Date.now() - started >= 900, 'the 429s were waited out until ratelimit-reset');
    assert.equal(fake.droplets.size, 1, 'one droplet despite the retried create');
    await driver.remove(call(ref, state));
    await assertNothingLeft();
  });

  it('waits for the rate-limit reset when the budget runs out', async () => {
    await fake.close();
    fake = await startFakeDigitalOcean({ timings: { newMs: 50, actionMs: 20 }, rateLimit: { limit: 4, windowMs: 1500 } });
    const { state, ref } = await create('budget');
    assert.ok(fake.requests.length > 4, 'more requests than one window allows');
    assert.equal(fake.requests.filter((r) => r.status === 429).length, 0, 'no request was refused: the driver waited for the reset');
    await driver.remove(call(ref, state));
    await assertNothingLeft();
  });

  it('a droplet that never gets an IP times out with a clear message, and everything is rolled back', async () => {
    fake.switches.noAddress = true;
    const { ref, state } = await configure('no-ip', { 'digitalocean-create-timeout': 2 });
    const started = Date.now();
    const e = await expectError(driver.create(call(ref, state)));
    assert.equal(e.code, 'deadline-exceeded');
    assert.match(e.summary, /droplet \d+ is active but got no public IPv4 address within 2 s/);
    assert.equal(e.flag, 'digitalocean-create-timeout');
    assert.ok(Date.now() - started < 20_000);
    await assertNothingLeft();
    assert.ok(fake.operations().includes('droplets_destroy') && fake.operations().includes('sshKeys_delete'));
  });

  it('an action that errors fails the command with the action named', async () => {
    const { state, ref } = await create('bad-action');
    fake.switches.failActions.set('shutdown', 1);
    const e = await expectError(driver.stop(call(ref, state)));
    assert.match(e.summary, /the shutdown action \d+ on droplet \d+ ended errored/);
    assert.match(e.detail ?? '', /machine kill/);
    assert.equal(await driver.getState(call(ref, state)), 'Running');
    await driver.kill(call(ref, state));
    assert.equal(await driver.getState(call(ref, state)), 'Stopped');
    await driver.remove(call(ref, state));
    await assertNothingLeft();
  });

  it('a create the API refuses deletes the key it added', async () => {
    fake.serverErrors(Infinity, 'droplets_create');
    try {
      const { ref, state } = await configure('refused');
      const e = await expectError(driver.create(call(ref, state)));
      assert.equal(e.code, 'unavailable');
      assert.match(e.summary, /server_error: Server Error/);
    } finally {
      fake.faults.clear();
    }
    await assertNothingLeft();
  });

  it('rm finds a droplet whose create answer never arrived, by its create tag', async () => {
    const { ref, state } = await configure('lost');
    // As if the driver died after the droplet was made: the stored state has no id.
    const res = await fetch(`${fake.url}/v2/droplets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'lost', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', tags: [state.CreateTag] }),
    });
    assert.equal(res.status, 202);
    assert.equal(fake.droplets.size, 1);
    await driver.remove(call(ref, state));
    await assertNothingLeft();
  });

  it('cancelling create while it waits for the droplet deletes what it made', async () => {
    fake.timings.newMs = 30_000;
    const { ref, state } = await configure('cancelled');
    const controller = new AbortController();
    const progress: string[] = [];
    const p = driver.create(call(ref, state), { signal: controller.signal, onProgress: (m) => progress.push(m) });
    for (let n = 0; n < 400 && !progress.some((m) => /Waiting for droplet/.test(m)); n++) await new Promise((r) => setTimeout(r, 25));
    controller.abort();
    const e = await expectError(p);
    assert.equal(e.code, 'cancelled');
    for (let n = 0; n < 200 && (fake.droplets.size > 0 || fake.keys.size > 0); n++) await new Promise((r) => setTimeout(r, 25));
    await assertNothingLeft();
  });

  it('takes the token from doctl\'s config, storing only the context', async () => {
    const doctlHome = tempDir('do-doctl-');
    writeDoctlConfig(doctlHome, { accessToken: 'not-this-one', contexts: { work: TOKEN }, context: 'work' });
    const d = await launchDriver({ name: 'digitalocean', path: DRIVER_BIN, env: cleanDoEnv(doctlHome) });
    try {
      const ref = machine('doctl');
      const configured = await d.configure(ref, { 'digitalocean-api-url': fake.url });
      assert.equal(configured.state.AccessToken, undefined, 'no token in the state');
      assert.equal(configured.state.DoctlContext, 'work');
      await d.preCreateCheck(call(ref, configured.state));
      const out = await d.create(call(ref, configured.state));
      assert.equal(await d.getState(call(ref, out.state!)), 'Running');
      await d.remove(call(ref, out.state!));
      await assertNothingLeft();
    } finally {
      await d.close();
      fs.rmSync(doctlHome, { recursive: true, force: true });
    }
  });

  it('upgrades a machine stored by the reference driver and can then remove it', async () => {
    const { generateSSHKeyPair } = await import('@machine/driver-sdk');
    const key = fake.addKey('legacy', (await generateSSHKeyPair('legacy')).publicKey);
    const res = await fetch(`${fake.url}/v2/droplets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'legacy', region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', ssh_keys: [key.id] }),
    });
    const droplet = ((await res.json()) as { droplet: { id: number } }).droplet;
    const ref = machine('legacy');
    // Field names and zero values as the reference wrote them to config.json (no API URL: it had none).
    const stored = {
      IPAddress: '', MachineName: 'legacy', SSHUser: 'root', SSHPort: 22, SSHKeyPath: path.join(ref.machineDir, 'id_rsa'), StorePath: store,
      SwarmMaster: false, SwarmHost: '', SwarmDiscovery: '', AccessToken: TOKEN, DropletID: droplet.id, DropletName: 'legacy',
      Image: 'ubuntu-16-04-x64', Region: 'nyc3', SSHKeyID: key.id, SSHKeyFingerprint: '', SSHKey: '', Size: 's-1vcpu-1gb', IPv6: false,
      Backups: false, PrivateNetworking: false, UserDataFile: '', Monitoring: false, Tags: '',
    };
    const upgraded = await driver.upgradeState({ machine: ref, state: stored, stateVersion: 0 });
    assert.deepEqual(upgraded.state, stored, 'version-0 state is passed through as it is');
    // Point it at the local API, as a user of a compatible API would have.
    const local = { ...stored, ApiURL: fake.url };
    for (let n = 0; n < 200 && fake.droplets.get(droplet.id)?.status !== 'active'; n++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(await driver.getState(call(ref, local)), 'Running');
    await driver.remove(call(ref, local));
    await assertNothingLeft();
    assert.ok(!fake.keys.has(key.id), 'the reference added that key, so it goes');
  });

  it('logs requests at debug level without the token', async () => {
    const entries: { level: string; message: string; fields: Record<string, unknown> }[] = [];
    const logged = await launchDriver({ name: 'digitalocean', path: DRIVER_BIN, env: cleanDoEnv(home), onLog: (e) => entries.push(e) });
    try {
      const ref = machine('logged');
      const configured = await logged.configure(ref, endpointFlags(fake));
      await logged.preCreateCheck(call(ref, configured.state));
      const requests = entries.filter((e) => e.message === 'DigitalOcean request');
      assert.ok(requests.length >= 3, JSON.stringify(entries));
      assert.equal(requests[0].level, 'debug');
      assert.equal(requests[0].fields.path, '/v2/account');
      assert.ok(!JSON.stringify(entries).includes(TOKEN), 'no token in the logs');
    } finally {
      await logged.close();
    }
  });
});
