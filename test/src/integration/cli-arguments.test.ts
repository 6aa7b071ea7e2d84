// Docker Machine parity for what scripts pass on the command line: several
// names, names that name no machine, extra words, and Go-style global flags.
// Each case pins the exact stdout, stderr and exit code docker-machine
// 0.16.2 gives (its commands/*.go), with our binary's name in the hints.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, addFakeMachine, loopbackIP, sandbox, startDaemon, waitGone, type Daemon, type Sandbox } from './cli-support';

const dne = (name: string): string => `Docker machine "${name}" does not exist. Use "machine ls" to list machines. Use "machine create" to add a new one.`;
const power = (sb: Sandbox, name: string): string => (JSON.parse(fs.readFileSync(path.join(sb.store.machineDir(name), 'fake-machine.json'), 'utf8')) as { power: string }).power;

describe('several names, unknown names and extra words (real CLI, fake driver)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  beforeEach(() => {
    sb = sandbox();
    addFakeMachine(sb, 'a', { power: 'Running' });
    addFakeMachine(sb, 'b', { power: 'Running' });
  });
  afterEach(async () => {
    assert.deepEqual(await waitGone(sb), [], 'driver processes left behind');
    sb.cleanup();
  });

  it('stop, start, restart and kill act on no machine unless every name loads, and report every one that does not', async () => {
    for (const verb of ['stop', 'kill', 'restart', 'start']) {
      const one = await sb.run([verb, 'a', 'nope']);
      assert.deepEqual(one, { code: 1, stdout: '', stderr: `${dne('nope')}\n` }, verb);
    }
    assert.equal(power(sb, 'a'), 'Running', 'no machine was touched');
    assert.equal(sb.spawned().length, 0, 'no driver was started');
    const two = await sb.run(['stop', 'nope1', 'a', 'nope2']);
    assert.deepEqual(two, { code: 1, stdout: '', stderr: `${dne('nope1')}\n${dne('nope2')}\n` });
    // A name no machine may have is a machine that does not exist.
    const invalid = await sb.run(['start', 'a_b']);
    assert.deepEqual(invalid, { code: 1, stdout: '', stderr: `${dne('a_b')}\n` });
  });

  it('regenerate-certs asks first, then says its one line, then loads the machines, as the reference does', async () => {
    const question = 'Regenerate TLS machine certs?  Warning: this is irreversible. (y/n): ';
    // No answer on stdin: the question comes before any machine is looked at, and the error names -f.
    assert.deepEqual(await sb.run(['regenerate-certs', 'nope']), {
      code: 1,
      stdout: question,
      stderr: 'Error: no answer on standard input; pass -f to confirm without a prompt\n',
    });
    assert.deepEqual(await sb.run(['regenerate-certs', '-f', 'a', 'nope']), { code: 1, stdout: 'Regenerating TLS certificates\n', stderr: `${dne('nope')}\n` });
    assert.equal(sb.spawned().length, 0, 'no driver was started');
  });

  it('rm -f removes the machines that exist and only reports the others; rm -y removes them and fails', async () => {
    const header = 'About to remove a, nope\nWARNING: This action will delete both local reference and remote instance.\n';
    const forced = await sb.run(['rm', '-f', 'a', 'nope']);
    assert.deepEqual(forced, { code: 0, stdout: `${header}Successfully removed a\n`, stderr: `Error removing host "nope": ${dne('nope')}\nCan't remove "nope"\n` });
    assert.equal(sb.store.exists('a'), false);
    const confirmed = await sb.run(['rm', '-y', 'b', 'nope']);
    assert.deepEqual(confirmed, {
      code: 1,
      stdout: 'About to remove b, nope\nWARNING: This action will delete both local reference and remote instance.\nSuccessfully removed b\n',
      stderr: `Error removing host "nope": ${dne('nope')}\n`,
    });
    assert.equal(sb.store.exists('b'), false);
    // Nothing is made for a name that could never be a machine's.
    const odd = await sb.run(['rm', '-f', '../outside']);
    assert.equal(odd.code, 0);
    assert.equal(odd.stderr, `Error removing host "../outside": ${dne('../outside')}\nCan't remove "../outside"\n`);
    assert.equal(fs.existsSync(path.join(sb.store.root, 'outside')), false);
  });

  it('single-machine commands refuse a second name with the reference text; config reads the first; ls and active as the reference', async () => {
    for (const verb of ['status', 'url', 'env', 'inspect', 'version']) {
      const r = await sb.run([verb, 'a', 'b']);
      assert.deepEqual(r, { code: 1, stdout: '', stderr: 'Error: Expected one machine name as an argument\n' }, verb);
    }
    const active = await sb.run(['active', 'a']);
    assert.deepEqual(active, { code: 1, stdout: '', stderr: 'Error: Too many arguments given\n' });
    const ls = await sb.run(['ls', '-q', 'ignored']);
    assert.deepEqual(ls, { code: 0, stdout: 'a\nb\n', stderr: '' });
    const ip = await sb.run(['ip', 'nope1', 'a', 'nope2']);
    assert.deepEqual(ip, { code: 1, stdout: '', stderr: `${dne('nope1')}\n${dne('nope2')}\n` });
  });

  it('ls filters: the reference texts for bad filters, and an unreadable record listed whatever the filters', async () => {
    assert.deepEqual(await sb.run(['ls', '--filter', 'foo']), { code: 1, stdout: '', stderr: 'Unsupported filter syntax\n' });
    assert.deepEqual(await sb.run(['ls', '--filter', '=foo']), { code: 1, stdout: '', stderr: "Unsupported filter key ''\n" });
    fs.mkdirSync(sb.store.machineDir('broken'));
    fs.writeFileSync(sb.store.configPath('broken'), '{bad');
    const r = await sb.run(['ls', '--filter', 'name=^a$', '--format', '{{.Name}} {{.State}} [{{.Active}}] {{.ResponseTime}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^a Running \[-\] \S+\nbroken Error \[\] 0s\n$/);
  });

  it('create without a name, and scp or mount with a wrong count: the reference texts', async () => {
    assert.deepEqual(await sb.run(['create', '-d', 'none', '--url', 'tcp://127.0.0.1:2376']), { code: 1, stdout: '', stderr: 'Error: No machine name specified\n' });
    assert.deepEqual(await sb.run(['create', '-d', 'none', '--url', 'tcp://127.0.0.1:2376', 'c', 'd', 'e']), { code: 1, stdout: '', stderr: 'Invalid command line. Found extra arguments [d e]\n' });
    for (const args of [['scp'], ['scp', 'a:/x'], ['scp', 'a:/x', '/y', '/z'], ['mount'], ['mount', 'a:/x', '/y', '/z']]) {
      assert.deepEqual(await sb.run(args), { code: 1, stdout: '', stderr: 'Improper number of arguments\n' }, args.join(' '));
    }
    assert.deepEqual(fs.readdirSync(sb.store.machinesDir).sort(), ['a', 'b'], 'nothing was made');
  });

  it('create: a driver refusing its flags or its pre-create check, in the reference words without our driver prefix', async () => {
    const before = fs.readdirSync(sb.store.machinesDir).sort();
    assert.deepEqual(await sb.run(['create', '-d', 'none', 'n1']), {
      code: 1,
      stdout: '',
      stderr: 'Error setting machine configuration from flags provided: --url option is required when no driver is selected\n',
    });
    assert.deepEqual(await sb.run(['create', '-d', 'fake', '--fake-fail-on', 'configure', 'f1']), {
      code: 1,
      stdout: '',
      stderr: 'Error setting machine configuration from flags provided: fake failure in configure\nRequested with --fake-fail-on configure.\n',
    });
    const pre = await sb.run(['create', '-d', 'fake', '--fake-fail-on', 'preCreateCheck', 'f2']);
    assert.equal(pre.code, 3);
    assert.equal(pre.stderr, 'Error with pre-create check: "fake failure in preCreateCheck\nRequested with --fake-fail-on preCreateCheck."\n');
    assert.deepEqual(fs.readdirSync(sb.store.machinesDir).sort(), before, 'nothing was made');
  });

  it('scp and mount naming a machine that does not exist: the store error under the reference\'s doubled heading', async () => {
    const loadError = (name: string) => ({ code: 1, stdout: '', stderr: `Error loading host: Error loading host: ${dne(name)}\n` });
    assert.deepEqual(await sb.run(['scp', 'nope:/x', '/tmp/y']), loadError('nope'));
    assert.deepEqual(await sb.run(['scp', '/tmp/y', 'user@nope:/x']), loadError('nope'));
    assert.deepEqual(await sb.run(['mount', 'nope:/x', '/tmp/y']), loadError('nope'));
    // The reference loads the machine to unmount too; without one, the default.
    assert.deepEqual(await sb.run(['mount', '-u', 'nope:/x', '/tmp/y']), loadError('nope'));
    assert.deepEqual(await sb.run(['mount', '/x']), loadError('default'));
    assert.equal(sb.spawned().length, 0, 'no driver was started');
  });

  it('templates: Go\'s parse errors under each command\'s heading; inspect keeps a \\n as written', async () => {
    assert.deepEqual(await sb.run(['inspect', '-f', '{{.Name', 'a']), { code: 1, stdout: '', stderr: 'template parsing error: template: :1: unclosed action\n' });
    assert.deepEqual(await sb.run(['ls', '--format', '{{.Name']), { code: 1, stdout: '', stderr: 'template: :1: unclosed action\n' });
    assert.deepEqual(await sb.run(['inspect', '-f', 'x{{.Name}}\\n', 'a']), { code: 0, stdout: 'xa\\n\n', stderr: '' });
    assert.deepEqual(await sb.run(['ls', '--format', '{{.Name}}\\t.']), { code: 0, stdout: 'a\t.\nb\t.\n', stderr: '' });
  });

  it('global flags before the command are Go flags: -s=DIR, -storage-path DIR, -debug', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-args-cwd-'));
    try {
      // Run from an empty directory, with the environment's store elsewhere: only the flag can find the machines.
      const env = { ...sb.env, MACHINE_STORAGE_PATH: '/nonexistent-store' };
      const run = (args: string[]) =>
        new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
          const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
          let stdout = '';
          child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
          child.on('error', reject);
          child.on('close', (code) => resolve({ code, stdout }));
        });
      assert.deepEqual(await run([`-s=${sb.store.root}`, 'ls', '-q']), { code: 0, stdout: 'a\nb\n' });
      assert.deepEqual(await run(['-storage-path', sb.store.root, '-debug', 'ls', '-q']), { code: 0, stdout: 'a\nb\n' });
      assert.deepEqual(fs.readdirSync(cwd), [], 'nothing was made in the working directory');
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe('env and config beside the reference (real CLI, fake driver, TLS daemon)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let daemon: Daemon;
  let ip: string;
  beforeEach(async () => {
    sb = sandbox();
    ip = loopbackIP();
    addFakeMachine(sb, 'dev', { ip, lastURL: `tcp://${ip}:2376` });
    daemon = await startDaemon(sb, 'dev', ip);
  });
  afterEach(async () => {
    await daemon.close();
    assert.deepEqual(await waitGone(sb), [], 'driver processes left behind');
    sb.cleanup();
  });

  it('with SHELL unset: the machine is checked first, then the hint and a blank line', async () => {
    const env = { ...sb.env, SHELL: '' };
    assert.deepEqual(await sb.run(['env', 'nosuch'], env), { code: 1, stdout: '', stderr: `${dne('nosuch')}\n` });
    assert.deepEqual(await sb.run(['env', 'dev'], env), {
      code: 1,
      stdout: "The default lines below are for a sh/bash shell, you can specify the shell you're using, with the --shell flag.\n\n",
      stderr: 'Error: Unknown shell\n',
    });
  });

  it('--no-proxy takes NO_PROXY when no_proxy is empty', async () => {
    const r = await sb.run(['env', '--no-proxy', 'dev'], { no_proxy: '', NO_PROXY: 'foo' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^export NO_PROXY="foo,${ip.replace(/\./g, '\\.')}"$`, 'm'));
    assert.doesNotMatch(r.stdout, /no_proxy/);
  });

  it('--swarm on a machine that is no swarm master: the reference headings, and no connection', async () => {
    const before = daemon.requests;
    assert.deepEqual(await sb.run(['env', '--swarm', 'dev']), {
      code: 1,
      stdout: '',
      stderr: 'Error checking TLS connection: "dev" is not a swarm master. The --swarm flag is intended for use with swarm masters\n',
    });
    assert.deepEqual(await sb.run(['config', '--swarm', 'dev']), {
      code: 1,
      stdout: '',
      stderr: 'Error running connection boilerplate: "dev" is not a swarm master. The --swarm flag is intended for use with swarm masters\n',
    });
    assert.equal(daemon.requests, before);
  });

  it('a copied store: the certificate paths printed are those of the store read now', async () => {
    const moved = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-args-moved-'));
    try {
      fs.cpSync(sb.store.root, moved, { recursive: true });
      const env = { MACHINE_STORAGE_PATH: moved };
      const dir = path.join(moved, 'machines', 'dev');
      const e = await sb.run(['env', 'dev'], env);
      assert.equal(e.code, 0, e.stderr);
      assert.match(e.stdout, new RegExp(`^export DOCKER_CERT_PATH="${dir}"$`, 'm'));
      const c = await sb.run(['config', 'dev', 'ignored'], env);
      assert.equal(c.code, 0, c.stderr);
      assert.equal(c.stdout, `--tlsverify\n--tlscacert="${dir}/ca.pem"\n--tlscert="${dir}/cert.pem"\n--tlskey="${dir}/key.pem"\n-H=tcp://${ip}:2376\n`);
    } finally {
      fs.rmSync(moved, { recursive: true, force: true });
    }
  });
});

describe('start and restart lines beside the reference (real CLI, fake driver, TLS daemons)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let daemons: Daemon[];
  beforeEach(async () => {
    sb = sandbox();
    daemons = [];
    for (const name of ['a', 'b']) {
      const ip = loopbackIP();
      addFakeMachine(sb, name, { ip, power: 'Stopped' });
      daemons.push(await startDaemon(sb, name, ip));
    }
  });
  afterEach(async () => {
    await Promise.all(daemons.map((d) => d.close()));
    assert.deepEqual(await waitGone(sb), [], 'driver processes left behind');
    sb.cleanup();
  });

  const started = 'Started machines may have new IP addresses. You may need to re-run the `machine env` command.';
  const restarted = 'Restarted machines may have new IP addresses. You may need to re-run the `machine env` command.';
  const lines = (s: string): string[] => s.trimEnd().split('\n');

  it('the new-address hint comes once, after every machine, and not when one failed', async () => {
    const both = await sb.run(['start', 'a', 'b']);
    assert.equal(both.code, 0, both.stderr);
    const out = lines(both.stdout);
    assert.equal(out.filter((l) => l === started).length, 1, both.stdout);
    assert.equal(out[out.length - 1], started);
    for (const n of ['a', 'b']) assert.ok(out.indexOf(`Machine "${n}" was started.`) >= 0, both.stdout);
    fs.writeFileSync(path.join(sb.store.machineDir('b'), 'fake-machine.json'), JSON.stringify({ power: 'Stopped' }));
    const partial = await sb.run(['start', 'a', 'b']);
    assert.equal(partial.code, 1);
    assert.equal(partial.stderr, 'Machine "a" is already running.\n');
    assert.ok(lines(partial.stdout).includes('Machine "b" was started.'), partial.stdout);
    assert.ok(!partial.stdout.includes(started), partial.stdout);
  });

  it('restart starts a stopped machine with start\'s own lines', async () => {
    const r = await sb.run(['restart', 'a']);
    assert.equal(r.code, 0, r.stderr);
    const out = lines(r.stdout);
    assert.deepEqual([out[0], out[1]], ['Restarting "a"...', 'Starting "a"...']);
    assert.ok(out.indexOf('Machine "a" was started.') > 1, r.stdout);
    assert.equal(out[out.length - 1], restarted);
    assert.equal(power(sb, 'a'), 'Running');
  });
});
