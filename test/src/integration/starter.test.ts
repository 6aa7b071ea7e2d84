import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchDriver } from '@machine/driver-sdk/host';
import { sandbox, REPO, type Sandbox } from './cli-support';

const STARTER = path.join(REPO, 'create-machine-driver', 'bin', 'create-machine-driver.js');

/**
 * What `npm install` would put in a new vendor package, taken from this
 * repository's install so no registry is needed: the SDK, the bundler,
 * TypeScript and mocha, with their commands in node_modules/.bin.
 */
function linkDevDependencies(dir: string): void {
  const nm = path.join(dir, 'node_modules');
  const link = (target: string, at: string) => {
    fs.mkdirSync(path.dirname(path.join(nm, at)), { recursive: true });
    fs.symlinkSync(target, path.join(nm, at));
  };
  link(path.join(REPO, 'proto'), '@machine/driver-sdk');
  for (const dep of ['esbuild', 'typescript', 'mocha', '@types/node']) link(path.join(REPO, 'node_modules', dep), dep);
  link('../typescript/bin/tsc', '.bin/tsc');
  link('../@machine/driver-sdk/scripts/bundle-driver.js', '.bin/machine-bundle-driver');
  link('../mocha/bin/mocha.js', '.bin/mocha');
}

// A vendor's path with the starter: npm init machine-driver NAME, build,
// bundle, the kit, npm pack, machine plugins install — nothing edited.
describe('create-machine-driver (npm init machine-driver)', function () {
  this.timeout(300_000);
  let sb: Sandbox;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    sb = sandbox();
    env = {
      XDG_DATA_HOME: path.join(sb.root, 'data'),
      XDG_CONFIG_HOME: path.join(sb.root, 'config'),
      XDG_CACHE_HOME: path.join(sb.root, 'cache'),
      // Only the local tarball is installed: nothing may come from a registry.
      npm_config_offline: 'true',
    };
  });
  afterEach(() => sb.cleanup());

  it('writes a package that builds, bundles, passes the kit and installs with machine plugins install', async () => {
    const dir = path.join(sb.root, 'driver-exoscale');
    execFileSync(process.execPath, [STARTER, 'exoscale', '--dir', dir]);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      name: string;
      oclif?: object;
      machine?: { drivers?: Record<string, string> };
      dependencies?: object;
      devDependencies?: Record<string, string>;
      files?: string[];
    };
    assert.equal(pkg.name, 'driver-exoscale');
    assert.deepEqual(pkg.oclif, {}, 'the oclif key plugins install requires');
    assert.deepEqual(pkg.machine?.drivers, { exoscale: 'bin/machine-driver-exoscale' });
    assert.equal(pkg.dependencies, undefined, 'nothing to fetch at install time');
    assert.ok(pkg.devDependencies?.['@machine/driver-sdk'] && pkg.devDependencies.esbuild);
    assert.ok(pkg.files?.includes('dist'), 'the bundle ships');

    linkDevDependencies(dir);
    const npm = (args: string[]) => execFileSync('npm', [...args, '--loglevel=error'], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } });
    npm(['run', 'build']);
    npm(['run', 'bundle']);
    assert.match(npm(['test']), /\b14 passing\b/);

    const exe = path.join(dir, 'bin', 'machine-driver-exoscale');
    // Its state opens with Docker Machine's BaseDriver fields, which scripts read with inspect -f.
    const driver = await launchDriver({ name: 'exoscale', path: exe });
    try {
      const { state } = await driver.configure({ name: 'exo1', storePath: '/store', machineDir: '/store/machines/exo1' }, { 'exoscale-host': '203.0.113.9' });
      assert.deepEqual(Object.keys(state).slice(0, 9), ['IPAddress', 'MachineName', 'SSHUser', 'SSHPort', 'SSHKeyPath', 'StorePath', 'SwarmMaster', 'SwarmHost', 'SwarmDiscovery']);
      assert.deepEqual([state.IPAddress, state.MachineName, state.SSHPort, state.SSHKeyPath], ['203.0.113.9', 'exo1', 22, '/store/machines/exo1/id_rsa']);
    } finally {
      await driver.close();
    }
    const kit = await sb.run(['driver', 'test', exe], env);
    assert.equal(kit.code, 0, kit.stdout + kit.stderr);

    npm(['pack', '--pack-destination', sb.root]);
    const filename = 'driver-exoscale-0.1.0.tgz';
    const install = await sb.run(['plugins', 'install', `file:${path.join(sb.root, filename)}`], env);
    assert.equal(install.code, 0, install.stdout + install.stderr);

    const ls = await sb.run(['driver', 'ls', '--json'], env);
    assert.equal(ls.code, 0, ls.stderr);
    const exo = (JSON.parse(ls.stdout) as { name: string; source: string; path: string }[]).find((d) => d.name === 'exoscale');
    assert.ok(exo, ls.stdout);
    assert.match(exo.source, /plugin \(driver-exoscale\)/);
    const installedDir = path.dirname(path.dirname(exo.path));
    assert.ok(!fs.existsSync(path.join(installedDir, 'node_modules')), 'the installed package brought no dependencies');

    const help = await sb.run(['create', '-d', 'exoscale', '--help'], env);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /--exoscale-host/);

    const uninstall = await sb.run(['plugins', 'uninstall', 'driver-exoscale'], env);
    assert.equal(uninstall.code, 0, uninstall.stderr);
    const after = await sb.run(['driver', 'ls', '--json'], env);
    assert.ok(!(JSON.parse(after.stdout) as { name: string }[]).some((d) => d.name === 'exoscale'));
  });

  it('refuses a name that is not a driver name', () => {
    assert.throws(() => execFileSync(process.execPath, [STARTER, 'Exo_Scale', '--dir', path.join(sb.root, 'x')], { stdio: 'pipe' }), /not a driver name/);
  });
});
