import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sandbox, REPO, type Sandbox } from './cli-support';

// A third-party driver shipped as an oclif plugin: `machine plugins link`
// (the offline twin of `plugins install`) makes its drivers visible.
describe('drivers from oclif plugins (real CLI)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let env: NodeJS.ProcessEnv;
  let pluginDir: string;
  beforeEach(() => {
    sb = sandbox();
    env = {
      XDG_DATA_HOME: path.join(sb.root, 'data'),
      XDG_CONFIG_HOME: path.join(sb.root, 'config'),
      XDG_CACHE_HOME: path.join(sb.root, 'cache'),
    };
    pluginDir = path.join(sb.root, 'machine-driver-exo');
    fs.mkdirSync(path.join(pluginDir, 'bin'), { recursive: true });
    fs.writeFileSync(
      path.join(pluginDir, 'package.json'),
      JSON.stringify({ name: 'machine-driver-exo', version: '1.0.0', oclif: {}, machine: { drivers: { exo: 'bin/machine-driver-exo' } } }),
    );
    fs.writeFileSync(
      path.join(pluginDir, 'bin', 'machine-driver-exo'),
      `#!/bin/sh\nexec '${path.join(REPO, 'test', 'bin', 'machine-driver-fake')}' "$@"\n`,
      { mode: 0o755 },
    );
  });
  afterEach(() => sb.cleanup());

  it('plugins link adds the plugin\'s drivers to driver ls; unlink removes them', async () => {
    const before = await sb.run(['driver', 'ls', '--json'], env);
    assert.equal(before.code, 0, before.stderr);
    assert.ok(!(JSON.parse(before.stdout) as { name: string }[]).some((d) => d.name === 'exo'));

    const link = await sb.run(['plugins', 'link', pluginDir], env);
    assert.equal(link.code, 0, link.stderr);

    const after = await sb.run(['driver', 'ls', '--json'], env);
    assert.equal(after.code, 0, after.stderr);
    const exo = (JSON.parse(after.stdout) as { name: string; source: string; path: string }[]).find((d) => d.name === 'exo');
    assert.ok(exo, after.stdout);
    assert.match(exo.source, /plugin/);
    assert.equal(fs.realpathSync(exo.path), fs.realpathSync(path.join(pluginDir, 'bin', 'machine-driver-exo')));

    const unlink = await sb.run(['plugins', 'unlink', 'machine-driver-exo'], env);
    assert.equal(unlink.code, 0, unlink.stderr);
    const gone = await sb.run(['driver', 'ls', '--json'], env);
    assert.ok(!(JSON.parse(gone.stdout) as { name: string }[]).some((d) => d.name === 'exo'));
  });
});
