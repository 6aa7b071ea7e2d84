// Installing from npm: the CLI and SDK packages as `npm pack` makes them,
// published to the run's verdaccio on 127.0.0.1 (test/src/registry) and
// installed globally into a temporary prefix from there.
// The installed `machine` (no clone, no build step) creates a machine on a
// real test host, prints its env, runs a container through it and removes
// it; `npm uninstall -g` then leaves nothing in the prefix.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { npmEnv, npmRegistry, publishWorkspacePackage } from '../registry';
import { startHost, type TestHost } from '../hosts';
import { busyboxTarball, explain, genericFlags, LOCAL_IMAGE, run, Sandbox, type Result } from './generic-support';

/** Everything under dir, as paths relative to it. */
function tree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

describe('installing machine from npm (packed tarballs, local registry)', function () {
  this.timeout(900_000);
  const sb = new Sandbox();
  const prefix = path.join(sb.dir, 'prefix');
  const home = path.join(sb.dir, 'home');
  let registryUrl = '';
  const name = 'npm-installed';
  let host: TestHost;
  let tarball: string;

  // A user's shell: the prefix's bin and node on PATH, no checkout anywhere near.
  const userEnv = (): NodeJS.ProcessEnv =>
    npmEnv(
      { npm_config_registry: registryUrl, npm_config_cache: path.join(sb.dir, 'npm-cache'), npm_config_prefix: prefix },
      sb.env({ HOME: home, PATH: [path.join(prefix, 'bin'), path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':') }),
    );
  const shell = (script: string, timeoutMs = 600_000): Promise<Result> => run('bash', ['-c', script], { env: userEnv(), timeoutMs, cwd: home });

  before(async () => {
    fs.mkdirSync(home, { recursive: true });
    registryUrl = `${(await npmRegistry()).url}/`;
    // The CLI depends on the docker driver (loaded as an oclif plugin), so it is published too.
    for (const pkg of ['proto', 'plugins/driver-docker', 'cli']) await publishWorkspacePackage(pkg);
    tarball = await busyboxTarball(sb.dir);
    host = await startHost({ flavour: 'docker' });
  });

  after(async () => {
    if (fs.existsSync(path.join(prefix, 'bin', 'machine'))) await shell(`machine rm -f ${name}`);
    await host?.remove();
    sb.cleanup();
  });

  it('npm install -g puts machine on PATH', async () => {
    const r = await shell('npm install -g @machine/cli');
    assert.equal(r.code, 0, explain(r));
    const which = await shell('command -v machine');
    assert.equal(which.stdout.trim(), path.join(prefix, 'bin', 'machine'), explain(which));
    const version = await shell('machine version');
    assert.equal(version.code, 0, explain(version));
    assert.match(version.stdout, /0\.1\.0/);
    // What is installed is the package alone: no test files, nothing from the workspace.
    const installed = tree(path.join(prefix, 'lib', 'node_modules', '@machine', 'cli'));
    assert.ok(!installed.some((f) => f.endsWith('.test.js') && !f.startsWith('node_modules/')), 'our tests are not packed');
    assert.ok(installed.includes('dist/drivers/generic.js'), 'the bundled generic driver is packed');
    const sdk = fs.realpathSync(path.join(prefix, 'lib', 'node_modules', '@machine', 'cli', 'node_modules', '@machine', 'driver-sdk'));
    assert.ok(sdk.startsWith(fs.realpathSync(prefix)), `the SDK comes from the registry, not a link into the checkout: ${sdk}`);
  });

  it('the installed machine creates, sets up docker, runs a container and removes', async () => {
    const created = await shell(`machine create ${genericFlags(host).join(' ')} ${name}`);
    assert.equal(created.code, 0, explain(created));
    assert.match(created.stdout + created.stderr, /Docker is up and running!/);
    const env = await shell(`machine env ${name}`);
    assert.equal(env.code, 0, explain(env));
    assert.match(env.stdout, new RegExp(`export DOCKER_HOST="tcp://${host.ip.replace(/\./g, '\\.')}:2376"`));
    const ran = await shell(`eval "$(machine env ${name})" && docker import ${tarball} ${LOCAL_IMAGE} >/dev/null && docker run --rm ${LOCAL_IMAGE} /bin/echo hello from npm`);
    assert.equal(ran.code, 0, explain(ran));
    assert.equal(ran.stdout.trim(), 'hello from npm');
    const ls = await shell('machine ls -q');
    assert.equal(ls.stdout.trim(), name, explain(ls));
    const removed = await shell(`machine rm -y ${name}`);
    assert.equal(removed.code, 0, explain(removed));
    assert.deepEqual(sb.machines(), []);
  });

  it('npm uninstall -g leaves nothing behind in the prefix', async () => {
    const r = await shell('npm uninstall -g @machine/cli');
    assert.equal(r.code, 0, explain(r));
    assert.deepEqual(tree(path.join(prefix, 'bin')), []);
    // npm keeps the emptied @machine scope directory; not one file may stay.
    const left = tree(path.join(prefix, 'lib', 'node_modules')).filter((f) => !fs.statSync(path.join(prefix, 'lib', 'node_modules', f)).isDirectory());
    assert.deepEqual(left, []);
    const which = await shell('command -v machine');
    assert.notEqual(which.code, 0, 'machine is no longer on PATH');
  });
});
