// Docker contexts end to end: `machine use` writes a context the real docker
// client reads and talks through with no eval, `use --unset` goes back to
// the default context, and `rm` takes the machine's context away. HOME
// points at a temporary directory so the user's own docker configuration is
// never touched.
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startHost, type TestHost } from '../hosts';
import { explain, genericFlags, run, Sandbox, type Result } from './generic-support';

describe('docker contexts (machine use), with the real docker client', function () {
  this.timeout(600_000);
  const sb = new Sandbox();
  const home = path.join(sb.dir, 'home');
  const dockerDir = path.join(home, '.docker');
  const name = 'ctx';
  let host: TestHost;
  let url: string;

  // A user with no DOCKER_* variables and a docker configuration of their own.
  const userEnv = (): NodeJS.ProcessEnv => sb.env({ HOME: home, DOCKER_CONFIG: undefined, DOCKER_CONTEXT: undefined });
  const docker = (args: string[]): Promise<Result> => run('docker', args, { env: userEnv() });
  const machine = (args: string[]): Promise<Result> => sb.cli(args, { env: { HOME: home, DOCKER_CONFIG: undefined, DOCKER_CONTEXT: undefined } });

  before(async () => {
    fs.mkdirSync(dockerDir, { recursive: true });
    fs.writeFileSync(path.join(dockerDir, 'config.json'), JSON.stringify({ auths: { 'registry.example': { auth: 'dXNlcjpwYXNz' } } }));
    const own = await docker(['context', 'create', 'mine', '--docker', 'host=tcp://127.0.0.1:1']);
    assert.equal(own.code, 0, explain(own));
    host = await startHost({ flavour: 'docker' });
    const created = await sb.ok(['create', ...genericFlags(host), name]);
    assert.match(created.stderr + created.stdout, /Docker is up and running!/);
    url = (await sb.ok(['url', name])).stdout.trim();
  });

  after(async () => {
    await sb.cli(['rm', '-f', name], { env: { HOME: home } });
    await host?.remove();
    sb.cleanup();
  });

  it('use NAME makes a context docker talks through, with no eval', async () => {
    const r = await machine(['use', name]);
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.stdout.trim(), `machine-${name}`);
    assert.equal(r.stderr, '', 'no warning when DOCKER_HOST is unset');

    const shown = await docker(['context', 'show']);
    assert.equal(shown.stdout.trim(), `machine-${name}`, explain(shown));
    const inspected = await docker(['context', 'inspect', `machine-${name}`, '--format', '{{.Endpoints.docker.Host}} {{.Endpoints.docker.SkipTLSVerify}}']);
    assert.equal(inspected.stdout.trim(), `${url} false`, explain(inspected));

    // docker ps and info reach the machine's daemon over TLS with the context's certificates.
    const ps = await docker(['ps']);
    assert.equal(ps.code, 0, explain(ps));
    const info = await docker(['info', '--format', '{{json .Labels}}']);
    assert.equal(info.code, 0, explain(info));
    assert.match(info.stdout, /provider=generic/);

    // The user's configuration is kept around the new current context.
    const config = JSON.parse(fs.readFileSync(path.join(dockerDir, 'config.json'), 'utf8'));
    assert.deepEqual(config.auths, { 'registry.example': { auth: 'dXNlcjpwYXNz' } });
    assert.equal(config.currentContext, `machine-${name}`);
    assert.equal(fs.statSync(path.join(dockerDir, 'config.json')).mode & 0o777, 0o600);
  });

  it('ls and active mark the machine chosen by context, and DOCKER_HOST still wins', async () => {
    const ls = await machine(['ls', '--format', '{{.Name}}|{{.Active}}']);
    assert.equal(ls.stdout.trim(), `${name}|*`, explain(ls));
    const active = await machine(['active']);
    assert.equal(active.stdout.trim(), name, explain(active));
    const elsewhere = await sb.cli(['ls', '--format', '{{.Name}}|{{.Active}}'], { env: { HOME: home, DOCKER_HOST: 'tcp://127.0.0.1:1' } });
    assert.equal(elsewhere.stdout.trim(), `${name}|-`, explain(elsewhere));
  });

  it('use again updates the context in place', async () => {
    const r = await machine(['use', name]);
    assert.equal(r.code, 0, explain(r));
    const list = await docker(['context', 'ls', '--format', '{{.Name}}']);
    assert.deepEqual(list.stdout.trim().split('\n').sort(), ['default', 'machine-ctx', 'mine'], explain(list));
    const ps = await docker(['ps']);
    assert.equal(ps.code, 0, explain(ps));
  });

  it('warns when DOCKER_HOST would override the context', async () => {
    const r = await sb.cli(['use', name], { env: { HOME: home, DOCKER_HOST: 'tcp://127.0.0.1:1' } });
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stderr, /DOCKER_HOST is set in this shell and overrides the context/);
  });

  it('use --unset goes back to the default context', async () => {
    const r = await machine(['use', '--unset']);
    assert.equal(r.code, 0, explain(r));
    const shown = await docker(['context', 'show']);
    assert.equal(shown.stdout.trim(), 'default', explain(shown));
    const ps = await docker(['--context', `machine-${name}`, 'ps']);
    assert.equal(ps.code, 0, `the context stays for docker --context: ${explain(ps)}`);
    const ls = await machine(['ls', '--format', '{{.Name}}|{{.Active}}']);
    assert.equal(ls.stdout.trim(), `${name}|-`, 'no longer active');
  });

  it('use of a machine that does not exist fails and leaves the current context alone', async () => {
    const r = await machine(['use', 'nosuch']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /nosuch/);
    const shown = await docker(['context', 'show']);
    assert.equal(shown.stdout.trim(), 'default');
  });

  it('rm removes the machine context and resets the current one, and only that', async () => {
    assert.equal((await machine(['use', name])).code, 0);
    const r = await machine(['rm', '-y', name]);
    assert.equal(r.code, 0, explain(r));
    const list = await docker(['context', 'ls', '--format', '{{.Name}}']);
    assert.deepEqual(list.stdout.trim().split('\n').sort(), ['default', 'mine'], explain(list));
    const shown = await docker(['context', 'show']);
    assert.equal(shown.stdout.trim(), 'default', explain(shown));
    const config = JSON.parse(fs.readFileSync(path.join(dockerDir, 'config.json'), 'utf8'));
    assert.deepEqual(config.auths, { 'registry.example': { auth: 'dXNlcjpwYXNz' } });
    const id = crypto.createHash('sha256').update(`machine-${name}`).digest('hex');
    assert.equal(fs.existsSync(path.join(dockerDir, 'contexts', 'tls', id)), false, 'the machine context\'s TLS material is gone');
    assert.equal(fs.existsSync(path.join(dockerDir, 'contexts', 'meta', id)), false);
  });
});
