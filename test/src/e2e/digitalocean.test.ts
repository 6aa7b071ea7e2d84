// The digitalocean driver end to end: the real CLI creates machines on the
// local DigitalOcean API, whose droplets are real test hosts (containers with
// sshd and dockerd, the machine's key installed for root), provisions them
// over SSH and drives them with the real docker client through `machine env`.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeDigitalOcean, TOKEN, type FakeDigitalOcean } from '../fakes/digitalocean';
import { cleanDoEnv, tempDir } from '../fakes/digitalocean/harness';
import { TestHostProvider } from '../hosts';
import { assertHostsGone, cliUser, until } from './cloud-support';
import { busyboxTarball, CLI, explain } from './generic-support';

const IMAGE = 'e2e-do/busybox:latest';

describe('digitalocean driver (e2e, local DigitalOcean API with real hosts)', function () {
  this.timeout(600_000);
  let fake: FakeDigitalOcean;
  let hosts: TestHostProvider;
  let tmp: string;
  let store: string;
  let home: string;
  let tarball: string;

  /** A user with the token and API URL in the environment and no machine selected. */
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const e = cleanDoEnv(home, { MACHINE_STORAGE_PATH: store, SHELL: '/bin/bash', DIGITALOCEAN_ACCESS_TOKEN: TOKEN, DIGITALOCEAN_API_URL: fake.url, ...extra });
    for (const k of ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_MACHINE_NAME', 'MACHINE_DRIVER', 'MACHINE_DEBUG']) delete e[k];
    for (const [k, v] of Object.entries(extra)) if (v === undefined) delete e[k];
    return e;
  };
  const { machine, ok, docker, rows } = cliUser(env);

  const dropletOf = (name: string) => [...fake.droplets.values()].find((d) => d.name === name);

  /** Nothing that machine made is left on the API, and no host behind a deleted droplet runs. */
  const assertNothingLeft = async (keys: string[] = []) => {
    await until(() => fake.droplets.size === 0, 'every droplet is deleted');
    assert.deepEqual([...fake.keys.values()].map((k) => k.name).sort(), keys.sort(), 'SSH keys left');
    await fake.settle();
    await assertHostsGone(hosts, 'deleted droplet');
  };

  before(async () => {
    tmp = tempDir('machine-e2e-do-');
    store = path.join(tmp, 'store');
    home = path.join(tmp, 'home');
    fs.mkdirSync(home);
    hosts = new TestHostProvider();
    fake = await startFakeDigitalOcean({ hosts, timings: { newMs: 200, actionMs: 50 } });
    tarball = await busyboxTarball(tmp);
  });

  after(async () => {
    await fake?.close();
    await hosts?.removeAll();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('one machine through its whole life (token and API URL from the environment)', () => {
    const name = 'do-life';

    it('creates the machine on a droplet', async () => {
      const r = await ok(['create', name, '-d', 'digitalocean', '--digitalocean-tags', 'e2e,team:infra']);
      assert.match(r.stdout + r.stderr, /Waiting for droplet \d+ to be active/);
      const droplet = dropletOf(name);
      assert.ok(droplet, 'a droplet named after the machine');
      assert.equal(droplet.status, 'active');
      assert.deepEqual(droplet.tags.slice(0, 2), ['e2e', 'team:infra']);
      assert.deepEqual([...fake.keys.values()].map((k) => k.name), [name]);
      assert.deepEqual((await rows()).get(name)?.slice(2, 5), ['digitalocean', 'Running', `tcp://${droplet.publicIp}:2376`]);
    });

    // The lock held mid-create is checked in driver-secrets.test.ts, where a
    // create is paused while its lock exists.
    it('masks the token in inspect and keeps it out of the debug log', async () => {
      const shown = (await ok(['inspect', name])).stdout;
      assert.ok(!shown.includes(TOKEN), 'inspect shows no token');
      assert.match(shown, /"AccessToken": "\*+"/);
      const debug = await ok(['--debug', 'status', name]);
      assert.ok(!(debug.stdout + debug.stderr).includes(TOKEN), 'no token in the debug log');
    });

    it('runs a locally imported image through machine env', async () => {
      await docker(name, ['import', tarball, IMAGE]);
      assert.equal(await docker(name, ['run', '--rm', IMAGE, '/bin/sh', '-c', 'echo hello from digitalocean']), 'hello from digitalocean');
    });

    it('stops, starts and restarts, waiting for each action', async () => {
      await ok(['stop', name]);
      assert.equal((await rows()).get(name)?.[3], 'Stopped');
      assert.equal(dropletOf(name)?.status, 'off');
      await ok(['start', name]);
      assert.equal(dropletOf(name)?.status, 'active');
      assert.equal(await docker(name, ['run', '--rm', IMAGE, '/bin/echo', 'after start']), 'after start');
      await ok(['restart', name]);
      assert.deepEqual([...fake.actions.values()].filter((a) => a.type !== 'create').map((a) => [a.type, a.status]), [
        ['shutdown', 'completed'],
        ['power_on', 'completed'],
        ['reboot', 'completed'],
      ]);
      assert.equal(await docker(name, ['run', '--rm', IMAGE, '/bin/echo', 'after restart']), 'after restart');
    });

    it('reaches the droplet with machine ssh', async () => {
      assert.equal((await ok(['ssh', name, 'id', '-un'])).stdout.trim(), 'root');
    });

    it('removes the machine, its droplet and the key it added', async () => {
      await ok(['rm', '-y', name]);
      assert.equal((await rows()).has(name), false);
      assert.ok(!fs.existsSync(path.join(store, 'machines', name)));
      await assertNothingLeft();
    });
  });

  it('a bad token fails the pre-create check with one line naming the flag, and nothing is made', async () => {
    const before = fake.requests.length;
    const r = await machine(['create', 'do-badtoken', '-d', 'digitalocean'], { DIGITALOCEAN_ACCESS_TOKEN: 'dop_v1_wrong' });
    assert.notEqual(r.code, 0, explain(r));
    assert.match(r.stderr, /--digitalocean-access-token/, explain(r));
    assert.match(r.stderr, /unauthorized: Unable to authenticate you/, explain(r));
    assert.ok(!r.stderr.includes('dop_v1_wrong'), 'the token is not echoed');
    assert.equal(fake.requests.length - before, 1, 'one request, not retried');
    assert.ok(!fs.existsSync(path.join(store, 'machines', 'do-badtoken')));
  });

  it('a droplet that never gets an IP times out, and the CLI rolls everything back', async () => {
    fake.switches.noAddress = true;
    try {
      const r = await machine(['create', 'do-noip', '-d', 'digitalocean', '--digitalocean-create-timeout', '3']);
      assert.notEqual(r.code, 0, explain(r));
      assert.match(r.stderr, /got no public IPv4 address within 3 s/, explain(r));
      assert.match(r.stderr, /--digitalocean-create-timeout/, explain(r));
    } finally {
      fake.switches.noAddress = false;
    }
    await assertNothingLeft();
    assert.ok(!fs.existsSync(path.join(store, 'machines', 'do-noip')));
  });

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL'] as const) {
    it(`${signal} while create waits for the droplet leaves nothing, or a record that rm -f clears`, async () => {
      const name = `do-${signal.toLowerCase()}`;
      fake.timings.newMs = 120_000;
      try {
        const child = spawn(process.execPath, [CLI, 'create', name, '-d', 'digitalocean'], { env: env(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        await until(() => /Waiting for droplet/.test(output), `create waits for the droplet:\n${output}`, 120_000);
        // The whole foreground process group: the CLI and its driver.
        process.kill(-child.pid!, signal);
        assert.notEqual(await exited, 0, output);
        if (fs.existsSync(path.join(store, 'machines', name))) {
          // Nobody was left to clean up (SIGKILL): the record, written before the driver ran, lets rm -f do it.
          assert.ok(fs.existsSync(path.join(store, 'machines', name, 'config.json')), `the machine is on record:\n${output}`);
          await ok(['rm', '-f', name]);
        } else {
          assert.notEqual(signal, 'SIGKILL', 'a killed create cannot have cleaned up');
        }
        await assertNothingLeft();
        assert.ok(!fs.existsSync(path.join(store, 'machines', name)), output);
      } finally {
        fake.timings.newMs = 200;
      }
    });
  }

  it('SIGKILL during rm leaves the record, and rm -f finishes the removal', async () => {
    const name = 'do-rmkill';
    await ok(['create', name, '-d', 'digitalocean']);
    fake.timings.latencyMs = 1500;
    try {
      const child = spawn(process.execPath, [CLI, 'rm', '-y', name], { env: env(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      // Killed while the droplet's DELETE is on its way: the droplet goes, the key stays.
      await until(() => fake.waiting('droplets_destroy') > 0, 'rm deletes the droplet', 60_000);
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
    } finally {
      fake.timings.latencyMs = 0;
    }
    await until(() => fake.droplets.size === 0, 'the DELETE that arrived was carried out');
    assert.deepEqual([...fake.keys.values()].map((k) => k.name), [name], 'the key is left');
    assert.ok(fs.existsSync(path.join(store, 'machines', name, 'config.json')), 'the machine is still on record');
    await ok(['rm', '-f', name]);
    await assertNothingLeft();
    assert.ok(!fs.existsSync(path.join(store, 'machines', name)));
  });
});
