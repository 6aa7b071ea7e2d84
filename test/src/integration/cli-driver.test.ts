import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sandbox, waitGone, REPO, type Sandbox } from './cli-support';

describe('machine driver ls / inspect (real CLI)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let pathDir: string;
  beforeEach(() => {
    sb = sandbox();
    // A second "fake" later in the search order (PATH): it must show as shadowed.
    pathDir = path.join(sb.root, 'pathdir');
    fs.mkdirSync(pathDir);
    fs.symlinkSync(path.join(REPO, 'test', 'bin', 'machine-driver-fake'), path.join(pathDir, 'machine-driver-fake'));
  });
  afterEach(async () => {
    assert.deepEqual(await waitGone(sb), []);
    sb.cleanup();
  });

  it('lists drivers with version, protocol and source, flags shadowed duplicates, and caches descriptions', async () => {
    const env = { PATH: `${pathDir}:${process.env.PATH}` };
    const r = await sb.run(['driver', 'ls', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { name: string; version: string; protocol: string; source: string; path: string; shadowedBy?: string }[];
    const fake = rows.filter((x) => x.name === 'fake');
    assert.equal(fake.length, 2);
    assert.equal(fake[0].source, 'MACHINE_DRIVER_PATH');
    assert.equal(fake[0].version, '0.1.0');
    assert.equal(fake[0].protocol, '1');
    assert.equal(fake[1].source, 'PATH');
    assert.equal(fake[1].shadowedBy, fake[0].path);
    assert.ok(fs.existsSync(path.join(sb.store.root, 'cache', 'drivers.json')));
    const table = await sb.run(['driver', 'ls'], env);
    assert.match(table.stdout, /^NAME\s+VERSION\s+PROTOCOL\s+SOURCE\s+PATH\s+NOTE$/m);
    assert.match(table.stdout, new RegExp(`^fake\\s+-\\s+-\\s+PATH\\s+\\S+\\s+shadowed by ${fake[0].path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'));
  });

  it('inspect shows the flag schema; a second run is served from the cache without starting the driver', async () => {
    const r = await sb.run(['driver', 'inspect', 'fake']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Name:\s+fake$/m);
    assert.match(r.stdout, /^--fake-ip\s+string\s+127\.0\.0\.1\s+IP address the fake machine reports$/m);
    assert.match(r.stdout, /^--fake-token\s+string\s+FAKE_DRIVER_TOKEN\s+.*\(sensitive\)$/m);
    const before = sb.spawned().length;
    const j = await sb.run(['driver', 'inspect', 'fake', '--json']);
    const parsed = JSON.parse(j.stdout) as { metadata: { name: string }; schema: { name: string }[] };
    assert.equal(parsed.metadata.name, 'fake');
    assert.ok(parsed.schema.some((f) => f.name === 'fake-create-delay-ms'));
    assert.equal(sb.spawned().length, before, 'cached: no driver started');
    const unknown = await sb.run(['driver', 'inspect', 'nosuch']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Driver "nosuch" not found\. Drivers found: .*fake.*\nLooked in:\n {2}MACHINE_DRIVER_PATH: /);
  });
});
