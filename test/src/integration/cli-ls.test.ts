import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, addFakeMachine, addScriptDriver, loopbackIP, sandbox, startDaemon, waitGone, writeMachineCerts, REPO, type Sandbox } from './cli-support';

// A driver whose reads never answer and ignore cancellation.
const SLOW_DRIVER = `const { serveDriver } = require(${JSON.stringify(path.join(REPO, 'proto', 'lib', 'index.js'))});
// Ignores cancellation on purpose: a driver stuck in a call must not hold ls.
const wait = () => new Promise(() => undefined);
serveDriver({
  info: { name: 'slow', version: '0.0.1' },
  schema: () => [],
  configure: () => ({}),
  create: async (_c, s) => s, start: async () => {}, stop: async () => {}, restart: async () => {}, kill: async () => {}, remove: async () => {},
  getState: async () => { await wait(); return 'Running'; },
  getIP: async () => { await wait(); return '127.0.0.1'; },
  getURL: async () => { await wait(); return ''; },
  getSSHInfo: async () => ({ host: '127.0.0.1', port: 22, user: 'root', keyPath: '' }),
});
`;

function rows(stdout: string): string[][] {
  return stdout.trimEnd().split('\n').slice(1).map((l) => l.split(/\s{3,}/));
}

describe('machine ls (real CLI, fake driver)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  beforeEach(() => {
    sb = sandbox();
  });
  afterEach(async () => {
    assert.deepEqual(await waitGone(sb), [], 'driver processes left behind');
    sb.cleanup();
  });

  it('lists running, stopped and corrupt machines, natural-sorted, with one driver process', async () => {
    const ip = loopbackIP();
    addFakeMachine(sb, 'node10', { ip });
    addFakeMachine(sb, 'node2', { ip: loopbackIP(), power: 'Stopped' });
    addFakeMachine(sb, 'Node1', { ip });
    const daemon = await startDaemon(sb, 'node10', ip);
    fs.mkdirSync(sb.store.machineDir('broken'));
    fs.writeFileSync(sb.store.configPath('broken'), '{"ConfigVersion": 3, "Driver": ');
    try {
      const r = await sb.run(['ls'], { DOCKER_HOST: daemon.url });
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trimEnd().split('\n');
      assert.match(lines[0], /^NAME\s+ACTIVE\s+DRIVER\s+STATE\s+URL\s+SWARM\s+DOCKER\s+ERRORS$/);
      const byName = Object.fromEntries(rows(r.stdout).map((c) => [c[0], c]));
      assert.deepEqual(rows(r.stdout).map((c) => c[0]), ['broken', 'Node1', 'node2', 'node10']);
      // As the reference's row for a record it cannot load: no ACTIVE mark.
      assert.match(lines[1], /^broken\s+not found\s+Error\s+.*not valid JSON/);
      // node10's daemon answers: active (DOCKER_HOST), Docker version read over TLS.
      assert.match(lines[4], new RegExp(`^node10\\s+\\*\\s+fake\\s+Running\\s+tcp://${ip.replace(/\./g, '\\.')}:2376\\s+v24\\.0\\.7`));
      assert.equal(byName.node2[3], 'Stopped');
      // Node1 shares the IP but has no certificate of its own: Docker version unknown, no error.
      assert.match(lines[2], /^Node1\s+\*?\s*-?\s*fake\s+Running\s+\S+\s+(v24\.0\.7|Unknown)/);
      assert.equal(sb.spawned().length, 1, 'one driver process for all machines of the driver');
      assert.ok(daemon.requests >= 1);
    } finally {
      await daemon.close();
    }
  });

  it('over 50 machines starts exactly one driver process and leaves none', async () => {
    for (let i = 1; i <= 50; i++) addFakeMachine(sb, `m${i}`, { ip: '127.0.0.1', power: i % 2 ? 'Running' : 'Stopped' });
    const r = await sb.run(['ls', '--format', '{{.Name}} {{.State}}']);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.trimEnd().split('\n');
    assert.equal(out.length, 50);
    assert.equal(out[0], 'm1 Running');
    assert.equal(out[1], 'm2 Stopped');
    assert.equal(out[49], 'm50 Stopped');
    assert.equal(sb.spawned().length, 1);
    assert.deepEqual(await waitGone(sb, 2000), []);
  });

  it('filters, quiet mode, JSON and templates', async () => {
    addFakeMachine(sb, 'a1');
    addFakeMachine(sb, 'a2', { power: 'Stopped' });
    addFakeMachine(sb, 'b1');
    const q = await sb.run(['ls', '-q']);
    assert.equal(q.stdout, 'a1\na2\nb1\n');
    assert.equal(sb.spawned().length, 0, 'ls -q needs no driver');
    const st = await sb.run(['ls', '--filter', 'state=stopped', '--filter', 'name=^a', '-q']);
    assert.equal(st.stdout, 'a2\n');
    const nm = await sb.run(['ls', '--filter', 'name=1$', '--format', '{{.Name}}']);
    assert.equal(nm.stdout, 'a1\nb1\n');
    const js = await sb.run(['ls', '--json']);
    const items = JSON.parse(js.stdout) as { Name: string; State: string; DriverName: string }[];
    assert.deepEqual(items.map((i) => [i.Name, i.State, i.DriverName]), [['a1', 'Running', 'fake'], ['a2', 'Stopped', 'fake'], ['b1', 'Running', 'fake']]);
    const tbl = await sb.run(['ls', '--format', 'table {{.Name}}\\t{{.State}}']);
    assert.equal(tbl.stdout, 'NAME   STATE\na1     Running\na2     Stopped\nb1     Running\n');
    const bad = await sb.run(['ls', '--filter', 'color=red']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Unsupported filter key 'color'/);
    const badT = await sb.run(['ls', '--format', '{{.Nope}}']);
    assert.deepEqual(badT, { code: 1, stdout: '', stderr: 'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type commands.HostListItem\n' });
    // A row is the reference's Go struct: its options print field by field in
    // Go's order, and are read by Go's field names (DNS, TLSVerify).
    const structs = await sb.run(['ls', '--filter', 'name=a1', '--format', '{{.SwarmOptions}}|{{.EngineOptions.DNS}} {{.EngineOptions.TLSVerify}}|{{printf "%-4s|%3d" .Name 7}}']);
    assert.deepEqual(structs, { code: 0, stdout: '{false   false false tcp://0.0.0.0:3376 swarm:latest spread 0 0 [] [] [] false}|[] true|a1  |  7\n', stderr: '' });
    // Go writes as it goes: the rows before the failing one, and that row up to the error, on both entry paths.
    const later = ['ls', '--format', '{{.Name}} {{if eq .Name "a2"}}{{.Nope}}{{end}}'];
    const laterError = 'template: :1:32: executing "" at <.Nope>: can\'t evaluate field Nope in type commands.HostListItem\n';
    assert.deepEqual(await sb.run(later), { code: 1, stdout: 'a1 \na2 ', stderr: laterError });
    assert.deepEqual(await sb.run(later, { MACHINE_NO_FAST_PATH: '1' }), { code: 1, stdout: 'a1 \na2 ', stderr: laterError });
    const jsonKey = await sb.run(['ls', '--filter', 'name=a1', '--format', '{{.EngineOptions.Dns}}']);
    assert.deepEqual(jsonKey, { code: 1, stdout: '', stderr: 'template: :1:16: executing "" at <.EngineOptions.Dns>: can\'t evaluate field Dns in type *engine.Options\n' });
  });

  it('a machine that does not answer within --timeout is a Timeout row; the others still show', async () => {
    addScriptDriver(sb, 'slow', SLOW_DRIVER);
    addFakeMachine(sb, 'fast1');
    addFakeMachine(sb, 'hung', { driver: 'slow', stateVersion: 1 });
    const started = Date.now();
    const r = await sb.run(['ls', '--timeout', '5']);
    const took = Date.now() - started;
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[1], /^fast1\s+-\s+fake\s+Running/);
    assert.match(lines[2], /^hung\s+slow\s+Timeout/);
    assert.equal(sb.spawned().length, 2);
    // The reference's timeout row: the time-out as the time taken, and no options.
    const f = await sb.run(['ls', '-t', '2', '--filter', 'driver=slow', '--format', '{{.Name}} {{.ResponseTime}} {{.SwarmOptions}} {{.EngineOptions}}']);
    assert.deepEqual(f, { code: 0, stdout: 'hung 2s <nil> <nil>\n', stderr: '' });
    // --timeout 5, then at most a few seconds to stop the stuck driver (not its 30 s grace).
    assert.ok(took < 25_000, `ls returned after ${took} ms`);
  });

  it('Ctrl-C during ls ends the command and its driver processes', async () => {
    addScriptDriver(sb, 'slow', SLOW_DRIVER);
    addFakeMachine(sb, 'hung', { driver: 'slow', stateVersion: 1 });
    const child = spawn(process.execPath, [CLI, 'ls', '--timeout', '60'], { env: sb.env, stdio: 'ignore' });
    const deadline = Date.now() + 30_000;
    while (sb.spawned().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(sb.spawned().length, 1);
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 130);
    assert.ok(Date.now() - t0 < 15_000, 'interrupted ls returned promptly');
    assert.deepEqual(await waitGone(sb, 3000), []);
  });

  it('a machine whose daemon presents its own certificate at the remembered URL is listed from that proof; its driver is never asked', async () => {
    const ip = loopbackIP();
    const url = `tcp://${ip}:2376`;
    addFakeMachine(sb, 'proud', { ip, lastURL: url });
    // A driver that would fail shows that the row comes from the daemon.
    await sb.store.update('proud', (h) => {
      h.Driver = { ...h.Driver, failOn: 'getState' };
    });
    const daemon = await startDaemon(sb, 'proud', ip);
    const record = fs.readFileSync(sb.store.configPath('proud'), 'utf8');
    // What a host killed outright leaves: its socket directory, named with its pid.
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    const stale = path.join(os.tmpdir(), `machine-${deadPid}-Zz9Yy8`);
    fs.mkdirSync(stale);
    try {
      const r = await sb.run(['ls']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(fs.existsSync(stale), false, 'ls, which launched no driver, swept as a launch does');
      const lines = r.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 2);
      assert.match(lines[1], new RegExp(`^proud\\s+-\\s+fake\\s+Running\\s+${url.replace(/\./g, '\\.')}\\s+v24\\.0\\.7\\s*$`), 'no ERRORS');
      const fields = ['--format', '{{.Name}}|{{.State}}|{{.URL}}|{{.DockerVersion}}|{{.Error}}'];
      assert.deepEqual(await sb.run(['ls', ...fields]), { code: 0, stdout: `proud|Running|${url}|v24.0.7|\n`, stderr: '' });
      // Without the Docker version (state filters, active) the handshake alone proves it.
      assert.deepEqual(await sb.run(['ls', '-q', '--filter', 'state=Running']), { code: 0, stdout: 'proud\n', stderr: '' });
      assert.deepEqual(await sb.run(['active'], { DOCKER_HOST: url }), { code: 0, stdout: 'proud\n', stderr: '' });
      // The failing driver was never asked; ls starts none while it awaits
      // proofs. active shares ls's gathering, and so does this.
      assert.equal(sb.spawned().length, 0, 'no driver process started');
      assert.equal(fs.readFileSync(sb.store.configPath('proud'), 'utf8'), record, 'read-only: the record is left as it was');
      // The same engine, proven, listed for a machine whose driver is not
      // installed: the row names the driver and how to install it.
      addFakeMachine(sb, 'orphan', { ip, lastURL: url, driver: 'nosuchdriver' });
      for (const f of ['server.pem', 'ca.pem', 'cert.pem', 'key.pem']) fs.copyFileSync(path.join(sb.store.machineDir('proud'), f), path.join(sb.store.machineDir('orphan'), f));
      assert.deepEqual(await sb.run(['ls', '--filter', 'name=orphan', '--format', '{{.Name}}|{{.State}}|{{.Error}}']), {
        code: 0,
        stdout: 'orphan|Error|driver nosuchdriver is not installed: machine plugins install driver-nosuchdriver\n',
        stderr: '',
      });
      fs.rmSync(sb.store.machineDir('orphan'), { recursive: true });
    } finally {
      await daemon.close();
    }
    // With the daemon gone there is no proof: the (failing) driver is asked.
    const before = sb.spawned().length;
    const r = await sb.run(['ls', '--format', '{{.Name}}|{{.State}}|{{.URL}}|{{.Error}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^proud\|Error\|\|.*fake failure in getState\n$/);
    assert.equal(sb.spawned().length - before, 1);
  });

  it('a stopped machine whose old address answers as another machine is asked of its driver: Stopped, no URL', async () => {
    const ip = loopbackIP();
    const url = `tcp://${ip}:2376`;
    addFakeMachine(sb, 'live', { ip, lastURL: url });
    const daemon = await startDaemon(sb, 'live', ip);
    // Both trust the store's CA and "gone" holds a certificate of its own; the daemon at its old address presents live's.
    addFakeMachine(sb, 'gone', { ip, power: 'Stopped', lastURL: url });
    await writeMachineCerts(sb, 'gone', [ip]);
    try {
      const r = await sb.run(['ls', '--format', '{{.Name}}|{{.State}}|{{.URL}}|{{.DockerVersion}}|{{.Error}}']);
      assert.deepEqual(r, { code: 0, stdout: `gone|Stopped||Unknown|\nlive|Running|${url}|v24.0.7|\n`, stderr: '' });
      assert.equal(sb.spawned().length, 1, 'one driver process, for gone: ls starts none while proofs are awaited');
    } finally {
      await daemon.close();
    }
  });

  it('a driver that cannot be found shows as an error row naming how to install it', async () => {
    addFakeMachine(sb, 'ok');
    addFakeMachine(sb, 'orphan', { driver: 'nosuchdriver' });
    const r = await sb.run(['ls']);
    assert.equal(r.code, 0);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[1], /^ok\s+-\s+fake\s+Running/);
    assert.match(lines[2], /^orphan\s+-\s+nosuchdriver\s+Error\s+driver nosuchdriver is not installed: machine plugins install driver-nosuchdriver$/);
  });
});
