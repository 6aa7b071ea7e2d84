// export / import end to end: a machine created on a real test host in one
// store is exported, imported into another store under another HOME, and
// the docker client (through env) and ssh work from there.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startHost, type TestHost } from '../hosts';
import { explain, genericFlags, run, Sandbox } from './generic-support';

describe('machine export and import, between two stores', function () {
  this.timeout(600_000);
  const from = new Sandbox();
  const to = new Sandbox();
  const otherHome = path.join(to.dir, 'home');
  const name = 'moving';
  const archive = path.join(from.dir, 'moving.tar.gz');
  let host: TestHost;

  before(async () => {
    fs.mkdirSync(otherHome);
    host = await startHost({ flavour: 'docker' });
    await from.ok(['create', ...genericFlags(host), name]);
  });

  after(async () => {
    await from.cli(['rm', '-f', name]);
    await to.cli(['rm', '-f', name], { env: { HOME: otherHome } });
    await host?.remove();
    from.cleanup();
    to.cleanup();
  });

  it('exports a portable archive with relative paths and no CA key', async () => {
    const r = await from.ok(['export', name, '-o', archive]);
    assert.match(r.stderr, /Exported "moving"/);
    const list = await run('tar', ['tzf', archive]);
    assert.equal(list.code, 0, explain(list));
    const entries = list.stdout.trim().split('\n');
    assert.ok(entries.every((e) => !e.startsWith('/') && !e.includes('..')), entries.join('\n'));
    assert.ok(entries.includes('machine/config.json') && entries.includes('machine/id_rsa') && entries.includes('machine/ca.pem'), entries.join('\n'));
    assert.ok(!entries.some((e) => e.includes('ca-key')), 'the CA private key stays behind');
    const config = await run('tar', ['xzOf', archive, 'machine/config.json']);
    assert.ok(!config.stdout.includes(from.store), 'no path of the exporting store is left in the record');
  });

  it('imports into another store under another HOME, keys private, paths rewritten', async () => {
    const r = await to.cli(['import', archive], { env: { HOME: otherHome } });
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.stdout.trim(), name);
    const dir = path.join(to.store, 'machines', name);
    for (const key of ['id_rsa', 'key.pem', 'server-key.pem']) assert.equal(fs.statSync(path.join(dir, key)).mode & 0o777, 0o600, key);
    const text = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
    assert.ok(!text.includes(from.store), 'no path of the exporting store');
    assert.ok(!text.includes('{{'), 'no placeholder left');
    const config = JSON.parse(text);
    assert.equal(config.HostOptions.AuthOptions.CaCertPath, path.join(dir, 'ca.pem'));
    assert.equal(config.Driver.SSHKeyPath, path.join(dir, 'id_rsa'));
  });

  it('env and ssh work from the importing store', async () => {
    const ps = await to.docker(name, ['ps']);
    assert.equal(ps.code, 0, explain(ps));
    const info = await to.docker(name, ['info', '--format', '{{json .Labels}}']);
    assert.match(info.stdout, /provider=generic/, explain(info));
    const ssh = await to.cli(['ssh', name, '--', 'echo', 'hello from import'], { env: { HOME: otherHome } });
    assert.equal(ssh.code, 0, explain(ssh));
    assert.match(ssh.stdout, /hello from import/);
  });

  it('refuses to overwrite a machine of the same name', async () => {
    const r = await to.cli(['import', archive], { env: { HOME: otherHome } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /already exists/);
    const ps = await to.docker(name, ['ps']);
    assert.equal(ps.code, 0, `the existing machine is untouched: ${explain(ps)}`);
  });

  it('refuses an archive that is not a machine export', async () => {
    const bogus = path.join(to.dir, 'bogus.tar.gz');
    const made = await run('tar', ['czf', bogus, '-C', to.dir, 'home']);
    assert.equal(made.code, 0, explain(made));
    const r = await to.cli(['import', bogus], { env: { HOME: otherHome } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /not a machine export/);
  });
});
