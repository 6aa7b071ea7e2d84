// The amazonec2 driver end to end: the real CLI creates machines on the
// local EC2 endpoint, whose instances are real test hosts (containers with
// sshd and dockerd), provisions them over SSH and drives them with the real
// docker client through `machine env`.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EC2Client, ImportKeyPairCommand } from '@aws-sdk/client-ec2';
import { startFakeEc2, ec2Fault, type FakeEc2 } from '../fakes/ec2';
import { ACCESS_KEY, SECRET_KEY, cleanAwsEnv, tempDir } from '../fakes/ec2/harness';
import { TestHostProvider } from '../hosts';
import { assertHostsGone, cliUser, until } from './cloud-support';
import { busyboxTarball, explain, run } from './generic-support';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'cli/bin/run.js');
const IMAGE = 'e2e/busybox:latest';

describe('amazonec2 driver (e2e, local EC2 endpoint with real hosts)', function () {
  this.timeout(600_000);
  let fake: FakeEc2;
  let hosts: TestHostProvider;
  let tmp: string;
  let store: string;
  let home: string;
  let tarball: string;

  /** The environment of a user with AWS credentials in the environment and no machine selected. */
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const e = cleanAwsEnv(home, { MACHINE_STORAGE_PATH: store, SHELL: '/bin/bash', AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY, ...extra });
    for (const k of ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_MACHINE_NAME', 'MACHINE_DRIVER']) delete e[k];
    for (const [k, v] of Object.entries(extra)) if (v === undefined) delete e[k];
    return e;
  };
  const { machine, ok, docker, rows: states } = cliUser(env);
  const create = (name: string, flags: string[] = [], extra?: NodeJS.ProcessEnv) =>
    // The name first: the CLI's list flags would take a trailing name as one more value.
    ok(['create', name, '-d', 'amazonec2', '--amazonec2-endpoint', fake.url, ...flags], extra);

  const instanceOf = (name: string) => [...fake.instances.values()].find((i) => i.tags.get('Name') === name && i.state !== 'terminated');

  /** Nothing that machine made is left on the endpoint. */
  const assertNothingLeft = async (keyPairs: string[] = []) => {
    await until(() => fake.liveInstances().length === 0, 'every instance is terminated');
    assert.deepEqual([...fake.keyPairs.keys()].sort(), keyPairs.sort(), 'key pairs left');
    assert.deepEqual([...fake.securityGroups.values()].map((g) => g.groupName), ['default'], 'security groups left');
    await fake.settle();
    await assertHostsGone(hosts, 'terminated instance');
  };

  before(async () => {
    tmp = tempDir('machine-e2e-ec2-');
    store = path.join(tmp, 'store');
    home = path.join(tmp, 'home');
    fs.mkdirSync(home);
    hosts = new TestHostProvider();
    fake = await startFakeEc2({ hosts, timings: { pendingMs: 300, stoppingMs: 100, shuttingDownMs: 100, spotFulfilMs: 300 } });

    tarball = await busyboxTarball(tmp);
  });

  after(async () => {
    await fake?.close();
    await hosts?.removeAll();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('one machine through its whole life (credentials from the environment)', () => {
    const name = 'ec2-life';
    // Containers holding the machine's first address, from stop until the end:
    // a reboot must find its address still taken, as EC2 keeps it across reboots.
    const squatterIds: string[] = [];
    const squatters: string[] = [];
    after(async () => {
      if (squatterIds.length) await run('docker', ['rm', '-f', ...squatterIds], { env: process.env });
    });

    it('creates the machine on an instance of the endpoint', async () => {
      const r = await create(name, ['--amazonec2-open-port', '8080']);
      assert.match(r.stdout + r.stderr, /Waiting for instance i-[0-9a-f]+ to be running/);
      const instance = instanceOf(name);
      assert.ok(instance, 'the instance is tagged with the machine name');
      assert.equal(instance.state, 'running');
      const row = (await states()).get(name);
      assert.deepEqual(row?.slice(2, 5), ['amazonec2', 'Running', `tcp://${instance.publicIp}:2376`]);
      assert.ok(fake.keyPairs.has(name));
      assert.ok([...fake.securityGroups.values()].some((g) => g.groupName === 'docker-machine' && g.ingress.some((p) => p.fromPort === 8080)));
    });

    it('runs a locally imported image through machine env', async () => {
      await docker(name, ['import', tarball, IMAGE]);
      assert.equal(await docker(name, ['run', '--rm', IMAGE, '/bin/sh', '-c', 'echo hello from ec2']), 'hello from ec2');
    });

    it('stops and starts at a new address; the certificates follow it', async () => {
      const oldIp = instanceOf(name)!.publicIp!;
      // The newest host with that address: earlier, removed machines may have had it too.
      const backing = [...hosts.hosts].reverse().find((h) => h.ip === oldIp)!;
      assert.ok(backing, `a test host has the instance's address ${oldIp}`);
      await ok(['stop', name]);
      assert.equal((await states()).get(name)?.[3], 'Stopped');
      assert.equal(instanceOf(name)?.state, 'stopped');
      // As on EC2, the stopped instance's public address goes to someone else.
      const image = (await run('docker', ['inspect', '-f', '{{.Config.Image}}', backing.containerId], { env: process.env })).stdout.trim();
      for (let n = 0; n < 8 && !squatters.includes(oldIp); n++) {
        const squat = await run('docker', ['run', '-d', '--rm', '--network', backing.network, '--entrypoint', '/bin/sleep', image, '600'], { env: process.env });
        assert.equal(squat.code, 0, explain(squat));
        squatterIds.push(squat.stdout.trim());
        squatters.push((await run('docker', ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', squat.stdout.trim()], { env: process.env })).stdout.trim());
      }
      assert.ok(squatters.includes(oldIp), `the freed address ${oldIp} was taken (squatters got ${squatters.join(', ')})`);
      await ok(['start', name]);
      const instance = instanceOf(name)!;
      assert.equal(instance.state, 'running');
      assert.notEqual(instance.publicIp, oldIp);
      assert.equal((await states()).get(name)?.[4], `tcp://${instance.publicIp}:2376`);
      assert.equal(await docker(name, ['run', '--rm', IMAGE, '/bin/echo', 'after start']), 'after start');
    });

    it('restarts, and the engine answers afterwards', async () => {
      await ok(['restart', name]);
      assert.ok(fake.actions().includes('RebootInstances'));
      assert.equal(await docker(name, ['run', '--rm', IMAGE, '/bin/echo', 'after restart']), 'after restart');
    });

    it('removes the machine and everything it made in EC2', async () => {
      await ok(['rm', '-y', name]);
      assert.equal((await states()).has(name), false);
      assert.ok(!fs.existsSync(path.join(store, 'machines', name)));
      await assertNothingLeft();
    });
  });

  it('a spot instance with only a private address, credentials from a profile file', async () => {
    const name = 'ec2-spot';
    const aws = path.join(tmp, 'aws');
    fs.mkdirSync(aws, { recursive: true });
    fs.writeFileSync(path.join(aws, 'credentials'), `[dm]\naws_access_key_id = ${ACCESS_KEY}\naws_secret_access_key = ${SECRET_KEY}\n`);
    fs.writeFileSync(path.join(aws, 'config'), '[profile dm]\nregion = us-east-1\n');
    const profileEnv = { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_CONFIG_FILE: path.join(aws, 'config'), AWS_SHARED_CREDENTIALS_FILE: path.join(aws, 'credentials') };
    await create(name, ['--amazonec2-profile', 'dm', '--amazonec2-request-spot-instance', '--amazonec2-private-address-only'], profileEnv);
    const instance = instanceOf(name)!;
    assert.ok(instance.spotInstanceRequestId, 'launched through a spot request');
    assert.equal(instance.publicIp, undefined);
    const config = JSON.parse(fs.readFileSync(path.join(store, 'machines', name, 'config.json'), 'utf8')) as { Driver: Record<string, unknown> };
    assert.equal(config.Driver.SecretKey, undefined, 'no secret stored for a profile');
    assert.equal(config.Driver.Profile, 'dm');
    const printed = (await ok(['env', name], profileEnv)).stdout;
    assert.match(printed, new RegExp(`DOCKER_HOST="tcp://${instance.privateIp.replace(/\./g, '\\.')}:2376"`));
    assert.match(await docker(name, ['info', '--format', '{{.Name}}']), /\S/);
    await ok(['rm', '-y', name], profileEnv);
    assert.equal(fake.spotRequests.get(instance.spotInstanceRequestId!)?.state, 'cancelled');
    await assertNothingLeft();
  });

  it('a swarm manager: its security group opens the swarm-mode ports, and its swarm answers', async () => {
    const name = 'ec2-swarm';
    const r = await create(name, ['--swarm-mode', 'manager']);
    assert.match(r.stdout, /Initialising a new swarm with this machine as its first manager/);
    const group = [...fake.securityGroups.values()].find((g) => g.groupName === 'docker-machine');
    assert.ok(group, 'the docker-machine group exists');
    assert.deepEqual(group.ingress.map((p) => `${p.fromPort}/${p.protocol}`).sort(), ['22/tcp', '2376/tcp', '2377/tcp', '4789/udp', '7946/tcp', '7946/udp']);
    assert.equal(await docker(name, ['info', '--format', '{{.Swarm.ControlAvailable}}']), 'true');
    // The last manager of its swarm goes only with --force.
    const forced = await ok(['rm', '-f', name]);
    assert.match(forced.stderr, /Warning: taking "ec2-swarm" out of its swarm loses quorum/);
    await assertNothingLeft();
  });

  it('an existing key pair with its private key; throttling during create is survived', async () => {
    const name = 'ec2-ownkey';
    const keyDir = path.join(tmp, 'keys');
    fs.mkdirSync(keyDir, { recursive: true });
    const r = await run('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '', '-f', path.join(keyDir, 'id_rsa')], { env: process.env });
    assert.equal(r.code, 0, explain(r));
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: fake.url, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY } });
    await ec2.send(new ImportKeyPairCommand({ KeyName: 'team-key', PublicKeyMaterial: fs.readFileSync(path.join(keyDir, 'id_rsa.pub')) }));
    ec2.destroy();

    fake.faults.inject(ec2Fault('RequestLimitExceeded'), { operation: 'RunInstances', times: 2 });
    fake.faults.inject(ec2Fault('RequestLimitExceeded'), { operation: 'DescribeInstances', times: 3 });
    await create(name, ['--amazonec2-keypair-name', 'team-key', '--amazonec2-ssh-keypath', path.join(keyDir, 'id_rsa'), '--amazonec2-access-key', ACCESS_KEY, '--amazonec2-secret-key', SECRET_KEY]);
    assert.equal(fake.faults.injected.length, 5, 'the throttled calls were retried');
    assert.equal(instanceOf(name)?.keyName, 'team-key');
    assert.match(await docker(name, ['info', '--format', '{{.Name}}']), /\S/);
    await ok(['rm', '-y', name]);
    await assertNothingLeft(['team-key']);
    fake.keyPairs.delete('team-key');
  });

  it('a wrong secret key fails at the first call with one clear line, and nothing is created', async () => {
    const before = fake.requests.length;
    const r = await machine(['create', '-d', 'amazonec2', '--amazonec2-endpoint', fake.url, 'ec2-wrong'], { AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
    assert.notEqual(r.code, 0, explain(r));
    assert.match(r.stderr, /secret key/i, explain(r));
    assert.match(r.stderr, /--amazonec2-secret-key/, explain(r));
    const calls = fake.requests.slice(before);
    assert.equal(calls.length, 1, `one request, not retried: ${calls.map((c) => c.label).join(', ')}`);
    assert.equal(calls[0].error, 'SignatureDoesNotMatch');
    assert.ok(!fs.existsSync(path.join(store, 'machines', 'ec2-wrong')), 'no half-written machine in the store');
  });

  it('a capacity error rolls back everything create made', async () => {
    fake.faults.inject(ec2Fault('InsufficientInstanceCapacity'), { operation: 'RunInstances', times: Infinity });
    try {
      const r = await machine(['create', '-d', 'amazonec2', '--amazonec2-endpoint', fake.url, '--amazonec2-retries', '0', 'ec2-full']);
      assert.notEqual(r.code, 0, explain(r));
      assert.match(r.stderr, /capacity/, explain(r));
      assert.match(r.stderr, /--amazonec2-zone/, explain(r));
    } finally {
      fake.faults.clear();
    }
    await assertNothingLeft();
    assert.ok(!fs.existsSync(path.join(store, 'machines', 'ec2-full')));
  });

  it('Ctrl-C while waiting for the instance to run rolls back', async () => {
    fake.timings.pendingMs = 120_000;
    try {
      const child = spawn(process.execPath, [CLI, 'create', '-d', 'amazonec2', '--amazonec2-endpoint', fake.url, 'ec2-interrupted'], {
        env: env(),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await until(() => /Waiting for instance/.test(output), `create waits for the instance:\n${output}`, 120_000);
      // Ctrl-C reaches the whole foreground process group: the CLI and its driver.
      process.kill(-child.pid!, 'SIGINT');
      const code = await exited;
      assert.notEqual(code, 0, output);
      await assertNothingLeft();
      assert.ok(!fs.existsSync(path.join(store, 'machines', 'ec2-interrupted')), output);
    } finally {
      fake.timings.pendingMs = 300;
    }
  });
});
