// The openstack driver end to end: the real CLI creates a machine on the
// local OpenStack (a real Keystone from Debian's packages, local Nova,
// Neutron and Glance) whose servers are real test hosts (containers with
// sshd and dockerd), provisions it over SSH and drives it with the real
// docker client through `machine env`.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeOpenStack, DEMO, type FakeOpenStack } from '../fakes/openstack';
import { cleanOsEnv, tempDir } from '../fakes/openstack/harness';
import { TestHostProvider } from '../hosts';
import { assertHostsGone, cliUser } from './cloud-support';
import { CLI, busyboxTarball, cliEnv, explain } from './generic-support';

const IMAGE = 'e2e/busybox:latest';

describe('openstack driver (e2e, real Keystone, local Nova and Neutron with real hosts)', function () {
  this.timeout(900_000);
  let fake: FakeOpenStack;
  let hosts: TestHostProvider;
  let tmp: string;
  let store: string;
  let home: string;
  let tarball: string;

  /** A user with a clouds.yaml, OS_CLOUD set and no machine selected. */
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => cliEnv(store, cleanOsEnv(home, { OS_CLOUD: 'local', ...extra }));
  const { machine, ok, docker } = cliUser(env);

  const row = async (name: string): Promise<string[] | undefined> => {
    const lines = (await ok(['ls'])).stdout.trim().split('\n');
    return lines.slice(1).map((l) => l.trim().split(/\s+/)).find((cols) => cols[0] === name);
  };

  const serverOf = (name: string) => [...fake.servers.values()].find((s) => s.name === name);

  /** Nothing that machine made is left in the cloud, and no host behind a server. */
  const assertNothingLeft = async () => {
    await fake.settle();
    assert.deepEqual([...fake.servers.values()].map((s) => s.name), [], 'servers left');
    assert.deepEqual([...fake.keyPairs.keys()], [], 'key pairs left');
    assert.deepEqual([...fake.floatingIps.keys()], [], 'floating IPs left');
    assert.deepEqual([...fake.securityGroups.values()].map((g) => g.name), ['default'], 'security groups left');
    assert.deepEqual([...fake.volumes.values()].map((v) => v.name), [], 'volumes left');
    await assertHostsGone(hosts, 'deleted server');
  };

  before(async () => {
    tmp = tempDir('machine-e2e-openstack-');
    store = path.join(tmp, 'store');
    home = path.join(tmp, 'home');
    hosts = new TestHostProvider();
    fake = await startFakeOpenStack({ hosts, timings: { buildMs: 200, actionMs: 50, deleteMs: 50 } });
    const dir = path.join(home, '.config', 'openstack');
    fs.mkdirSync(dir, { recursive: true });
    // The layout `openstack` CLI users have, with the password kept apart in secure.yaml.
    fs.writeFileSync(
      path.join(dir, 'clouds.yaml'),
      `clouds:\n  local:\n    auth:\n      auth_url: ${fake.authUrl}\n      username: ${DEMO.username}\n      project_name: ${DEMO.project}\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: ${fake.region}\n`,
    );
    fs.writeFileSync(path.join(dir, 'secure.yaml'), `clouds:\n  local:\n    auth:\n      password: ${DEMO.password}\n`);
    tarball = await busyboxTarball(tmp);
  });

  after(async () => {
    await fake?.close();
    await hosts?.removeAll();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('one machine through its whole life (clouds.yaml and OS_CLOUD, floating IP)', () => {
    const name = 'os-life';

    it('creates the machine on a server of the local cloud', async () => {
      const r = await ok(['create', name, '-d', 'openstack', '--openstack-flavor-name', 'm1.small', '--openstack-image-name', 'ubuntu-22.04', '--openstack-net-name', 'private', '--openstack-floatingip-pool', 'public', '--openstack-ssh-user', 'ubuntu']);
      assert.match(r.stdout + r.stderr, /Waiting for server [0-9a-f-]+ to become ACTIVE/);
      const server = serverOf(name);
      assert.ok(server, 'the server has the machine name');
      assert.equal(server.status, 'ACTIVE');
      const fip = [...fake.floatingIps.values()][0];
      assert.equal(fip?.portId, server.portId, 'the floating IP is on the server\'s port');
      assert.deepEqual((await row(name))?.slice(2, 5), ['openstack', 'Running', `tcp://${server.host!.ip}:2376`]);
      const config = fs.readFileSync(path.join(store, 'machines', name, 'config.json'), 'utf8');
      assert.doesNotMatch(config, /"Password"/, 'the password from secure.yaml is not copied into the store');
    });

    it('runs a locally imported image through machine env', async () => {
      await docker(name, ['import', tarball, IMAGE]);
      assert.equal(await docker(name, ['run', '--rm', IMAGE, '/bin/sh', '-c', 'echo hello from openstack']), 'hello from openstack');
    });

    it('stops, starts and restarts; the engine answers afterwards', async () => {
      await ok(['stop', name]);
      assert.equal((await row(name))?.[3], 'Stopped');
      assert.equal(serverOf(name)?.status, 'SHUTOFF');
      await ok(['start', name]);
      assert.equal(serverOf(name)?.status, 'ACTIVE');
      assert.equal(await docker(name, ['run', '--rm', IMAGE, '/bin/echo', 'after start']), 'after start');
      await ok(['restart', name]);
      assert.ok(fake.requests().some((r) => r.label === 'compute servers.action'));
      assert.equal(await docker(name, ['run', '--rm', IMAGE, '/bin/echo', 'after restart']), 'after restart');
    });

    it('opens an SSH session on the server', async () => {
      const r = await ok(['ssh', name, 'id', '-un']);
      assert.equal(r.stdout.trim(), 'ubuntu');
    });

    it('removes the machine and everything it made in the cloud', async () => {
      await ok(['rm', '-y', name]);
      assert.equal(await row(name), undefined);
      assert.ok(!fs.existsSync(path.join(store, 'machines', name)));
      await assertNothingLeft();
    });
  });

  it('a server that fails to build shows Nova\'s fault, and everything is released', async () => {
    fake.failNextBuild('No valid host was found. There are not enough hosts available.');
    const r = await machine(['create', 'os-broken', '-d', 'openstack', '--openstack-flavor-name', 'm1.small', '--openstack-image-name', 'ubuntu-22.04', '--openstack-net-name', 'private', '--openstack-floatingip-pool', 'public']);
    assert.notEqual(r.code, 0, explain(r));
    assert.match(r.stderr, /went to ERROR: No valid host was found/, explain(r));
    assert.ok(!fs.existsSync(path.join(store, 'machines', 'os-broken')), 'no half-written machine in the store');
    await assertNothingLeft();
  });

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} to the command while the server builds removes what create made`, async () => {
      fake.timings.buildMs = 120_000;
      const name = `os-${signal.toLowerCase()}`;
      try {
        const child = spawn(process.execPath, [CLI, 'create', name, '-d', 'openstack', '--openstack-flavor-name', 'm1.small', '--openstack-image-name', 'ubuntu-22.04', '--openstack-net-name', 'provider'], {
          env: env(),
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        for (let n = 0; n < 1200 && !/to become ACTIVE/.test(output); n++) await new Promise((r) => setTimeout(r, 100));
        assert.match(output, /to become ACTIVE/, output);
        assert.equal(serverOf(name)?.status, 'BUILD');
        // A terminal's signals reach the whole foreground process group: the CLI and its driver.
        process.kill(-child.pid!, signal);
        assert.notEqual(await exited, 0, output);
        // The driver's rollback may still run after the command ended.
        const clean = () => fake.servers.size === 0 && fake.keyPairs.size === 0 && [...fake.securityGroups.values()].every((g) => g.name === 'default');
        for (let n = 0; n < 300 && !clean(); n++) await new Promise((r) => setTimeout(r, 100));
        await assertNothingLeft();
        if (signal === 'SIGHUP' && fs.existsSync(path.join(store, 'machines', name))) {
          // The command itself ends at a hangup, without tidying its store: rm -f does.
          await ok(['rm', '-f', '-y', name]);
        }
        assert.ok(!fs.existsSync(path.join(store, 'machines', name)), output);
      } finally {
        fake.timings.buildMs = 200;
      }
    });
  }

  it('SIGKILL during create leaves the machine in the store, and rm -f removes what create made', async () => {
    fake.timings.buildMs = 120_000;
    const name = 'os-sigkill';
    try {
      const child = spawn(process.execPath, [CLI, 'create', name, '-d', 'openstack', '--openstack-flavor-name', 'm1.small', '--openstack-image-name', 'ubuntu-22.04', '--openstack-net-name', 'private', '--openstack-floatingip-pool', 'public'], {
        env: env(),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      for (let n = 0; n < 1200 && !/to become ACTIVE/.test(output); n++) await new Promise((r) => setTimeout(r, 100));
      assert.match(output, /to become ACTIVE/, output);
      // Nothing can clean up: the command and its driver die at once.
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
      assert.equal(serverOf(name)?.status, 'BUILD', 'the server outlived the command');
      assert.ok(fs.existsSync(path.join(store, 'machines', name, 'config.json')), 'the machine is in the store');
      await ok(['rm', '-f', '-y', name]);
      assert.ok(!fs.existsSync(path.join(store, 'machines', name)));
      await assertNothingLeft();
    } finally {
      fake.timings.buildMs = 200;
    }
  });

  it('a bad flag value gives one clear line naming the flag, before anything is made', async () => {
    const before = fake.requests().length;
    const r = await machine(['create', 'os-bad', '-d', 'openstack', '--openstack-flavor-name', 'm1.small', '--openstack-image-name', 'ubuntu-22.04', '--openstack-ip-version', '5']);
    assert.notEqual(r.code, 0, explain(r));
    assert.match(r.stderr, /--openstack-ip-version must be 4 or 6/, explain(r));
    assert.equal(fake.requests().length, before, 'nothing reached the cloud');
  });
});
