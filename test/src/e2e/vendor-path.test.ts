// The vendor's path, end to end: a third-party driver package
// (test/fixtures/driver-exoscale, made by `npm init machine-driver exoscale`
// and then written as a vendor would) builds against @machine/driver-sdk as
// published to the run's npm registry (verdaccio on 127.0.0.1), passes its
// own kit test and is published with `npm publish`. A user then installs it
// with `machine plugins install driver-exoscale` (npm_config_registry set, as
// a user of a private registry does) and makes a machine with it on a local
// Exoscale-like API whose instances are real test hosts: create, env, docker
// run, stop, start, rm. Uninstalled, its driver leaves a machine that `ls`
// still lists, with the error naming the command that brings it back.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { API_KEY, API_SECRET, startFakeExoscale, type FakeExoscale } from '../fakes/exoscale';
import { TestHostProvider } from '../hosts';
import { npmEnv, npmRegistry, publishWorkspacePackage, REPO, type Verdaccio } from '../registry';
import { busyboxTarball, CLI, cliEnv, explain, run, type Result } from './generic-support';

const IMAGE = 'e2e-exoscale/busybox:latest';
const FIXTURE = path.join(REPO, 'test', 'fixtures', 'driver-exoscale');

/** The fixture's sources, as the vendor's repository holds them (no build output, no node_modules). */
function copySources(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true, filter: (src) => !/[/\\](node_modules|lib|dist)$/.test(src) && !src.endsWith('.tgz') });
}

describe('the vendor path: npm publish of a driver package, machine plugins install, a working machine', function () {
  this.timeout(900_000);
  let registry: Verdaccio;
  let fake: FakeExoscale;
  let hosts: TestHostProvider;
  let tmp: string;
  let vendorDir: string;
  let home: string;
  let store: string;
  let tarball: string;

  /** The vendor's shell: their own checkout, the run's registry, npm's cache of their own. */
  const vendor = (cmd: string, args: string[]): Promise<Result> =>
    run('npm', [cmd, ...args], {
      cwd: vendorDir,
      timeoutMs: 600_000,
      env: npmEnv({ npm_config_registry: `${registry.url}/`, npm_config_userconfig: registry.npmrc, npm_config_cache: path.join(tmp, 'vendor-npm-cache'), HOME: path.join(tmp, 'vendor-home') }),
    });

  /** A user's shell: credentials and endpoint in the environment, the registry in npm_config_registry. */
  const userEnv = (): NodeJS.ProcessEnv =>
    npmEnv(
      { npm_config_registry: `${registry.url}/`, npm_config_cache: path.join(tmp, 'user-npm-cache') },
      cliEnv(store, {
        HOME: home,
        XDG_DATA_HOME: path.join(home, '.local', 'share'),
        XDG_CONFIG_HOME: path.join(home, '.config'),
        XDG_CACHE_HOME: path.join(home, '.cache'),
        EXOSCALE_API_KEY: API_KEY,
        EXOSCALE_API_SECRET: API_SECRET,
        EXOSCALE_API_ENDPOINT: fake.url,
      }),
    );
  const machine = (args: string[]): Promise<Result> => run(process.execPath, [CLI, ...args], { env: userEnv(), timeoutMs: 600_000 });
  const ok = async (args: string[]): Promise<Result> => {
    const r = await machine(args);
    assert.equal(r.code, 0, `machine ${args.join(' ')}: ${explain(r)}`);
    return r;
  };
  const docker = async (name: string, args: string[]): Promise<string> => {
    const vars: NodeJS.ProcessEnv = {};
    for (const m of (await ok(['env', name])).stdout.matchAll(/^export ([A-Z_]+)="([^"]*)"$/gm)) vars[m[1]] = m[2];
    assert.ok(vars.DOCKER_HOST, 'machine env sets DOCKER_HOST');
    const r = await run('docker', args, { env: { ...userEnv(), ...vars }, timeoutMs: 120_000 });
    assert.equal(r.code, 0, `docker ${args.join(' ')} on ${name}: ${explain(r)}`);
    return r.stdout.trim();
  };
  const lsRow = async (name: string): Promise<Record<string, string> | undefined> => {
    const r = await ok(['ls', '--format', '{{.Name}}|{{.DriverName}}|{{.State}}|{{.URL}}|{{.Error}}']);
    const row = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('|'))
      .find((f) => f[0] === name);
    return row && { name: row[0], driver: row[1], state: row[2], url: row[3], error: row[4] };
  };
  const drivers = async (): Promise<{ name: string; source: string; path: string }[]> =>
    JSON.parse((await ok(['driver', 'ls', '--json'])).stdout) as { name: string; source: string; path: string }[];
  const createFlags = (name: string): string[] => ['create', '-d', 'exoscale', '--exoscale-instance-profile', 'standard.small', '--exoscale-disk-size', '20', name];

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'machine-e2e-vendor-'));
    vendorDir = path.join(tmp, 'driver-exoscale');
    home = path.join(tmp, 'home');
    store = path.join(tmp, 'store');
    fs.mkdirSync(home);
    fs.mkdirSync(path.join(tmp, 'vendor-home'));
    copySources(FIXTURE, vendorDir);
    registry = await npmRegistry();
    await publishWorkspacePackage('proto');
    hosts = new TestHostProvider();
    fake = await startFakeExoscale({ hosts, operationMs: 50 });
    tarball = await busyboxTarball(tmp);
  });

  after(async () => {
    await fake?.close();
    await hosts?.removeAll();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('the vendor', () => {
    it('npm init machine-driver exoscale, from the registry, writes the package the fixture was started from', async () => {
      await publishWorkspacePackage('create-machine-driver');
      const fresh = path.join(tmp, 'fresh');
      fs.mkdirSync(fresh);
      const r = await run('npm', ['init', 'machine-driver', 'exoscale', '--yes'], {
        cwd: fresh,
        timeoutMs: 300_000,
        env: npmEnv({ npm_config_registry: `${registry.url}/`, npm_config_cache: path.join(tmp, 'vendor-npm-cache'), HOME: path.join(tmp, 'vendor-home') }),
      });
      assert.equal(r.code, 0, explain(r));
      const made = path.join(fresh, 'driver-exoscale');
      const files = (dir: string) => (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
      assert.deepEqual(files(made), files(vendorDir), 'the same files as the fixture');
      // The vendor wrote the driver, its README, its description and the kit's flags; the layout is the starter's.
      for (const same of ['bin/machine-driver-exoscale', 'tsconfig.json', '.gitignore']) {
        assert.equal(fs.readFileSync(path.join(vendorDir, same), 'utf8'), fs.readFileSync(path.join(made, same), 'utf8'), same);
      }
      const layout = (dir: string) => {
        const { description: _d, keywords: _k, ...rest } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
        return rest;
      };
      assert.deepEqual(layout(vendorDir), layout(made));
    });

    it('installs the published SDK from the registry, builds, bundles and passes the kit', async () => {
      const install = await vendor('install', []);
      assert.equal(install.code, 0, explain(install));
      const sdk = path.join(vendorDir, 'node_modules', '@machine', 'driver-sdk');
      assert.ok(!fs.lstatSync(sdk).isSymbolicLink(), 'the SDK is an installed package, not a link into the checkout');
      const lock = JSON.parse(fs.readFileSync(path.join(vendorDir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string }> };
      assert.match(lock.packages['node_modules/@machine/driver-sdk']?.resolved ?? '', new RegExp(`^${registry.url}/@machine/driver-sdk/-/driver-sdk-0\\.1\\.0\\.tgz$`));
      const build = await vendor('run', ['build']);
      assert.equal(build.code, 0, explain(build));
      const bundle = await vendor('run', ['bundle']);
      assert.equal(bundle.code, 0, explain(bundle));
      const kit = await vendor('test', []);
      assert.equal(kit.code, 0, explain(kit));
      assert.match(kit.stdout, /\d+ passing/);
      assert.doesNotMatch(kit.stdout, /^\s*\d+ failing/m);
    });

    it('publishes driver-exoscale: the bundle and the executable ship, no dependency does', async () => {
      const r = await vendor('publish', []);
      assert.equal(r.code, 0, explain(r));
      const view = await vendor('view', ['driver-exoscale', '--json']);
      assert.equal(view.code, 0, explain(view));
      const doc = JSON.parse(view.stdout) as { version: string; dependencies?: object; oclif?: object; machine?: { drivers?: Record<string, string> } };
      assert.equal(doc.version, '0.1.0');
      assert.equal(doc.dependencies, undefined);
      assert.deepEqual(doc.machine?.drivers, { exoscale: 'bin/machine-driver-exoscale' });
    });

    it('its kit test, given the local API, also cancels a create and runs a whole lifecycle on a real host', async () => {
      const r = await run('npm', ['test'], {
        cwd: vendorDir,
        timeoutMs: 600_000,
        env: npmEnv({ EXOSCALE_API_ENDPOINT: fake.url, EXOSCALE_API_KEY: API_KEY, EXOSCALE_API_SECRET: API_SECRET }),
      });
      assert.equal(r.code, 0, explain(r));
      assert.match(r.stdout, /a cancelled Create ends with CANCELLED/);
      assert.match(r.stdout, /creates, reports, stops, starts, restarts, kills and removes a machine/);
      assert.doesNotMatch(r.stdout, /^\s*\d+ failing/m);
      await fake.settle();
      assert.equal(fake.instances.size, 0, 'the kit left no instance');
      assert.equal(fake.sshKeys.size, 0, 'the kit left no SSH key');
      assert.ok(fake.requests.some((q) => q.label === 'PUT /instance/{id}:reboot'), 'the lifecycle went through the API');
    });
  });

  describe('the user', () => {
    const name = 'exo-life';

    it('machine plugins install driver-exoscale, with npm_config_registry, adds the driver', async () => {
      assert.ok(!(await drivers()).some((d) => d.name === 'exoscale'), 'no exoscale driver before the install');
      await ok(['plugins', 'install', 'driver-exoscale']);
      const exoscale = (await drivers()).find((d) => d.name === 'exoscale');
      assert.ok(exoscale, 'driver ls lists exoscale');
      assert.match(exoscale.source, /plugin/);
      assert.equal(exoscale.path, path.join(home, '.local', 'share', 'machine', 'node_modules', 'driver-exoscale', 'bin', 'machine-driver-exoscale'));
      const table = (await ok(['driver', 'ls'])).stdout;
      assert.match(table, /^exoscale\s/m);
      // What was installed is the published package alone: its bundle, no dependency.
      const modules = path.join(home, '.local', 'share', 'machine', 'node_modules');
      assert.deepEqual(fs.readdirSync(modules).filter((f) => !f.startsWith('.')), ['driver-exoscale']);
      assert.deepEqual(fs.readdirSync(path.join(modules, 'driver-exoscale')).sort(), ['README.md', 'bin', 'dist', 'package.json']);
    });

    it('the colon form plugins:install does the same', async () => {
      await ok(['plugins', 'uninstall', 'driver-exoscale']);
      assert.ok(!(await drivers()).some((d) => d.name === 'exoscale'));
      await ok(['plugins:install', 'driver-exoscale']);
      assert.ok((await drivers()).some((d) => d.name === 'exoscale'));
      // oclif colours the version when CI is set, even on a pipe.
      assert.match(stripVTControlCharacters((await ok(['plugins'])).stdout), /driver-exoscale 0\.1\.0/);
    });

    it('create -d exoscale --help shows the driver\'s flags', async () => {
      const help = (await ok(['create', '-d', 'exoscale', '--help'])).stdout;
      for (const flag of ['--exoscale-api-key', '--exoscale-api-secret', '--exoscale-api-endpoint', '--exoscale-availability-zone', '--exoscale-instance-profile', '--exoscale-image', '--exoscale-disk-size']) {
        assert.ok(help.includes(flag), `${flag} in:\n${help}`);
      }
      assert.match(help, /EXOSCALE_API_SECRET/);
    });

    it('creates a machine on an Exoscale instance', async () => {
      const r = await ok(createFlags(name));
      assert.match(r.stdout + r.stderr, /Docker is up and running!/);
      const instances = [...fake.instances.values()];
      assert.equal(instances.length, 1);
      assert.equal(instances[0].name, name);
      assert.equal(instances[0].state, 'running');
      assert.equal(instances[0].instanceType.size, 'small');
      assert.equal(fake.sshKeys.size, 1, 'the SSH key the driver registered');
      const row = await lsRow(name);
      assert.deepEqual([row?.driver, row?.state, row?.error], ['exoscale', 'Running', '']);
      assert.equal(row?.url, `tcp://${instances[0].host?.ip}:2376`);
      assert.ok(!(await ok(['inspect', name])).stdout.includes(API_SECRET), 'the API secret is masked in inspect');
    });

    it('env points docker at it: a locally imported image runs', async () => {
      await docker(name, ['import', tarball, IMAGE]);
      assert.equal(await docker(name, ['run', '--rm', IMAGE, '/bin/echo', 'hello from exoscale']), 'hello from exoscale');
    });

    it('stops and starts it', async () => {
      await ok(['stop', name]);
      assert.equal((await lsRow(name))?.state, 'Stopped');
      assert.equal([...fake.instances.values()][0].state, 'stopped');
      await ok(['start', name]);
      assert.equal((await lsRow(name))?.state, 'Running');
      assert.equal(await docker(name, ['run', '--rm', IMAGE, '/bin/echo', 'after start']), 'after start');
    });

    it('rm deletes the instance and the key', async () => {
      await ok(['rm', '-y', name]);
      assert.equal(await lsRow(name), undefined);
      await fake.settle();
      assert.equal(fake.instances.size, 0);
      assert.equal(fake.sshKeys.size, 0);
    });

    it('after plugins uninstall, ls still lists a leftover machine with the error naming plugins install', async () => {
      const left = 'exo-left';
      await ok(createFlags(left));
      await ok(['plugins', 'uninstall', 'driver-exoscale']);
      assert.ok(!(await drivers()).some((d) => d.name === 'exoscale'));
      const row = await lsRow(left);
      assert.ok(row, 'the machine is still listed');
      assert.equal(row.error, 'driver exoscale is not installed: machine plugins install driver-exoscale');
      const table = (await ok(['ls'])).stdout;
      assert.match(table, /^exo-left\s.*driver exoscale is not installed: machine plugins install driver-exoscale/m);
      // The named command brings the machine back under control.
      await ok(['plugins', 'install', 'driver-exoscale']);
      assert.equal((await lsRow(left))?.state, 'Running');
      await ok(['rm', '-y', left]);
      await fake.settle();
      assert.equal(fake.instances.size, 0);
      assert.equal(fake.sshKeys.size, 0);
    });
  });
});
