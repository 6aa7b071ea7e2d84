import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { CLI, addFakeMachine, runNode, loopbackIP, sandbox, startDaemon, waitGone, writeMachineCerts, type Daemon, type Sandbox } from './cli-support';

describe('machine env / config / url / inspect (real CLI, fake driver)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let daemon: Daemon | undefined;
  let ip: string;
  beforeEach(async () => {
    sb = sandbox();
    ip = loopbackIP();
    addFakeMachine(sb, 'dev', { ip });
    daemon = await startDaemon(sb, 'dev', ip);
  });
  afterEach(async () => {
    await daemon?.close();
    assert.deepEqual(await waitGone(sb), [], 'driver processes left behind');
    sb.cleanup();
  });

  const dir = (): string => sb.store.machineDir('dev');

  it('env prints the reference lines; it asks the driver while nothing is remembered, and never writes the store', async () => {
    const before = fs.readFileSync(sb.store.configPath('dev'), 'utf8');
    const first = await sb.run(['env', 'dev']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(
      first.stdout,
      `export DOCKER_TLS_VERIFY="1"\nexport DOCKER_HOST="tcp://${ip}:2376"\nexport DOCKER_CERT_PATH="${dir()}"\nexport DOCKER_MACHINE_NAME="dev"\n` +
        `# Run this command to configure your shell: \n# eval $(${CLI} env dev)\n`,
    );
    assert.equal(sb.spawned().length, 1);
    assert.equal(fs.readFileSync(sb.store.configPath('dev'), 'utf8'), before, 'a read-only command left the record as it was');
    // What create, start and restart remember is used without starting the driver.
    await sb.store.update('dev', (h) => {
      h.Machine = { ...(h.Machine ?? {}), LastURL: `tcp://${ip}:2376` };
    });
    const second = await sb.run(['env', 'dev']);
    assert.equal(second.stdout, first.stdout);
    assert.equal(sb.spawned().length, 1, 'the second env started no driver');
  });

  it('env with a remembered URL loads neither gRPC, node-forge nor @oclif/core', async () => {
    await sb.store.update('dev', (h) => {
      h.Machine = { ...(h.Machine ?? {}), LastURL: `tcp://${ip}:2376` };
    });
    const probe = `
      const dispatch = require(${JSON.stringify(require.resolve('@machine/cli/lib/command/dispatch'))});
      dispatch.runFast(['env', 'dev']).then((code) => {
        const heavy = Object.keys(require.cache).filter((k) => /@grpc|node-forge|@oclif|ssh2/.test(k));
        process.stderr.write('HEAVY=' + JSON.stringify(heavy) + '\\n');
        process.exit(code);
      });`;
    const r = await runNode(['-e', probe], sb.env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^export DOCKER_HOST=/m);
    assert.match(r.stderr, /^HEAVY=\[\]$/m);
    assert.equal(sb.spawned().length, 0);
  });

  it('env for every shell, --unset and --no-proxy without gluing', async () => {
    const sh = async (shell: string, ...extra: string[]): Promise<string> => {
      const r = await sb.run(['env', '--shell', shell, ...extra]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    assert.match(await sh('fish', 'dev'), new RegExp(`^set -gx DOCKER_HOST "tcp://${ip}:2376";$`, 'm'));
    assert.match(await sh('fish', 'dev'), new RegExp(`^# eval \\(${CLI} env --shell fish dev\\)$`, 'm'));
    assert.match(await sh('powershell', 'dev'), /^\$Env:DOCKER_TLS_VERIFY = "1"$/m);
    assert.match(await sh('powershell', 'dev'), new RegExp(`^# & ${CLI} env --shell powershell dev \\| Invoke-Expression$`, 'm'));
    assert.match(await sh('cmd', 'dev'), new RegExp(`^SET DOCKER_HOST=tcp://${ip}:2376$`, 'm'));
    assert.match(await sh('cmd', 'dev'), new RegExp(`^REM \t@FOR /f "tokens=\\*" %i IN \\('${CLI} env --shell cmd dev'\\) DO @%i$`, 'm'));
    assert.match(await sh('tcsh', 'dev'), /^setenv DOCKER_MACHINE_NAME "dev";$/m);
    assert.match(await sh('tcsh', 'dev'), new RegExp('^: eval `' + CLI + ' env --shell tcsh dev`$', 'm'));
    assert.match(await sh('emacs', 'dev'), /^\(setenv "DOCKER_MACHINE_NAME" "dev"\)$/m);
    assert.match(await sh('emacs', 'dev'), /^;; \(with-temp-buffer/m);
    const unset = await sb.run(['env', '-u', '--no-proxy']);
    assert.equal(
      unset.stdout,
      'unset DOCKER_TLS_VERIFY\nunset DOCKER_HOST\nunset DOCKER_CERT_PATH\nunset DOCKER_MACHINE_NAME\nunset NO_PROXY\n# Run this command to configure your shell: \n# eval $(' + CLI + ' env -u --no-proxy)\n',
    );
    const ps = await sb.run(['env', '--shell', 'powershell', '-u']);
    assert.match(ps.stdout, /^Remove-Item Env:\\\\DOCKER_HOST$/m);
    const np = await sb.run(['env', '--no-proxy', 'dev'], { NO_PROXY: 'localhost' });
    assert.match(np.stdout, new RegExp(`^export NO_PROXY="localhost,${ip.replace(/\./g, '\\.')}"$`, 'm'));
    const lower = await sb.run(['env', '--no-proxy', 'dev'], { no_proxy: `x,${ip}` });
    assert.match(lower.stdout, new RegExp(`^export no_proxy="x,${ip.replace(/\./g, '\\.')}"$`, 'm'));
    const named = await sb.run(['env', '-u', 'dev']);
    assert.equal(named.code, 1);
    assert.match(named.stderr, /Expected no machine name when the -u flag is present/);
    const noShell = await sb.run(['env', 'dev'], { SHELL: '' });
    assert.equal(noShell.code, 1);
    assert.match(noShell.stdout, /--shell flag/);
    assert.match(noShell.stderr, /Unknown shell/);
  });

  it('a remembered URL now answered by another machine is not trusted: the driver is asked', async () => {
    const otherIP = loopbackIP();
    addFakeMachine(sb, 'other', { ip: otherIP });
    const other = await startDaemon(sb, 'other', otherIP);
    try {
      // dev remembers other's address (say, dev's old IP went to other).
      await sb.store.update('dev', (h) => {
        h.Machine = { ...(h.Machine ?? {}), LastURL: `tcp://${otherIP}:2376` };
      });
      const r = await sb.run(['env', 'dev']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^export DOCKER_HOST="tcp://${ip.replace(/\./g, '\\.')}:2376"$`, 'm'));
      assert.equal(sb.spawned().length, 1);
      assert.equal(sb.store.load('dev').Machine?.LastURL, `tcp://${otherIP}:2376`, 'read-only: the record is left for a command that changes the machine');
    } finally {
      await other.close();
    }
  });

  it('config prints the five lines with Go quoting', async () => {
    const r = await sb.run(['config', 'dev']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `--tlsverify\n--tlscacert="${dir()}/ca.pem"\n--tlscert="${dir()}/cert.pem"\n--tlskey="${dir()}/key.pem"\n-H=tcp://${ip}:2376\n`);
  });

  it('the default machine is used when no name is given; unknown names get the reference error', async () => {
    const none = await sb.run(['url']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /No machine name\(s\) specified and no "default" machine exists/);
    const missing = await sb.run(['url', 'nosuch']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Docker machine "nosuch" does not exist. Use "machine ls" to list machines. Use "machine create" to add a new one.\n');
    // A name no machine may have names no machine, as in the reference.
    const bad = await sb.run(['inspect', 'bad_name']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'Docker machine "bad_name" does not exist. Use "machine ls" to list machines. Use "machine create" to add a new one.\n');
    addFakeMachine(sb, 'default', { ip });
    const def = await sb.run(['url']);
    assert.equal(def.stdout, `tcp://${ip}:2376\n`);
  });

  it('a ca.pem that is a directory is named as one by env', async () => {
    const ca = sb.store.load('dev').HostOptions.AuthOptions.CaCertPath;
    fs.rmSync(ca);
    fs.mkdirSync(ca);
    const r = await sb.run(['env', 'dev']);
    assert.deepEqual(r, { code: 1, stdout: '', stderr: `Error checking TLS connection: Cannot read the CA certificate ${ca}: it is a directory, not a file. Move it away and try again.\n` });
  });

  it('url, status and ip take what is remembered once the daemon at the remembered URL presents this machine\'s own certificate, without asking the driver', async () => {
    const before = fs.readFileSync(sb.store.configPath('dev'), 'utf8');
    // Unproven: nothing remembered yet, so both ask the driver.
    assert.deepEqual(await sb.run(['url', 'dev']), { code: 0, stdout: `tcp://${ip}:2376\n`, stderr: '' });
    assert.deepEqual(await sb.run(['status', 'dev']), { code: 0, stdout: 'Running\n', stderr: '' });
    assert.equal(sb.spawned().length, 2);
    // As create, start and restart leave it; and a driver that would now fail
    // shows that the answers below come from the daemon's proof.
    await sb.store.update('dev', (h) => {
      h.Machine = { ...(h.Machine ?? {}), LastURL: `tcp://${ip}:2376` };
      h.Driver = { ...h.Driver, failOn: 'getState' };
    });
    const remembered = fs.readFileSync(sb.store.configPath('dev'), 'utf8');
    assert.deepEqual(await sb.run(['url', 'dev']), { code: 0, stdout: `tcp://${ip}:2376\n`, stderr: '' });
    assert.deepEqual(await sb.run(['status', 'dev']), { code: 0, stdout: 'Running\n', stderr: '' });
    assert.deepEqual(await sb.run(['status', '--json', 'dev']), { code: 0, stdout: '{\n  "Name": "dev",\n  "State": "Running"\n}\n', stderr: '' });
    assert.equal(fs.readFileSync(sb.store.configPath('dev'), 'utf8'), remembered, 'read-only: the record is left as it was');
    assert.notEqual(remembered, before);
    // ip needs the IP remembered with the URL, as its host; until then the driver tells it.
    assert.deepEqual(await sb.run(['ip', 'dev']), { code: 0, stdout: `${ip}\n`, stderr: '' });
    await sb.store.update('dev', (h) => {
      h.Machine = { ...(h.Machine ?? {}), LastIP: ip };
      h.Driver = { ...h.Driver, failOn: 'getIP' };
    });
    assert.deepEqual(await sb.run(['ip', 'dev']), { code: 0, stdout: `${ip}\n`, stderr: '' });
    assert.deepEqual(await sb.run(['ip', '--json', 'dev']), { code: 0, stdout: `[\n  {\n    "Name": "dev",\n    "IP": "${ip}"\n  }\n]\n`, stderr: '' });
    // An IP that is not the URL's host is not what the proof covers: the (failing) driver is asked.
    await sb.store.update('dev', (h) => {
      h.Machine = { ...(h.Machine ?? {}), LastIP: '10.9.8.7' };
    });
    const other = await sb.run(['ip', 'dev']);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /^Error getting IP address: dev: .*fake failure in getIP/);
    await sb.store.update('dev', (h) => {
      h.Driver = { ...h.Driver, failOn: 'getState' };
    });
    // With the daemon gone there is no proof, and the driver's failure is the answer.
    await daemon?.close();
    daemon = undefined;
    const status = await sb.run(['status', 'dev']);
    assert.equal(status.code, 1);
    assert.match(status.stderr, /^error getting state for host dev: \(fake\) fake failure in getState\n/);
    assert.deepEqual(await waitGone(sb), []);
  });

  it('a remembered daemon that accepts the connection and never answers: status and url take the driver\'s answer, from one driver process', async () => {
    // The machine's certificate is in place, so it may prove itself; nothing at its address completes a handshake.
    const silentIP = loopbackIP();
    // Reads and drops what arrives, so that a client's close ends the connection.
    const silent = net.createServer((c) => c.resume());
    await new Promise<void>((resolve) => silent.listen(2376, silentIP, resolve));
    try {
      addFakeMachine(sb, 'hushed', { ip: silentIP, power: 'Stopped', lastURL: `tcp://${silentIP}:2376` });
      await writeMachineCerts(sb, 'hushed', [silentIP]);
      const before = sb.spawned().length;
      assert.deepEqual(await sb.run(['status', 'hushed']), { code: 0, stdout: 'Stopped\n', stderr: '' });
      assert.deepEqual(await sb.run(['url', 'hushed']), { code: 1, stdout: '', stderr: 'Host is not running\n' });
      assert.equal(sb.spawned().length - before, 2, 'one driver process per command: the one started while the proof was awaited is the one used');
    } finally {
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('a stopped machine whose old address now answers as another machine: url, env, config and version say "Host is not running", status "Stopped"', async () => {
    // "dev" runs at the address "gone" remembers; both trust the store's CA,
    // and "gone" holds a server certificate of its own, so each command tries
    // the proof first, and the daemon there presents dev's.
    addFakeMachine(sb, 'gone', { ip, power: 'Stopped', lastURL: `tcp://${ip}:2376` });
    await writeMachineCerts(sb, 'gone', [ip]);
    assert.deepEqual(await sb.run(['status', 'gone']), { code: 0, stdout: 'Stopped\n', stderr: '' });
    const expected: Record<string, string> = {
      url: 'Host is not running\n',
      env: 'Error checking TLS connection: Host is not running\n',
      config: 'Error running connection boilerplate: Host is not running\n',
      version: 'Unable to query docker version: Host is not running\n',
    };
    for (const [cmd, stderr] of Object.entries(expected)) {
      const r = await sb.run([cmd, 'gone']);
      assert.deepEqual(r, { code: 1, stdout: '', stderr }, `machine ${cmd} gone`);
    }
  });

  it('url asks for the state and the URL at once; only the state decides, and each failure keeps its own text', async () => {
    // The fake driver's URL comes from its GetIP, so failing GetIP fails GetURL.
    addFakeMachine(sb, 'off', { ip, power: 'Stopped', state: { failOn: 'getIP' } });
    addFakeMachine(sb, 'on', { ip, power: 'Running', state: { failOn: 'getIP' } });
    addFakeMachine(sb, 'stateless', { ip, power: 'Running', state: { failOn: 'getState' } });
    const off = await sb.run(['url', 'off']);
    assert.deepEqual(off, { code: 1, stdout: '', stderr: 'Host is not running\n' }, 'a stopped machine whose URL also failed');
    const on = await sb.run(['url', 'on']);
    assert.deepEqual(on, {
      code: 1,
      stdout: '',
      stderr: 'Driver "fake" failed for machine "on": (fake) fake failure in getIP\nRequested with --fake-fail-on getIP.\n',
    });
    const stateless = await sb.run(['url', 'stateless']);
    assert.deepEqual(stateless, {
      code: 1,
      stdout: '',
      stderr: 'Driver "fake" failed for machine "stateless": (fake) fake failure in getState\nRequested with --fake-fail-on getState.\n',
    });
    assert.equal(sb.spawned().length, 3, 'one driver process per command');
  });

  it('a certificate that no longer names the IP: env, config and ls say so and name regenerate-certs', async () => {
    await daemon?.close();
    daemon = await startDaemon(sb, 'dev', ip, ['10.1.2.3', 'localhost']);
    for (const cmd of ['env', 'config']) {
      const r = await sb.run([cmd, 'dev']);
      assert.equal(r.code, 1, `${cmd} should fail`);
      assert.match(r.stderr, new RegExp(`not valid for its current address ${ip.replace(/\./g, '\\.')} \\(it was issued for 10\\.1\\.2\\.3, localhost\\)\\. Run "machine regenerate-certs dev"`));
    }
    // The daemon's certificate fails verification too, so DOCKER is Unknown.
    const ls = await sb.run(['ls']);
    assert.equal(ls.code, 0);
    assert.match(ls.stdout, /^dev\s+-\s+fake\s+Running\s+\S+\s+Unknown\s+.*machine regenerate-certs dev/m);
  });

  it('version prints the build, and a machine\'s Docker version over TLS', async () => {
    const v = await sb.run(['version']);
    assert.match(v.stdout, /^machine version \d+\.\d+\.\d+, build \S+\n$/);
    const remote = await sb.run(['version', 'dev']);
    assert.equal(remote.code, 0, remote.stderr);
    assert.equal(remote.stdout, '24.0.7\n');
  });

  it('inspect prints config.json with secrets masked, and templates', async () => {
    await sb.store.update('dev', (h) => {
      h.Driver.AccessToken = 'very-secret';
      h.Driver.SSHKeyPath = '/x/id_rsa';
    });
    const r = await sb.run(['inspect', 'dev']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\{\n {4}"ConfigVersion": 3,\n {4}"Driver": \{/);
    assert.match(r.stdout, /"AccessToken": "\*\*\*\*\*\*\*\*"/);
    assert.match(r.stdout, /"SSHKeyPath": "\/x\/id_rsa"/);
    assert.doesNotMatch(r.stdout, /very-secret/);
    const f = await sb.run(['inspect', '-f', '{{.Driver.ip}} {{.HostOptions.EngineOptions.TlsVerify}} {{json .HostOptions.EngineOptions.Dns}}', 'dev']);
    assert.equal(f.stdout, `${ip} true null\n`);
    const pj = await sb.run(['inspect', '--format', '{{prettyjson .HostOptions.SwarmOptions.Image}}', 'dev']);
    assert.equal(pj.stdout, '"swarm:latest"\n');
    const bad = await sb.run(['inspect', '-f', '{{.Name', 'dev']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /template parsing error/);
    assert.equal(sb.spawned().length, 0, 'inspect needs no driver');
    assert.ok(fs.existsSync(sb.store.configPath('dev')));
  });
});
