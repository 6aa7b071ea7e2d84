import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { addFakeMachine, addScriptDriver, sandbox, waitGone, REPO, type Sandbox } from './cli-support';

/** A script driver whose only create flag is `flag`. */
const scriptDriver = (flag: string): string => `const { serveDriver } = require(${JSON.stringify(path.join(REPO, 'proto', 'lib', 'index.js'))});
serveDriver({
  info: { name: 'rebuilt', version: '0.0.1' },
  schema: () => [{ name: ${JSON.stringify(flag)}, type: 'string', description: 'a flag of this build' }],
  configure: () => ({}),
  create: async (_c, s) => s, start: async () => {}, stop: async () => {}, restart: async () => {}, kill: async () => {}, remove: async () => {},
  getState: async () => 'Running', getIP: async () => '127.0.0.1', getURL: async () => '',
  getSSHInfo: async () => ({ host: '127.0.0.1', port: 22, user: 'root', keyPath: '' }),
});
`;

describe('drivers that come and go (real CLI)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  beforeEach(() => {
    sb = sandbox();
  });
  afterEach(async () => {
    assert.deepEqual(await waitGone(sb), []);
    sb.cleanup();
  });

  it('names "machine plugins install" when a driver is not found', async () => {
    const r = await sb.run(['create', '-d', 'exoscale', 'm1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Driver "exoscale" not found/);
    assert.match(r.stderr, /machine plugins install driver-exoscale/);
  });

  it('still lists a machine whose driver was uninstalled, with the way to get it back', async () => {
    addFakeMachine(sb, 'kept');
    addFakeMachine(sb, 'orphan', { driver: 'exoscale' });
    const r = await sb.run(['ls', '--format', '{{.Name}}|{{.DriverName}}|{{.State}}|{{.Error}}']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0], /^kept\|fake\|Running\|/);
    assert.equal(lines[1], 'orphan|exoscale|Error|driver exoscale is not installed: machine plugins install driver-exoscale');
  });

  it('notices a driver rebuilt behind an unchanged wrapper', async () => {
    addScriptDriver(sb, 'rebuilt', scriptDriver('first-build-flag'));
    const wrapper = path.join(sb.driverDir, 'machine-driver-rebuilt');
    const wrapperStat = fs.statSync(wrapper);
    const first = await sb.run(['driver', 'inspect', 'rebuilt']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /first-build-flag/);
    const launches = sb.spawned().length;
    const cached = await sb.run(['driver', 'inspect', 'rebuilt']);
    assert.match(cached.stdout, /first-build-flag/);
    assert.equal(sb.spawned().length, launches, 'an unchanged driver is described from the cache');

    // Rebuild: a new file behind the wrapper, with the same size, and its mtime put back.
    const target = path.join(sb.root, 'rebuilt-driver.js');
    const before = fs.statSync(target);
    const next = `${target}.new`;
    fs.writeFileSync(next, scriptDriver('other-build-flag'), { mode: 0o755 });
    assert.equal(fs.statSync(next).size, before.size);
    fs.renameSync(next, target);
    fs.utimesSync(target, before.atime, before.mtime);
    assert.equal(fs.statSync(wrapper).mtimeMs, wrapperStat.mtimeMs, 'the wrapper is unchanged');

    const after = await sb.run(['driver', 'inspect', 'rebuilt']);
    assert.equal(after.code, 0, after.stderr);
    assert.match(after.stdout, /other-build-flag/);
    assert.doesNotMatch(after.stdout, /first-build-flag/);
  });
});
