// --json on every read command, through the real CLI against a real machine
// (the generic driver on a test host with Docker): each prints exactly one
// JSON document on stdout that agrees with the command's plain output, on
// the fast path and through oclif alike; failures stay on stderr with the
// exit codes of the plain form and leave stdout empty.
import { strict as assert } from 'node:assert';
import { startHost, type TestHost } from '../hosts';
import { explain, genericFlags, run, type Result, Sandbox } from './generic-support';

/** The one document on stdout; fails when there is anything else. */
function parseOne(r: Result): unknown {
  assert.equal(r.code, 0, explain(r));
  assert.ok(r.stdout.endsWith('}\n') || r.stdout.endsWith(']\n'), `one document ending in a newline: ${JSON.stringify(r.stdout)}`);
  return JSON.parse(r.stdout);
}

describe('--json on the read commands, against a real machine', function () {
  this.timeout(600_000);
  const sb = new Sandbox();
  const name = 'json-dev';
  let host: TestHost;
  let url: string;

  before(async () => {
    host = await startHost({ flavour: 'docker' });
    await sb.ok(['create', ...genericFlags(host), name]);
    url = `tcp://${host.ip}:2376`;
  });

  after(async () => {
    await sb.cli(['rm', '-f', name]);
    await host?.remove();
    sb.cleanup();
  });

  /** Runs the command on the fast path and through oclif; both must print the same document. */
  const bothPaths = async (args: string[], env: NodeJS.ProcessEnv = {}, comparable = (doc: unknown): unknown => doc): Promise<unknown> => {
    const fast = parseOne(await sb.cli(args, { env }));
    const oclif = parseOne(await sb.cli(args, { env: { ...env, MACHINE_NO_FAST_PATH: '1' } }));
    assert.deepEqual(comparable(oclif), comparable(fast), `machine ${args.join(' ')}: the oclif path prints the same document`);
    return fast;
  };

  it('ls: an array of machines with the template fields', async () => {
    // The response time is measured anew by each run.
    const withoutTimes = (doc: unknown): unknown => (doc as Array<Record<string, unknown>>).map(({ ResponseTime: _time, ...rest }) => rest);
    const rows = (await bothPaths(['ls', '--json'], {}, withoutTimes)) as Array<Record<string, unknown>>;
    assert.match(String(rows[0].ResponseTime), /^\d+(\.\d+)?(µs|ms|s)$/, 'a Go duration');
    assert.equal(rows.length, 1);
    assert.equal(rows[0].Name, name);
    assert.equal(rows[0].DriverName, 'generic');
    assert.equal(rows[0].State, 'Running');
    assert.equal(rows[0].URL, url);
    assert.equal(rows[0].ActiveHost, false);
    assert.match(String(rows[0].DockerVersion), /^v?\d+\.\d+/);
    assert.equal(rows[0].Error, '');
  });

  it('status, ip and url: the plain values, named', async () => {
    assert.deepEqual(await bothPaths(['status', '--json', name]), { Name: name, State: 'Running' });
    assert.deepEqual(await bothPaths(['ip', '--json', name]), [{ Name: name, IP: host.ip }]);
    assert.deepEqual(await bothPaths(['url', '--json', name]), { Name: name, URL: url });
    assert.equal((await sb.ok(['url', name])).stdout, `${url}\n`, 'the plain form is unchanged');
  });

  it('env: the variables eval would set, and null for those -u unsets', async () => {
    const vars = (await bothPaths(['env', '--json', name])) as Record<string, string>;
    const fromShell = await sb.dockerEnv(name);
    assert.deepEqual(Object.keys(vars), ['DOCKER_TLS_VERIFY', 'DOCKER_HOST', 'DOCKER_CERT_PATH', 'DOCKER_MACHINE_NAME']);
    for (const [k, v] of Object.entries(vars)) assert.equal(v, fromShell[k], k);
    assert.deepEqual(await bothPaths(['env', '--json', '-u']), { DOCKER_TLS_VERIFY: null, DOCKER_HOST: null, DOCKER_CERT_PATH: null, DOCKER_MACHINE_NAME: null });
    // No shell needed for JSON: an empty SHELL is an error only for the shell form.
    const noShell = await sb.cli(['env', '--json', name], { env: { SHELL: '' } });
    assert.equal(noShell.code, 0, explain(noShell));
  });

  it('config: the docker flags, as paths a program can use, and they work with docker', async () => {
    const c = (await bothPaths(['config', '--json', name])) as { Name: string; Host: string; TLSVerify: boolean; TLSCACert: string; TLSCert: string; TLSKey: string; Args: string[] };
    assert.equal(c.Name, name);
    assert.equal(c.Host, url);
    assert.equal(c.TLSVerify, true);
    assert.equal(c.Args.length, 5);
    assert.ok(c.Args.includes(`--tlscacert=${c.TLSCACert}`));
    const plain = (await sb.ok(['config', name])).stdout.trim().split('\n');
    assert.equal(plain[4], `-H=${c.Host}`);
    const ps = await run('docker', [...c.Args, 'version', '--format', '{{.Server.Version}}'], { env: sb.env() });
    assert.equal(ps.code, 0, explain(ps));
  });

  it('inspect: the masked record, and --format with --json is a usage error', async () => {
    const rec = (await bothPaths(['inspect', '--json', name])) as { Name: string; DriverName: string; Driver: Record<string, unknown>; HostOptions: unknown };
    assert.equal(rec.Name, name);
    assert.equal(rec.DriverName, 'generic');
    assert.equal(rec.Driver.IPAddress, host.ip);
    assert.deepEqual(rec, JSON.parse((await sb.ok(['inspect', name])).stdout), 'the same record as the plain form');
    const both = await sb.cli(['inspect', '--json', '--format', '{{.Name}}', name]);
    assert.equal(both.code, 1, explain(both));
    assert.equal(both.stdout, '');
    assert.match(both.stderr, /--json and --format/);
  });

  it('version: the CLI build, and a machine\'s Docker version', async () => {
    const v = (await bothPaths(['version', '--json'])) as { Version: string; Commit: string };
    assert.equal((await sb.ok(['version'])).stdout, `machine version ${v.Version}, build ${v.Commit}\n`);
    const d = (await bothPaths(['version', '--json', name])) as { Name: string; DockerVersion: string };
    assert.equal(d.Name, name);
    assert.equal(d.DockerVersion, (await sb.ok(['version', name])).stdout.trim());
  });

  it('active: the machine DOCKER_HOST points at', async () => {
    assert.deepEqual(await bothPaths(['active', '--json'], { DOCKER_HOST: url }), { Name: name, URL: url });
    const none = await sb.cli(['active', '--json']);
    const plain = await sb.cli(['active']);
    assert.equal(none.code, plain.code, 'the same exit code as the plain form');
    assert.equal(none.code, 1);
    assert.equal(none.stdout, '');
    assert.equal(none.stderr, plain.stderr);
  });

  it('driver ls and driver inspect: the drivers and one driver\'s schema', async () => {
    const drivers = (await bothPaths(['driver', 'ls', '--json'])) as Array<{ name: string; source: string }>;
    assert.ok(drivers.some((d) => d.name === 'generic'), JSON.stringify(drivers));
    const generic = (await bothPaths(['driver', 'inspect', '--json', 'generic'])) as { metadata: { name: string }; schema: Array<{ name: string }> };
    assert.equal(generic.metadata.name, 'generic');
    assert.ok(generic.schema.some((f) => f.name === 'generic-ip-address'));
  });

  it('a failure prints nothing on stdout, its error on stderr, with the plain form\'s exit code', async () => {
    for (const args of [['status', 'nosuch'], ['url', 'nosuch'], ['ip', 'nosuch'], ['env', 'nosuch'], ['config', 'nosuch'], ['inspect', 'nosuch'], ['version', 'nosuch'], ['driver', 'inspect', 'nosuch']]) {
      const plain = await sb.cli(args);
      const json = await sb.cli([...args, '--json']);
      assert.notEqual(json.code, 0, explain(json));
      assert.equal(json.code, plain.code, `${args.join(' ')}: ${explain(json)}`);
      assert.equal(json.stdout, '', `${args.join(' ')}: nothing on stdout`);
      assert.equal(json.stderr, plain.stderr, `${args.join(' ')}: the same error`);
    }
  });
});
