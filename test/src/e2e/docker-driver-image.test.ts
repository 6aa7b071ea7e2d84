// `machine image build`: the docker driver's machine image from the project's
// one recipe, under a tag of this run's own, then a machine made from it.
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { cliEnv, run, type Result } from './generic-support';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'cli/bin/run.js');
const TAG = `machine-e2e/debian:${process.pid}`;

function machine(store: string, args: string[]): Promise<Result> {
  return run(process.execPath, [CLI, ...args], { env: cliEnv(store), timeoutMs: 900_000 });
}

describe('machine image build (e2e)', function () {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  let tmp: string;
  let store: string;

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'machine-e2e-image-'));
    store = path.join(tmp, 'store');
  });

  after(async () => {
    for (const c of await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`io.machine.store=${store}`] }) })) {
      await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    }
    const vols = await docker.listVolumes({ filters: JSON.stringify({ label: [`io.machine.store=${store}`] }) });
    for (const v of vols.Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
    await docker.getImage(TAG).remove({ force: true }).catch(() => undefined);
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('builds the image with progress, then finds it up to date', async () => {
    const r = await machine(store, ['image', 'build', '--tag', TAG]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^Building machine image ${TAG} on unix:///var/run/docker.sock\\.\\.\\.$`, 'm'));
    assert.match(r.stdout, /^ {2}importing .* into the engine$/m);
    assert.match(r.stdout, new RegExp(`^Machine image ${TAG} is ready`, 'm'));
    const info = await docker.getImage(TAG).inspect();
    assert.equal(info.Config.Labels?.['io.machine.image.flavour'], 'docker');

    const again = await machine(store, ['image', 'build', '--tag', TAG]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /up to date/);
    assert.equal((await docker.getImage(TAG).inspect()).Id, info.Id, 'nothing was rebuilt');
  });

  it('makes machines from an image given with --docker-image', async () => {
    const name = `fromtag-${process.pid}`;
    const r = await machine(store, ['create', '--driver', 'docker', '--docker-image', TAG, name]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal((await docker.getContainer(name).inspect()).Config.Image, TAG);
    const rm = await machine(store, ['rm', '-y', name]);
    assert.equal(rm.code, 0, rm.stderr);
  });

  it('explains an unreachable engine', async () => {
    const r = await machine(store, ['image', 'build', '--tag', TAG, '--docker-host', `unix://${tmp}/none.sock`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /cannot reach the Docker engine at unix:\/\/.*none\.sock .*--docker-host/);
  });
});
