// The docker driver refusing bad input: each failed create says what is wrong
// and how to fix it, and leaves no container, volume, network or store entry.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { cliEnv, run } from './generic-support';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'cli/bin/run.js');
const TEST_LABEL = 'io.machine.e2e-run';
const RUN = String(process.pid);

async function machine(store: string, args: string[]): Promise<{ code: number; output: string }> {
  const r = await run(process.execPath, [CLI, ...args], { env: cliEnv(store), timeoutMs: 300_000 });
  return { code: r.code, output: `${r.stdout}${r.stderr}` };
}

describe('docker driver: bad input (e2e)', function () {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  let tmp: string;
  let store: string;

  before(async () => {
    await docker.ping();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'machine-e2e-docker-bad-'));
    store = path.join(tmp, 'store');
  });

  after(async () => {
    for (const c of await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${TEST_LABEL}=${RUN}`] }) })) {
      await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    }
    for (const c of await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`io.machine.store=${store}`] }) })) {
      await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    }
    const vols = await docker.listVolumes({ filters: JSON.stringify({ label: [`io.machine.store=${store}`] }) });
    for (const v of vols.Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
    for (const n of await docker.listNetworks({ filters: JSON.stringify({ name: [`machine-e2e-bad-${RUN}`] }) })) {
      await docker.getNetwork(n.Id).remove().catch(() => undefined);
    }
    await fs.rm(tmp, { recursive: true, force: true });
  });

  /** Asserts the failed create of `name` left nothing behind. */
  async function assertNothingLeft(name: string, network?: string): Promise<void> {
    const label = [`io.machine.name=${name}`, `io.machine.store=${store}`];
    const containers = await docker.listContainers({ all: true, filters: JSON.stringify({ label }) });
    assert.deepEqual(containers.map((c) => c.Names[0]), [], 'no container');
    const volumes = await docker.listVolumes({ filters: JSON.stringify({ label }) });
    assert.deepEqual((volumes.Volumes ?? []).map((v) => v.Name), [], 'no volume');
    if (network) {
      await assert.rejects(docker.getNetwork(network).inspect(), (err: { statusCode?: number }) => err.statusCode === 404, `network ${network} was removed`);
    }
    await assert.rejects(fs.access(path.join(store, 'machines', name)), `no store entry for ${name}`);
    const ls = await machine(store, ['ls', '-q']);
    assert.equal(ls.code, 0, ls.output);
    assert.ok(!ls.output.split('\n').includes(name), `ls -q does not list ${name}: ${ls.output}`);
  }

  it('an unreachable --docker-host', async () => {
    const name = `bad-host-${RUN}`;
    const r = await machine(store, ['create', '--driver', 'docker', '--docker-host', `unix://${tmp}/no-engine.sock`, name]);
    assert.notEqual(r.code, 0);
    assert.match(r.output, /cannot reach the Docker engine at unix:\/\/.*no-engine\.sock/);
    assert.match(r.output, /--docker-host/);
    await assertNothingLeft(name);
  });

  it('a missing machine image', async () => {
    const name = `bad-image-${RUN}`;
    const network = `machine-e2e-bad-${RUN}-img`;
    const r = await machine(store, ['create', '--driver', 'docker', '--docker-image', `machine-e2e/absent:${RUN}`, '--docker-network', network, name]);
    assert.notEqual(r.code, 0);
    assert.match(r.output, new RegExp(`machine image machine-e2e/absent:${RUN} is not on the Docker engine`));
    assert.match(r.output, /machine image build/);
    await assertNothingLeft(name, network);
  });

  it('a name already in use on the engine', async () => {
    const name = `busy-${RUN}`;
    // Any container of that name, here one that is not a machine at all.
    const images = await docker.listImages({ filters: JSON.stringify({ dangling: ['false'] }) });
    const anyImage = images.find((i) => (i.RepoTags ?? []).some((t) => t !== '<none>:<none>'))?.RepoTags?.[0];
    assert.ok(anyImage, 'the engine has at least one tagged image (the machine image)');
    const squatter = await docker.createContainer({ name, Image: anyImage, Cmd: ['/bin/true'], Labels: { [TEST_LABEL]: RUN } });
    const r = await machine(store, ['create', '--driver', 'docker', name]);
    assert.notEqual(r.code, 0);
    assert.match(r.output, new RegExp(`container named "${name}" already exists`));
    assert.equal((await squatter.inspect()).Config.Labels[TEST_LABEL], RUN, 'the other container is untouched');
    await assertNothingLeft(name);
  });

  it('an engine that refuses the container (--docker-memory too small)', async () => {
    const name = `bad-memory-${RUN}`;
    const network = `machine-e2e-bad-${RUN}-mem`;
    const r = await machine(store, ['create', '--driver', 'docker', '--docker-memory', '1', '--docker-network', network, name]);
    assert.notEqual(r.code, 0);
    assert.match(r.output, /the Docker engine refused the machine's container: .*[Mm]emory/);
    assert.match(r.output, /--docker-memory/);
    await assertNothingLeft(name, network);
  });

  it('an interrupted create (Ctrl-C while the container starts)', async () => {
    const name = `interrupted-${RUN}`;
    const network = `machine-e2e-bad-${RUN}-int`;
    const child = spawn(process.execPath, [CLI, 'create', '--driver', 'docker', '--docker-network', network, name], { env: cliEnv(store), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let sent = false;
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // The container exists by now: there is something to undo.
      if (!sent && output.includes(`(${name}) Starting the container`)) {
        sent = true;
        child.kill('SIGINT');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const code = await exited;
    assert.ok(sent, `create never reached the container start:\n${output}`);
    assert.notEqual(code, 0, output);
    await assertNothingLeft(name, network);
  });

  it('a network that gives the machine no address', async () => {
    const name = `bad-network-${RUN}`;
    const r = await machine(store, ['create', '--driver', 'docker', '--docker-network', 'host', name]);
    assert.notEqual(r.code, 0);
    assert.match(r.output, /--docker-network host gives the machine no address/);
    await assertNothingLeft(name);
  });
});
