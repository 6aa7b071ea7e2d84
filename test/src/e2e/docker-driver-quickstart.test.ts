// The README's first command, after the host setup that `npm test` has
// already done: create, env, docker run of a locally made image, ls, rm.
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { cliEnv, run } from './generic-support';

const ROOT = path.resolve(__dirname, '../../..');

async function quickstart(env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  const r = await run('bash', [path.join(ROOT, 'scripts/quickstart.sh')], { env, timeoutMs: 900_000 });
  return { code: r.code, output: `${r.stdout}${r.stderr}` };
}

describe('quickstart (e2e)', function () {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  let tmp: string;
  let store: string;

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'machine-e2e-quickstart-'));
    store = path.join(tmp, 'store');
  });

  after(async () => {
    const label = [`io.machine.store=${store}`];
    for (const c of await docker.listContainers({ all: true, filters: JSON.stringify({ label }) })) {
      await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    }
    const vols = await docker.listVolumes({ filters: JSON.stringify({ label }) });
    for (const v of vols.Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
    await fs.rm(tmp, { recursive: true, force: true });
  });

  function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return cliEnv(store, { MACHINE_QUICKSTART_SKIP_SETUP: '1', MACHINE_QUICKSTART_NAME: `qs${process.pid}`, ...extra });
  }

  it('runs the main job and leaves nothing behind', async () => {
    const name = `qs${process.pid}`;
    const r = await quickstart(env());
    assert.equal(r.code, 0, r.output);
    const steps = [`machine create ${name}`, `eval \\$\\(machine env ${name}\\)`, 'docker run --rm', 'machine ls', `machine rm -y ${name}`, 'quickstart done'];
    let at = 0;
    for (const step of steps) {
      const i = r.output.slice(at).search(new RegExp(`==> ${step}`));
      assert.ok(i >= 0, `step "${step}" is printed, in order:\n${r.output}`);
      at += i;
    }
    assert.match(r.output, new RegExp(`^hello from a busybox container on machine ${name}$`, 'm'));
    assert.match(r.output, new RegExp(`==> docker now talks to machine ${name} at tcp://`));
    assert.match(r.output, new RegExp(`^${name}\\s+\\*\\s+docker\\s+Running\\s+tcp://`, 'm'), 'ls shows the machine running and active');
    const left = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`io.machine.store=${store}`] }) });
    assert.deepEqual(left, []);
    await assert.rejects(fs.access(path.join(store, 'machines', name)));
  });

  it('fails with a clear message and removes the machine it made when a step fails', async () => {
    const name = `qs${process.pid}`;
    // A docker client that always fails: the machine exists by then.
    const bin = path.join(tmp, 'bin');
    await fs.mkdir(bin, { recursive: true });
    await fs.writeFile(path.join(bin, 'docker'), '#!/bin/sh\necho "docker: simulated failure" >&2\nexit 1\n', { mode: 0o755 });
    const r = await quickstart(env({ PATH: `${bin}:${process.env.PATH ?? ''}` }));
    assert.notEqual(r.code, 0, r.output);
    assert.match(r.output, new RegExp(`error: docker cannot reach machine ${name} at tcp://`));
    assert.match(r.output, new RegExp(`removing machine ${name} after the failure`));
    const left = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`io.machine.store=${store}`] }) });
    assert.deepEqual(left, []);
    await assert.rejects(fs.access(path.join(store, 'machines', name)));
  });
});
