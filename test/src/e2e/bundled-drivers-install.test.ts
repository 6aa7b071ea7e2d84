// The project's own cloud drivers as their users get them: each driver
// package is packed as `npm pack` makes it and published to the run's npm
// registry (verdaccio on 127.0.0.1), next to the CLI and the SDK. A user with
// `machine` from `npm install -g @machine/cli` (which brings only the generic,
// none and docker drivers) runs `machine plugins install @machine/driver-X`
// with npm_config_registry set; `driver ls` then lists the driver and
// `create -d X --help` shows its flags. Uninstalling takes it away again.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { npmEnv, npmRegistry, publishWorkspacePackage } from '../registry';
import { explain, run, type Result } from './generic-support';
import { stripVTControlCharacters } from 'node:util';

interface DriverPackage {
  driver: string;
  /** The package's directory in this repository. */
  dir: string;
  /** Flags `create -d DRIVER --help` must show (from the reference driver, and this project's additions). */
  flags: string[];
}

const PACKAGES: DriverPackage[] = [
  {
    driver: 'digitalocean',
    dir: 'plugins/driver-digitalocean',
    flags: ['--digitalocean-access-token', '--digitalocean-api-url', '--digitalocean-region', '--digitalocean-size', '--digitalocean-image', '--digitalocean-vpc-uuid', '--digitalocean-tags'],
  },
  {
    driver: 'openstack',
    dir: 'plugins/driver-openstack',
    flags: ['--openstack-auth-url', '--openstack-username', '--openstack-password', '--openstack-tenant-name', '--openstack-flavor-name', '--openstack-image-name', '--openstack-cloud'],
  },
  {
    driver: 'virtualbox',
    dir: 'plugins/driver-virtualbox',
    flags: ['--virtualbox-memory', '--virtualbox-cpu-count', '--virtualbox-disk-size', '--virtualbox-boot2docker-url', '--virtualbox-hostonly-cidr'],
  },
  {
    driver: 'amazonec2',
    dir: 'plugins/driver-amazonec2',
    flags: ['--amazonec2-access-key', '--amazonec2-secret-key', '--amazonec2-region', '--amazonec2-ami', '--amazonec2-instance-type', '--amazonec2-vpc-id'],
  },
];

describe('the bundled cloud drivers from npm: machine plugins install @machine/driver-X', function () {
  this.timeout(900_000);
  let tmp: string;
  let prefix: string;
  let registryUrl: string;

  /** A user's shell: `machine` from npm install -g on PATH, no checkout near. */
  const shell = (script: string): Promise<Result> => {
    const home = path.join(tmp, 'home');
    const env = npmEnv(
      { npm_config_registry: registryUrl, npm_config_prefix: prefix, npm_config_cache: path.join(tmp, 'npm-cache') },
      {
        HOME: home,
        PATH: [path.join(prefix, 'bin'), path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
        XDG_DATA_HOME: path.join(home, '.local', 'share'),
        XDG_CONFIG_HOME: path.join(home, '.config'),
        XDG_CACHE_HOME: path.join(home, '.cache'),
        MACHINE_STORAGE_PATH: path.join(tmp, 'store'),
        ...(process.env.MACHINE_TEST_RUN_ID ? { MACHINE_TEST_RUN_ID: process.env.MACHINE_TEST_RUN_ID } : {}),
      },
    );
    return run('bash', ['-c', script], { env, cwd: home, timeoutMs: 600_000 });
  };
  const ok = async (script: string): Promise<Result> => {
    const r = await shell(script);
    assert.equal(r.code, 0, `${script}: ${explain(r)}`);
    return r;
  };
  const driverLs = async (): Promise<{ name: string; source: string; path: string }[]> =>
    JSON.parse((await ok('machine driver ls --json')).stdout) as { name: string; source: string; path: string }[];

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'machine-e2e-driver-pkgs-'));
    prefix = path.join(tmp, 'prefix');
    fs.mkdirSync(path.join(tmp, 'home'));
    registryUrl = `${(await npmRegistry()).url}/`;
    for (const dir of ['proto', 'plugins/driver-docker', 'cli', ...PACKAGES.map((p) => p.dir)]) await publishWorkspacePackage(dir);
    await ok('npm install -g @machine/cli');
  });

  after(async () => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the CLI from npm brings none of them', async () => {
    const names = (await driverLs()).map((d) => d.name);
    for (const p of PACKAGES) assert.ok(!names.includes(p.driver), `${p.driver} is not there before its package is installed: ${names.join(', ')}`);
    for (const own of ['generic', 'none', 'docker']) assert.ok(names.includes(own), `${own} comes with the CLI: ${names.join(', ')}`);
  });

  for (const p of PACKAGES) {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../..', p.dir, 'package.json'), 'utf8')) as { name: string; version: string };

    describe(`${pkg.name}`, () => {
      it(`machine plugins install ${pkg.name} adds the ${p.driver} driver to driver ls`, async () => {
        await ok(`machine plugins install ${pkg.name}`);
        const found = (await driverLs()).find((d) => d.name === p.driver);
        assert.ok(found, `driver ls lists ${p.driver}`);
        assert.match(found.source, /plugin/);
        const installed = path.join(tmp, 'home', '.local', 'share', 'machine', 'node_modules', ...pkg.name.split('/'));
        assert.ok(found.path.startsWith(installed + path.sep), `${found.path} is in the installed package ${installed}`);
        assert.match(stripVTControlCharacters((await ok('machine plugins')).stdout), new RegExp(`${pkg.name.replace('/', '\\/')} ${pkg.version.replace(/\./g, '\\.')}`));
      });

      it(`create -d ${p.driver} --help shows its flags`, async () => {
        const help = (await ok(`machine create -d ${p.driver} --help`)).stdout;
        for (const flag of p.flags) assert.ok(help.includes(flag), `${flag} in:\n${help}`);
      });

      it(`machine plugins uninstall ${pkg.name} takes it away`, async () => {
        await ok(`machine plugins uninstall ${pkg.name}`);
        assert.ok(!(await driverLs()).some((d) => d.name === p.driver));
      });
    });
  }
});
