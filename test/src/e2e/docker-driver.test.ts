// The docker driver end to end: the real CLI, the real local engine, machines
// that are real systemd containers running their own dockerd, reached with
// the real docker client through `machine env`.
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateEd25519HostKey } from '@machine/driver-sdk';
import Docker from 'dockerode';
import { busyboxTarball, cliEnv, explain, run, type Result } from './generic-support';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'cli/bin/run.js');
const NETWORK = `machine-e2e-${process.pid}`;
const IMAGE = 'e2e/busybox:latest';
// Container names are global on the engine: this run's own, so a leftover of another run cannot clash.
const RUN = process.pid;


class Machines {
  constructor(readonly store: string) {}

  cli(args: string[]): Promise<Result> {
    return run(process.execPath, [CLI, ...args], { env: cliEnv(this.store) });
  }

  async ok(args: string[]): Promise<Result> {
    const r = await this.cli(args);
    assert.equal(r.code, 0, `machine ${args.join(' ')} failed: ${explain(r)}`);
    return r;
  }

  /** DOCKER_* variables from `machine env NAME`, parsed from its export lines. */
  async env(name: string): Promise<NodeJS.ProcessEnv> {
    const r = await this.ok(['env', name]);
    const vars: NodeJS.ProcessEnv = {};
    for (const m of r.stdout.matchAll(/^export ([A-Z_]+)="([^"]*)"$/gm)) vars[m[1]] = m[2];
    assert.ok(vars.DOCKER_HOST, `machine env printed no DOCKER_HOST: ${r.stdout}`);
    return { ...cliEnv(this.store), ...vars };
  }

  async docker(name: string, args: string[]): Promise<Result> {
    return run('docker', args, { env: await this.env(name), timeoutMs: 120_000 });
  }

  async dockerOk(name: string, args: string[]): Promise<string> {
    const r = await this.docker(name, args);
    assert.equal(r.code, 0, `docker ${args.join(' ')} on ${name} failed: ${explain(r)}`);
    return r.stdout.trim();
  }

  /** Machine states from `machine ls`, by name. */
  async states(): Promise<Map<string, string>> {
    const r = await this.ok(['ls']);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^NAME\s+ACTIVE\s+DRIVER\s+STATE\s+URL/, `unexpected ls header: ${r.stdout}`);
    const out = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const cols = line.trim().split(/\s+/);
      out.set(cols[0], cols[3]);
    }
    return out;
  }
}

async function labelled(docker: Docker, store: string, name?: string): Promise<{ containers: string[]; volumes: string[] }> {
  const label = [`io.machine.store=${store}`, ...(name ? [`io.machine.name=${name}`] : [])];
  const containers = await docker.listContainers({ all: true, filters: JSON.stringify({ label }) });
  const volumes = await docker.listVolumes({ filters: JSON.stringify({ label }) });
  return { containers: containers.map((c) => c.Names[0]), volumes: (volumes.Volumes ?? []).map((v) => v.Name) };
}

describe('docker driver (e2e)', function () {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  let tmp: string;
  let store: string;
  let m: Machines;
  let tarball: string;

  before(async () => {
    await docker.ping();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'machine-e2e-docker-'));
    store = path.join(tmp, 'store');
    m = new Machines(store);
    tarball = await busyboxTarball(tmp);
  });

  after(async () => {
    // Only what this run made: found by its store label and network name.
    const { containers, volumes } = await labelled(docker, store);
    for (const c of containers) await docker.getContainer(c.replace(/^\//, '')).remove({ force: true, v: true }).catch(() => undefined);
    for (const v of volumes) await docker.getVolume(v).remove().catch(() => undefined);
    await docker.getNetwork(NETWORK).remove().catch(() => undefined);
    await fs.rm(tmp, { recursive: true, force: true });
  });

  describe('one machine through its whole life', () => {
    const name = `dev-${RUN}`;

    it('creates a machine with the default driver (docker)', async () => {
      await m.ok(['create', name, '--docker-network', NETWORK]);
      const inspect = JSON.parse((await m.ok(['inspect', name])).stdout) as { DriverName: string };
      assert.equal(inspect.DriverName, 'docker');
      assert.equal((await m.states()).get(name), 'Running');
      const { containers, volumes } = await labelled(docker, store, name);
      assert.deepEqual(containers, [`/${name}`]);
      assert.equal(volumes.length, 1);
      const info = await docker.getContainer(name).inspect();
      assert.ok(info.NetworkSettings.Networks[NETWORK], `container is not on ${NETWORK}`);
      // Not every capability and not unconfined: see the driver's README.
      assert.equal(info.HostConfig.Privileged, false);
      assert.deepEqual((info.HostConfig.CapAdd ?? []).map((c: string) => c.replace(/^CAP_/, '')).sort(), ['NET_ADMIN', 'SYS_ADMIN']);
      const seccomp = (info.HostConfig.SecurityOpt ?? []).find((o: string) => o.startsWith('seccomp='));
      assert.ok(seccomp && seccomp !== 'seccomp=unconfined' && seccomp.includes('init_module'), `seccomp: ${seccomp}`);
      const status = (await m.ok(['ssh', name, 'grep', 'CapEff', '/proc/1/status'])).stdout;
      const effective = BigInt(`0x${/CapEff:\s*(\w+)/.exec(status)?.[1] ?? 'x'}`);
      const CAP_SYS_MODULE = 16n;
      const CAP_SYS_RAWIO = 17n;
      assert.equal(effective & ((1n << CAP_SYS_MODULE) | (1n << CAP_SYS_RAWIO)), 0n, `init's capabilities: ${status}`);
      const key = await fs.stat(path.join(store, 'machines', name, 'id_rsa'));
      assert.equal(key.mode & 0o777, 0o600);
    });

    it('verifies the host key the driver generated, at create and after', async () => {
      const file = path.join(store, 'machines', name, 'config.json');
      const original = await fs.readFile(file, 'utf8');
      const config = JSON.parse(original) as { Driver: { SSHHostKey?: string }; Machine: { SSHHostKey?: string } };
      const keyMaterial = (line = '') => line.trim().split(/\s+/).slice(0, 2).join(' ');
      assert.match(config.Driver.SSHHostKey ?? '', /^ssh-ed25519 /);
      assert.equal(keyMaterial(config.Machine.SSHHostKey), keyMaterial(config.Driver.SSHHostKey), 'the key recorded at create is the one the driver generated');
      // A driver that reports another key: the core must refuse the host rather than trust it.
      config.Driver.SSHHostKey = generateEd25519HostKey(`root@${name}`).publicKey;
      await fs.writeFile(file, JSON.stringify(config, null, 2));
      try {
        const r = await m.cli(['provision', name]);
        assert.equal(r.code, 1, explain(r));
        assert.match(r.stderr, /The SSH host key of .* has changed: expected SHA256:/);
      } finally {
        await fs.writeFile(file, original);
      }
    });

    it('runs a container on the machine through machine env', async () => {
      await m.dockerOk(name, ['import', tarball, IMAGE]);
      const out = await m.dockerOk(name, ['run', '--rm', IMAGE, '/bin/sh', '-c', 'echo hello from the machine']);
      assert.equal(out, 'hello from the machine');
      // The image lives in the machine's engine, not the host's.
      await assert.rejects(docker.getImage(IMAGE).inspect(), (err: { statusCode?: number }) => err.statusCode === 404);
    });

    it('reaches a TLS tcp:// engine with --docker-cert-path (here the machine\'s own engine)', async () => {
      const env = await m.env(name);
      const host = env.DOCKER_HOST as string;
      const certs = env.DOCKER_CERT_PATH as string;
      const absent = `machine-e2e/absent:${process.pid}`;
      // Reaching the engine is proven by getting as far as its image list.
      const withCerts = await m.cli(['create', '--driver', 'docker', '--docker-host', host, '--docker-cert-path', certs, '--docker-image', absent, `nested-${RUN}`]);
      assert.notEqual(withCerts.code, 0);
      assert.match(withCerts.stdout + withCerts.stderr, new RegExp(`machine image ${absent} is not on the Docker engine at ${host}`));
      const noCerts = await m.cli(['create', '--driver', 'docker', '--docker-host', host, '--docker-image', absent, `nested-${RUN}`]);
      assert.notEqual(noCerts.code, 0);
      assert.match(noCerts.stdout + noCerts.stderr, new RegExp(`cannot reach the Docker engine at ${host}.*--docker-host`));
      const badCerts = await m.cli(['create', '--driver', 'docker', '--docker-host', host, '--docker-cert-path', path.join(tmp, 'nowhere'), `nested-${RUN}`]);
      assert.notEqual(badCerts.code, 0);
      assert.match(badCerts.stdout + badCerts.stderr, /cannot read ca\.pem in .*nowhere/);
      await assert.rejects(fs.access(path.join(store, 'machines', `nested-${RUN}`)));
    });

    it('keeps images and containers across stop and start', async () => {
      await m.dockerOk(name, ['create', '--name', 'keeper', IMAGE, '/bin/sleep', '1']);
      await m.ok(['stop', name]);
      assert.equal((await m.states()).get(name), 'Stopped');
      assert.equal((await docker.getContainer(name).inspect()).State.Running, false);
      // A stopped machine hands out no address, remembered or not.
      const notRunning: Record<string, string> = {
        url: 'Host is not running\n',
        env: 'Error checking TLS connection: Host is not running\n',
        config: 'Error running connection boilerplate: Host is not running\n',
        version: 'Unable to query docker version: Host is not running\n',
      };
      for (const [cmd, stderr] of Object.entries(notRunning)) {
        const r = await m.cli([cmd, name]);
        assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: 1, stdout: '', stderr }, `machine ${cmd} on a stopped machine`);
      }
      await m.ok(['start', name]);
      assert.equal((await m.states()).get(name), 'Running');
      assert.equal(await m.dockerOk(name, ['image', 'inspect', '--format', '{{.RepoTags}}', IMAGE]), `[${IMAGE}]`);
      assert.equal(await m.dockerOk(name, ['container', 'inspect', '--format', '{{.Name}}', 'keeper']), '/keeper');
    });

    it('follows an address change across stop and start: certificates are renewed for the new address', async () => {
      const before = (await m.ok(['ip', name])).stdout.trim();
      await m.ok(['stop', name]);
      // The engine hands out the lowest free address: a stand-in takes the machine's.
      const standIn = await docker.createContainer({
        Image: (await docker.getContainer(name).inspect()).Config.Image,
        Cmd: ['sleep', 'infinity'],
        Entrypoint: [],
        Labels: { 'io.machine.store': store, 'io.machine.e2e': 'stand-in' },
        HostConfig: { NetworkMode: NETWORK },
      });
      try {
        await standIn.start();
        const taken = (await standIn.inspect()).NetworkSettings.Networks[NETWORK].IPAddress;
        assert.equal(taken, before, 'the stand-in did not get the stopped machine\'s address, so nothing would change');
        await m.ok(['start', name]);
        const after = (await m.ok(['ip', name])).stdout.trim();
        assert.notEqual(after, before, 'the machine kept its address');
        const env = await m.env(name);
        assert.equal(env.DOCKER_HOST, `tcp://${after}:2376`);
        // DOCKER_TLS_VERIFY=1: this only works with a server certificate for the new address.
        assert.equal(env.DOCKER_TLS_VERIFY, '1');
        assert.equal(await m.dockerOk(name, ['run', '--rm', IMAGE, '/bin/echo', 'new address']), 'new address');
      } finally {
        await standIn.remove({ force: true });
      }
    });

    it('restarts, and the engine answers afterwards', async () => {
      const before = (await docker.getContainer(name).inspect()).State.StartedAt;
      await m.ok(['restart', name]);
      const after = (await docker.getContainer(name).inspect()).State.StartedAt;
      assert.notEqual(after, before, 'the container was not restarted');
      assert.equal(await m.dockerOk(name, ['run', '--rm', IMAGE, '/bin/echo', 'after restart']), 'after restart');
    });

    it('kills the machine', async () => {
      await m.ok(['kill', name]);
      const info = await docker.getContainer(name).inspect();
      assert.equal(info.State.Running, false);
      assert.equal(info.State.ExitCode, 137, 'kill is SIGKILL');
      assert.equal((await m.states()).get(name), 'Stopped');
    });

    it('removes the machine with its container and volume', async () => {
      await m.ok(['rm', '-y', name]);
      assert.deepEqual(await labelled(docker, store, name), { containers: [], volumes: [] });
      await assert.rejects(fs.access(path.join(store, 'machines', name)));
      assert.equal((await m.states()).has(name), false);
    });
  });

  describe('--docker-publish', () => {
    it('reaches SSH and the engine through ports published on 127.0.0.1', async () => {
      const name = `pub-${RUN}`;
      await m.ok(['create', '--driver', 'docker', '--docker-network', NETWORK, '--docker-publish', name]);
      try {
        const info = await docker.getContainer(name).inspect();
        const ports = info.NetworkSettings.Ports as Record<string, Array<{ HostIp: string; HostPort: string }>>;
        assert.equal(ports['22/tcp'][0].HostIp, '127.0.0.1');
        const engine = Object.keys(ports).filter((p) => p !== '22/tcp');
        assert.equal(engine.length, 1, `one engine port: ${JSON.stringify(ports)}`);
        const enginePort = ports[engine[0]][0];
        assert.equal(enginePort.HostIp, '127.0.0.1');
        // The daemon listens on the URL's port, so it is the same inside and out.
        assert.equal(engine[0], `${enginePort.HostPort}/tcp`);
        const url = (await m.ok(['url', name])).stdout.trim();
        assert.equal(url, `tcp://127.0.0.1:${enginePort.HostPort}`);
        assert.equal((await m.ok(['ssh', name, 'hostname'])).stdout.trim(), name);
        await m.dockerOk(name, ['import', tarball, IMAGE]);
        assert.equal(await m.dockerOk(name, ['run', '--rm', IMAGE, '/bin/echo', 'published']), 'published');
        // The ports were chosen at create: a restart keeps the URL.
        await m.ok(['restart', name]);
        assert.equal((await m.ok(['url', name])).stdout.trim(), url);
        assert.equal(await m.dockerOk(name, ['run', '--rm', IMAGE, '/bin/echo', 'still published']), 'still published');
      } finally {
        await m.ok(['rm', '-y', name]);
      }
      assert.deepEqual(await labelled(docker, store, name), { containers: [], volumes: [] });
    });
  });

  describe('several machines', () => {
    const names = [`p1-${RUN}`, `p2-${RUN}`, `p3-${RUN}`];
    const [p1, p2, p3] = names;

    it('creates three machines in parallel', async () => {
      const results = await Promise.all(names.map((n) => m.cli(['create', '--driver', 'docker', '--docker-network', NETWORK, n])));
      results.forEach((r, i) => assert.equal(r.code, 0, `create ${names[i]}: ${explain(r)}`));
      const states = await m.states();
      for (const n of names) assert.equal(states.get(n), 'Running', `${n} in ls`);
      const ips = await Promise.all(names.map(async (n) => (await m.ok(['ip', n])).stdout.trim()));
      assert.equal(new Set(ips).size, 3, `three distinct addresses: ${ips.join(' ')}`);
      for (const n of names) assert.equal(await m.dockerOk(n, ['info', '--format', '{{.Name}}']), n);
    });

    it('lists every machine while one is stopped', async () => {
      await m.ok(['stop', p2]);
      const r = await m.ok(['ls']);
      const states = await m.states();
      assert.equal(states.get(p1), 'Running');
      assert.equal(states.get(p2), 'Stopped');
      assert.equal(states.get(p3), 'Running');
      const row = r.stdout.split('\n').find((l) => l.startsWith(`${p2} `));
      assert.ok(row && !/tcp:\/\//.test(row), `a stopped machine has no URL: ${row}`);
    });

    it('keeps the network while a stopped machine is on it, and removes it with the last one', async () => {
      await m.ok(['rm', '-y', p1, p3]);
      await docker.getNetwork(NETWORK).inspect();
      await m.ok(['start', p2]);
      assert.equal((await m.states()).get(p2), 'Running');
      await m.ok(['rm', '-y', p2]);
      assert.deepEqual(await labelled(docker, store), { containers: [], volumes: [] });
      await assert.rejects(docker.getNetwork(NETWORK).inspect(), (err: { statusCode?: number }) => err.statusCode === 404);
    });
  });
});
